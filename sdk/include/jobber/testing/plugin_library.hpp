// Loads a built plugin .so the way the host does, for conformance tests: dlopen with
// RTLD_NOW | RTLD_LOCAL, check the manifest's ABI, call jobber_plugin_init with a host API that
// logs to stderr, and hand back the role vtables.
//
// Libraries are never unloaded (the host never unloads either: a plugin may leave threads or
// thread-local destructors behind), and each path is initialised once per process, so calling
// LoadPluginLibrary repeatedly is cheap and returns the same object.
//
// Depends on nothing but the C ABI headers and libdl; link the test with ${CMAKE_DL_LIBS}.
#pragma once

#include <dlfcn.h>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "jobber/abi/common.h"

namespace jobber::testing {

struct PluginLibrary {
    std::string path;
    // Static plugin data, valid for the life of the process.
    const jobber_manifest* manifest = nullptr;
    // Filled by jobber_plugin_init; a NULL member means the role is not provided.
    jobber_plugin_vtables vtables{};
};

namespace detail {

inline const char* LogLevelName(int32_t level) {
    switch (level) {
        case JOBBER_LOG_ERROR:
            return "error";
        case JOBBER_LOG_WARNING:
            return "warning";
        case JOBBER_LOG_INFO:
            return "info";
        case JOBBER_LOG_DEBUG:
            return "debug";
        default:
            return "log";
    }
}

// Tests have no logger hierarchy; stderr keeps plugin messages next to GoogleTest's output.
inline void LogToStderr(void* /*host*/, int32_t level, const char* component, const char* message) {
    std::fprintf(stderr, "[plugin %s] %s: %s\n", LogLevelName(level), component != nullptr ? component : "",
                 message != nullptr ? message : "");
}

inline const jobber_host_api* StderrHostApi() {
    static const jobber_host_api api{sizeof(jobber_host_api), nullptr, &LogToStderr};
    return &api;
}

inline std::string DlError() {
    const char* text = dlerror();
    return text != nullptr ? text : "no dlerror text";
}

inline std::unique_ptr<PluginLibrary> OpenPluginLibrary(const std::string& path) {
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) throw std::runtime_error("cannot load plugin '" + path + "': " + DlError());

    auto manifest_fn = reinterpret_cast<jobber_plugin_manifest_fn>(dlsym(handle, JOBBER_PLUGIN_MANIFEST_SYMBOL));
    auto init_fn = reinterpret_cast<jobber_plugin_init_fn>(dlsym(handle, JOBBER_PLUGIN_INIT_SYMBOL));
    if (manifest_fn == nullptr || init_fn == nullptr) {
        throw std::runtime_error("plugin '" + path + "' does not export " JOBBER_PLUGIN_MANIFEST_SYMBOL " and " +
                                 JOBBER_PLUGIN_INIT_SYMBOL + "; was it built with JOBBER_PLUGIN(...)?");
    }

    auto library = std::make_unique<PluginLibrary>();
    library->path = path;
    library->manifest = manifest_fn();
    const jobber_manifest* m = library->manifest;
    if (m == nullptr) throw std::runtime_error("plugin '" + path + "' returned no manifest");
    if (m->abi_major != JOBBER_ABI_MAJOR || m->abi_minor > JOBBER_ABI_MINOR) {
        throw std::runtime_error("plugin '" + path + "' needs ABI " + std::to_string(m->abi_major) + "." +
                                 std::to_string(m->abi_minor) + ", these tests were built against ABI " +
                                 std::to_string(JOBBER_ABI_MAJOR) + "." + std::to_string(JOBBER_ABI_MINOR));
    }

    library->vtables.struct_size = sizeof(jobber_plugin_vtables);
    jobber_error error{};
    const jobber_code code = init_fn(StderrHostApi(), JOBBER_ABI_MINOR, &library->vtables, &error);
    if (code != JOBBER_OK) {
        std::string message = error.message != nullptr ? error.message : "no details given";
        if (error.release != nullptr) error.release(&error);
        throw std::runtime_error("plugin '" + path + "' failed to initialise (code " + std::to_string(code) +
                                 "): " + message);
    }
    return library;
}

}  // namespace detail

// Throws std::runtime_error naming the path and the reason (dlerror text, ABI mismatch, init error).
inline const PluginLibrary& LoadPluginLibrary(const std::string& path) {
    static std::mutex mutex;
    static std::map<std::string, std::unique_ptr<PluginLibrary>> loaded;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = loaded.find(path);
    if (it == loaded.end()) it = loaded.emplace(path, detail::OpenPluginLibrary(path)).first;
    return *it->second;
}

}  // namespace jobber::testing
