#include "jobber/plugin/plugin_library.hpp"

#include <Poco/Logger.h>
#include <dlfcn.h>

#include <boost/dll/shared_library.hpp>
#include <cstring>
#include <mutex>
#include <vector>

#include "jobber/plugin/plugin_error.hpp"
#include "jobber/sdk/error.hpp"

namespace jobber::plugin {

namespace {

// Sizes of the ABI 1.0 structs (x86_64/LP64, pinned by tests/abi). Every 1.0 field is required;
// later minors append optional fields, so these stay the minimum a plugin may declare forever.
constexpr uint32_t kManifestV1Size = 64;
template <class Table>
constexpr uint32_t kVtableV1Size = 0;
template <>
constexpr uint32_t kVtableV1Size<jobber_broker_vtable> = 80;
template <>
constexpr uint32_t kVtableV1Size<jobber_state_vtable> = 96;
template <>
constexpr uint32_t kVtableV1Size<jobber_source_vtable> = 56;
template <>
constexpr uint32_t kVtableV1Size<jobber_results_vtable> = 88;

// Keeps every library mapped until exit: unloading while a plugin thread or static destructor
// may still run is the classic dlclose crash.
void KeepLoaded(boost::dll::shared_library library) {
    static std::mutex mutex;
    static auto* libraries = new std::vector<boost::dll::shared_library>();
    std::lock_guard<std::mutex> lock(mutex);
    libraries->push_back(std::move(library));
}

boost::dll::shared_library OpenLibrary(const std::string& path) {
    boost::dll::shared_library library;
    std::error_code ec;
    library.load(boost::dll::fs::path(path), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
    if (ec) {
        // Boost reports a generic errno; dlerror() still holds the loader's own reason.
        const char* detail = dlerror();
        throw PluginLoadError("cannot load plugin '" + path + "': " + (detail != nullptr ? detail : ec.message()));
    }
    return library;
}

template <class Fn>
Fn RequireSymbol(const boost::dll::shared_library& library, const std::string& path, const char* symbol) {
    if (!library.has(symbol)) {
        throw PluginLoadError("'" + path + "' is not a sql-jobber plugin: it does not export '" + symbol + "'");
    }
    return library.get<std::remove_pointer_t<Fn>>(symbol);
}

std::string SafeString(const char* s) {
    return s != nullptr ? std::string(s) : std::string();
}

Manifest CopyManifest(const jobber_manifest* raw, const std::string& path) {
    if (raw == nullptr) throw PluginLoadError("plugin '" + path + "' returned no manifest");
    // Only the ABI fields are read before the version check; their offsets are fixed forever.
    Manifest m;
    m.path = path;
    m.abi_major = raw->abi_major;
    m.abi_minor = raw->abi_minor;
    if (m.abi_major != JOBBER_ABI_MAJOR) {
        throw PluginLoadError("plugin '" + path + "' was built for plugin ABI " + std::to_string(raw->abi_major) + "." +
                              std::to_string(raw->abi_minor) + ", but this sql-jobber speaks ABI " +
                              std::to_string(JOBBER_ABI_MAJOR) + "." + std::to_string(JOBBER_ABI_MINOR) +
                              " (abi_major must be " + std::to_string(JOBBER_ABI_MAJOR) +
                              "); rebuild the plugin against the matching JobberSDK");
    }
    if (m.abi_minor > JOBBER_ABI_MINOR) {
        throw PluginLoadError("plugin '" + path + "' needs plugin ABI " + std::to_string(raw->abi_major) + "." +
                              std::to_string(raw->abi_minor) + ", newer than this sql-jobber's ABI " +
                              std::to_string(JOBBER_ABI_MAJOR) + "." + std::to_string(JOBBER_ABI_MINOR) +
                              "; upgrade sql-jobber or rebuild the plugin against an older JobberSDK");
    }
    static_assert(kManifestV1Size <= sizeof(jobber_manifest));
    if (raw->struct_size < kManifestV1Size) {
        throw PluginLoadError("plugin '" + path + "' has a truncated manifest (" + std::to_string(raw->struct_size) +
                              " bytes, ABI 1.0 has " + std::to_string(kManifestV1Size) + ")");
    }
    m.name = SafeString(raw->name);
    m.version = SafeString(raw->version);
    m.description = SafeString(raw->description);
    m.build_info = SafeString(raw->build_info);
    if (m.name.empty()) throw PluginLoadError("plugin '" + path + "' declares no name");
    for (char ch : m.name) {
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) {
            throw PluginLoadError("plugin '" + path + "' has an invalid name '" + m.name + "' (want [a-z0-9_]+)");
        }
    }
    for (uint32_t i = 0; i < raw->role_count && raw->roles != nullptr; ++i) {
        RoleInfo role;
        role.role = raw->roles[i].role;
        for (uint32_t f = 0; f < raw->roles[i].field_count && raw->roles[i].fields != nullptr; ++f) {
            const jobber_config_field& field = raw->roles[i].fields[f];
            ConfigFieldInfo info;
            info.name = SafeString(field.name);
            info.type = field.type;
            info.required = field.required != 0;
            info.has_default = field.default_value != nullptr;
            info.default_value = SafeString(field.default_value);
            info.doc = SafeString(field.doc);
            role.fields.push_back(std::move(info));
        }
        m.roles.push_back(std::move(role));
    }
    if (m.roles.empty()) throw PluginLoadError("plugin '" + path + "' declares no roles");
    return m;
}

void HostLog(void* host, int32_t level, const char* component, const char* message) {
    auto* library = static_cast<PluginLibrary*>(host);
    Poco::Logger& logger = Poco::Logger::get("jobber.plugin." + library->name());
    std::string text = "plugin=" + library->name();
    if (component != nullptr && component[0] != '\0') text += " instance=" + std::string(component);
    text += " ";
    text += message != nullptr ? message : "";
    switch (level) {
        case JOBBER_LOG_ERROR:
            logger.error(text);
            break;
        case JOBBER_LOG_WARNING:
            logger.warning(text);
            break;
        case JOBBER_LOG_INFO:
            logger.information(text);
            break;
        default:
            logger.debug(text);
            break;
    }
}

// Copies a plugin vtable into the host's zeroed table of the host's size.
template <class Table>
bool CopyVtable(const Table* from, Table* to, const char* role, const std::string& path) {
    if (from == nullptr) return false;
    constexpr uint32_t kV1Size = kVtableV1Size<Table>;
    static_assert(kV1Size > 0 && kV1Size <= sizeof(Table));
    if (from->struct_size < kV1Size) {
        throw PluginLoadError("plugin '" + path + "' has a " + role + " vtable of " +
                              std::to_string(from->struct_size) + " bytes, smaller than ABI 1.0's " +
                              std::to_string(kV1Size));
    }
    std::memcpy(static_cast<void*>(to), from, std::min<size_t>(from->struct_size, sizeof(Table)));
    to->struct_size = sizeof(Table);
    return true;
}

}  // namespace

Manifest PluginLibrary::Inspect(const std::string& path) {
    auto library = OpenLibrary(path);
    auto manifest_fn = RequireSymbol<jobber_plugin_manifest_fn>(library, path, JOBBER_PLUGIN_MANIFEST_SYMBOL);
    Manifest m = CopyManifest(manifest_fn(), path);
    KeepLoaded(std::move(library));
    return m;
}

std::shared_ptr<PluginLibrary> PluginLibrary::Load(const std::string& path) {
    auto library = OpenLibrary(path);
    auto manifest_fn = RequireSymbol<jobber_plugin_manifest_fn>(library, path, JOBBER_PLUGIN_MANIFEST_SYMBOL);
    auto init_fn = RequireSymbol<jobber_plugin_init_fn>(library, path, JOBBER_PLUGIN_INIT_SYMBOL);
    auto shutdown_fn = RequireSymbol<jobber_plugin_shutdown_fn>(library, path, JOBBER_PLUGIN_SHUTDOWN_SYMBOL);

    std::shared_ptr<PluginLibrary> self(new PluginLibrary());
    self->shutdown_fn_ = shutdown_fn;
    self->manifest_ = CopyManifest(manifest_fn(), path);
    self->host_api_.struct_size = sizeof(jobber_host_api);
    self->host_api_.host = self.get();
    self->host_api_.log = &HostLog;

    jobber_plugin_vtables tables{};
    tables.struct_size = sizeof(tables);
    // From here on plugin code runs and may leave threads or callbacks behind: never unload it,
    // even if it is refused below.
    KeepLoaded(std::move(library));
    jobber::sdk::ErrorSlot error;
    const jobber_code code = init_fn(&self->host_api_, JOBBER_ABI_MINOR, &tables, error.get());
    if (code != JOBBER_OK) {
        throw PluginLoadError("plugin '" + self->manifest_.name + "' (" + path +
                              ") failed to initialise: " + jobber::sdk::CodeName(code) + ": " + error.message());
    }
    self->has_broker_ = CopyVtable(tables.broker, &self->broker_, "broker", path);
    self->has_state_ = CopyVtable(tables.state, &self->state_, "state", path);
    self->has_source_ = CopyVtable(tables.source, &self->source_, "source", path);
    self->has_results_ = CopyVtable(tables.results, &self->results_, "results", path);

    // Declared roles and provided vtables must agree, or config validation would lie.
    auto check = [&](uint32_t role, bool provided) {
        const bool declared = self->manifest_.FindRole(role) != nullptr;
        if (declared != provided) {
            throw PluginLoadError("plugin '" + self->manifest_.name + "' (" + path + ") " +
                                  (declared ? "declares" : "does not declare") + " the " + RoleName(role) +
                                  " role but " + (provided ? "provides" : "does not provide") + " its vtable");
        }
    };
    check(JOBBER_ROLE_BROKER, self->has_broker_);
    check(JOBBER_ROLE_STATE, self->has_state_);
    check(JOBBER_ROLE_SOURCE, self->has_source_);
    check(JOBBER_ROLE_RESULTS, self->has_results_);

    Poco::Logger::get("jobber.plugin")
        .information("plugin loaded plugin=" + self->manifest_.name + " version=" + self->manifest_.version + " abi=" +
                     std::to_string(self->manifest_.abi_major) + "." + std::to_string(self->manifest_.abi_minor) +
                     " roles=" + self->manifest_.RoleNames() + " path=" + path);
    return self;
}

void PluginLibrary::Shutdown() {
    if (shut_down_ || shutdown_fn_ == nullptr) return;
    shut_down_ = true;
    shutdown_fn_();
}

}  // namespace jobber::plugin
