// Paths of the fixture plugins and small helpers shared by the plugin-loading tests.
#pragma once

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

#include "jobber/plugin/plugin_error.hpp"
#include "jobber/sdk/error.hpp"

namespace jobber::plugin::testing {

inline std::string FixtureDir() {
    return JOBBER_TEST_FIXTURE_PLUGIN_DIR;
}
inline std::string RealPluginDir() {
    return JOBBER_TEST_REAL_PLUGIN_DIR;
}
inline std::string FixturePath(const std::string& name) {
    return FixtureDir() + "/libjobber_" + name + ".so";
}

inline bool Contains(const std::string& text, const std::string& fragment) {
    return text.find(fragment) != std::string::npos;
}

// Runs `fn`, expects the exception type E, and checks its message contains every fragment.
// Returns the message for further checks.
template <class E, class Fn>
std::string ExpectThrowWith(Fn&& fn, std::initializer_list<std::string> fragments) {
    try {
        fn();
    } catch (const E& e) {
        const std::string message = e.what();
        for (const auto& fragment : fragments) {
            EXPECT_TRUE(Contains(message, fragment)) << "'" << fragment << "' not in: " << message;
        }
        return message;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "unexpected exception type, message: " << e.what();
        return {};
    }
    ADD_FAILURE() << "nothing was thrown";
    return {};
}

// Expects a jobber::sdk::Error (the clients' PluginError) with `code` and every fragment.
template <class Fn>
jobber::sdk::Error ExpectPluginError(Fn&& fn, jobber_code code, std::initializer_list<std::string> fragments) {
    try {
        fn();
    } catch (const jobber::sdk::Error& e) {
        EXPECT_EQ(e.code(), code) << jobber::sdk::CodeName(e.code()) << ": " << e.what();
        for (const auto& fragment : fragments) {
            EXPECT_TRUE(Contains(e.what(), fragment)) << "'" << fragment << "' not in: " << e.what();
        }
        return e;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected jobber::sdk::Error, got: " << e.what();
        return jobber::sdk::Error(JOBBER_OK, "");
    }
    ADD_FAILURE() << "expected jobber::sdk::Error(" << jobber::sdk::CodeName(code) << "), nothing was thrown";
    return jobber::sdk::Error(JOBBER_OK, "");
}

// True while `path` is mapped into the process (RTLD_NOLOAD never loads anything). The extra
// reference this takes is deliberately never dropped: libraries are not unloaded anyway.
inline bool IsMapped(const std::string& path) {
    return dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD) != nullptr;
}

// The throwing fixture's count of live instances, streams and writers (see tests/fixtures/README.md).
inline int64_t ThrowingFixtureLiveObjects() {
    void* handle = dlopen(FixturePath("throwing").c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (handle == nullptr) {
        ADD_FAILURE() << "the throwing fixture is not loaded";
        return -1;
    }
    using LiveFn = int64_t (*)();
    auto fn = reinterpret_cast<LiveFn>(dlsym(handle, "jobber_fixture_live_objects"));
    if (fn == nullptr) {
        ADD_FAILURE() << "the throwing fixture does not export jobber_fixture_live_objects";
        return -1;
    }
    return fn();
}

// A private directory under the system temp dir, removed with everything in it.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "jobber-loading-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }

    std::string Write(const std::string& name, const std::string& content) const {
        const std::string file = path_ + "/" + name;
        std::ofstream(file, std::ios::binary) << content;
        return file;
    }

    std::string Copy(const std::string& from, const std::string& name) const {
        const std::string file = path_ + "/" + name;
        std::filesystem::copy_file(from, file);
        return file;
    }

private:
    std::string path_;
};

}  // namespace jobber::plugin::testing
