#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace jobber::config {

// One plugin instance from the config: the subtree under db.<name>, results.<name>, job_queue.broker or
// job_queue.state. `options` holds every key except `type` (and `results_table`) as text, unvalidated: the host checks
// them against the plugin's declared fields with CanonicalPluginOptions once the plugin is loaded.
struct PluginInstanceSettings {
    std::string name;                            // the config key ("main" under db:), or "broker"/"state"
    std::string type;                            // the plugin name that provides it, [a-z0-9_]+
    std::map<std::string, std::string> options;  // lists arrive joined with ","
    std::string origin;                          // "file:line" of the instance, for error messages
    uint32_t max_concurrency = 0;  // db only: most queries at once on this database in this process; 0 = no cap
};

struct ResultsSettings : PluginInstanceSettings {
    // Table name per job; "%s" is replaced by the job id. Exactly one "%s", otherwise [A-Za-z0-9_].
    std::string results_table = "results_%s";
};

// The whole config file, parsed and checked once at start-up; nothing else in the host reads YAML.
struct Settings {
    struct App {
        std::string log_level = "info";  // error|warning|info|debug
        std::chrono::milliseconds default_job_ttl = std::chrono::hours(24);
        std::string log_format = "text";  // text|json
        // How often expired results tables are dropped.
        std::chrono::milliseconds expiry_sweep_interval = std::chrono::seconds(30);
        // How long a worker holds a job without renewing it; a job whose worker died is delivered
        // again this long after the last renewal (renewed every quarter of it while it runs).
        std::chrono::milliseconds job_lease = std::chrono::seconds(60);
    } app;
    struct Server {
        std::string address = "127.0.0.1:6060";  // host:port (see ParseListenAddress); overridden by --server
        std::string auth_token;  // empty: no authentication; also from auth_token_file or SQL_JOBBER_SERVER__AUTH_TOKEN
        std::chrono::milliseconds shutdown_grace = std::chrono::seconds(30);
        size_t max_body_bytes = 1 << 20;
    } server;
    struct Plugins {
        std::vector<std::string> directories;  // searched before the built-in plugin directory
    } plugins;
    struct JobQueue {
        // The in-process queue and state store, so a config without job_queue runs on one machine.
        PluginInstanceSettings broker{"broker", "memory", {}, {}};
        PluginInstanceSettings state{"state", "memory", {}, {}};
    } job_queue;
    std::map<std::string, PluginInstanceSettings> db;  // by name; at least one
    std::map<std::string, ResultsSettings> results;    // by name; at least one
};

}  // namespace jobber::config
