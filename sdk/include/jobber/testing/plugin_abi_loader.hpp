// Loads a built plugin .so for tests of its C ABI surface (manifest, init, vtables): dlopen with
// RTLD_NOW | RTLD_LOCAL as the host does, the three exported entry points, and jobber_plugin_init
// called with the test's own host API (to capture or silence log lines). Unlike
// LoadPluginLibrary (plugin_library.hpp) it does not throw: a load problem is a test failure and
// the init code is kept, so a test can assert on it.
//
//   const jobber::testing::LoadedPlugin& Plugin() {
//       static const auto plugin = jobber::testing::LoadPluginForAbiTest(MY_PLUGIN_PATH, &kHost);
//       return plugin;
//   }
//
// Never unloaded (the host never unloads either). Link the test with ${CMAKE_DL_LIBS}
// (JobberSDK::testing does).
#pragma once

#include <dlfcn.h>
#include <gtest/gtest.h>

#include "jobber/abi/common.h"
#include "jobber/sdk/error.hpp"

namespace jobber::testing {

struct LoadedPlugin {
    const jobber_manifest* manifest = nullptr;  // static plugin data; null when loading failed
    jobber_plugin_vtables vtables{};            // filled by jobber_plugin_init
    jobber_code init_code = JOBBER_UNKNOWN;     // what jobber_plugin_init returned
};

// Records a gtest failure (and returns a LoadedPlugin without manifest) when the file cannot be
// loaded or lacks an entry point.
inline LoadedPlugin LoadPluginForAbiTest(const char* path, const jobber_host_api* host) {
    LoadedPlugin plugin;
    void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* reason = dlerror();
        ADD_FAILURE() << "dlopen " << path << ": " << (reason != nullptr ? reason : "no dlerror text");
        return plugin;
    }
    auto manifest = reinterpret_cast<jobber_plugin_manifest_fn>(dlsym(handle, JOBBER_PLUGIN_MANIFEST_SYMBOL));
    auto init = reinterpret_cast<jobber_plugin_init_fn>(dlsym(handle, JOBBER_PLUGIN_INIT_SYMBOL));
    if (manifest == nullptr || init == nullptr || dlsym(handle, JOBBER_PLUGIN_SHUTDOWN_SYMBOL) == nullptr) {
        ADD_FAILURE() << path << " lacks one of " JOBBER_PLUGIN_MANIFEST_SYMBOL ", " JOBBER_PLUGIN_INIT_SYMBOL
                      << ", " JOBBER_PLUGIN_SHUTDOWN_SYMBOL;
        return plugin;
    }
    plugin.manifest = manifest();
    plugin.vtables.struct_size = sizeof(plugin.vtables);
    sdk::ErrorSlot error;
    plugin.init_code = init(host, JOBBER_ABI_MINOR, &plugin.vtables, error.get());
    return plugin;
}

}  // namespace jobber::testing
