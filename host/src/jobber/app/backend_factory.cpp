#include "jobber/app/backend_factory.hpp"

#include <stdexcept>

#include "jobber/config/plugin_options.hpp"

namespace jobber::app {

namespace {

template <class Client>
std::unique_ptr<Client> Open(const plugin::PluginCatalog& catalog,
                             const config::PluginInstanceSettings& instance,
                             uint32_t role,
                             const std::string& section) {
    const std::string where = (instance.origin.empty() ? "" : instance.origin + ": ") + section;
    auto library = catalog.Require(instance.type, role, where);
    const plugin::RoleInfo* info = library->manifest().FindRole(role);
    const auto fields = info->CFields();
    auto options =
        config::CanonicalPluginOptions(instance, fields.data(), static_cast<uint32_t>(fields.size()), section);
    try {
        return std::make_unique<Client>(library, instance.name, std::move(options));
    } catch (const std::exception& e) {
        throw std::runtime_error(where + ": " + e.what());
    }
}

}  // namespace

service::Backends OpenBackends(const config::Settings& settings, const plugin::PluginCatalog& catalog) {
    service::Backends backends;
    backends.broker =
        Open<plugin::BrokerClient>(catalog, settings.job_queue.broker, JOBBER_ROLE_BROKER, "job_queue.broker");
    backends.state = Open<plugin::StateClient>(catalog, settings.job_queue.state, JOBBER_ROLE_STATE, "job_queue.state");
    for (const auto& [name, db] : settings.db) {
        backends.sources[name] = Open<plugin::SourceClient>(catalog, db, JOBBER_ROLE_SOURCE, "db." + name);
    }
    for (const auto& [name, results] : settings.results) {
        service::ResultsBackendEntry entry;
        entry.client = Open<plugin::ResultsClient>(catalog, results, JOBBER_ROLE_RESULTS, "results." + name);
        entry.table_format = results.results_table;
        backends.results[name] = std::move(entry);
    }
    return backends;
}

void DefaultBrokerPrefetch(config::Settings& settings, const plugin::PluginCatalog& catalog, int workers) {
    auto& broker = settings.job_queue.broker;
    if (workers <= 0 || broker.options.count("prefetch") != 0) return;
    const auto plugin = catalog.plugins().find(broker.type);
    if (plugin == catalog.plugins().end()) return;  // OpenBackends names the unknown type
    const plugin::RoleInfo* role = plugin->second->manifest().FindRole(JOBBER_ROLE_BROKER);
    if (role == nullptr) return;
    for (const auto& field : role->fields) {
        if (field.name == "prefetch") {
            broker.options["prefetch"] = std::to_string(workers);
            return;
        }
    }
}

}  // namespace jobber::app
