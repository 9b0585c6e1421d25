#pragma once

#include <memory>
#include <string>

#include "jobber/abi/broker.h"
#include "jobber/abi/common.h"
#include "jobber/abi/results.h"
#include "jobber/abi/source.h"
#include "jobber/abi/state.h"
#include "jobber/plugin/manifest.hpp"

namespace jobber::plugin {

// One loaded plugin shared object: its manifest (checked against our ABI) and its role vtables,
// copied into host-sized tables so fields an older plugin does not know read as NULL.
// The library is never unloaded (see Boost.DLL's "missuses": code may still run from it).
class PluginLibrary {
public:
    // Loads and checks `path`; throws PluginLoadError naming the path and the exact mismatch.
    static std::shared_ptr<PluginLibrary> Load(const std::string& path);
    // Reads only the manifest (for `sql-jobber plugin-info`), without calling init.
    static Manifest Inspect(const std::string& path);

    const Manifest& manifest() const { return manifest_; }
    const std::string& name() const { return manifest_.name; }

    // nullptr when the plugin does not provide the role.
    const jobber_broker_vtable* broker() const { return has_broker_ ? &broker_ : nullptr; }
    const jobber_state_vtable* state() const { return has_state_ ? &state_ : nullptr; }
    const jobber_source_vtable* source() const { return has_source_ ? &source_ : nullptr; }
    const jobber_results_vtable* results() const { return has_results_ ? &results_ : nullptr; }

    const jobber_host_api* host_api() const { return &host_api_; }

    // Tells the plugin every instance is closed. The library itself stays mapped.
    void Shutdown();

private:
    PluginLibrary() = default;

    Manifest manifest_;
    jobber_plugin_shutdown_fn shutdown_fn_ = nullptr;
    bool shut_down_ = false;
    jobber_host_api host_api_{};
    jobber_broker_vtable broker_{};
    jobber_state_vtable state_{};
    jobber_source_vtable source_{};
    jobber_results_vtable results_{};
    bool has_broker_ = false;
    bool has_state_ = false;
    bool has_source_ = false;
    bool has_results_ = false;
};

}  // namespace jobber::plugin
