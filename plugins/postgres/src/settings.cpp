#include "settings.hpp"

#include "jobber/sdk/error.hpp"

namespace jobber::postgres {

namespace {

ConnectionSettings ParseConnection(const sdk::Config& config, const std::string& instance_name) {
    ConnectionSettings connection;
    connection.dsn = config.RequireString("dsn");
    connection.connect_timeout_ms = config.GetDurationMs("connect_timeout", 5000);
    if (connection.connect_timeout_ms <= 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'connect_timeout' must be positive");
    }
    connection.component = instance_name;
    return connection;
}

size_t ParseMaxConnections(const sdk::Config& config, int64_t fallback) {
    const int64_t value = config.GetInt("max_connections", fallback);
    if (value < 1 || value > 1000) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         "config key 'max_connections' must be between 1 and 1000, got " + std::to_string(value));
    }
    return static_cast<size_t>(value);
}

}  // namespace

const std::vector<jobber_config_field>& SourceConfigFields() {
    static const std::vector<jobber_config_field> fields = {
        {"dsn", JOBBER_FIELD_SECRET, 1, nullptr,
         "libpq connection URI or key=value string (postgresql://user:password@host:5432/dbname)"},
        {"max_connections", JOBBER_FIELD_INT, 0, "4", "connections opened at most; queries beyond wait for one"},
        {"connect_timeout", JOBBER_FIELD_DURATION, 0, "5000", "how long opening a connection may take (whole seconds)"},
    };
    return fields;
}

const std::vector<jobber_config_field>& ResultsConfigFields() {
    static const std::vector<jobber_config_field> fields = {
        {"dsn", JOBBER_FIELD_SECRET, 1, nullptr,
         "libpq connection URI or key=value string (postgresql://user:password@host:5432/dbname)"},
        {"max_connections", JOBBER_FIELD_INT, 0, "8",
         "connections opened at most; each job writing holds one, others wait"},
        {"connect_timeout", JOBBER_FIELD_DURATION, 0, "5000", "how long opening a connection may take (whole seconds)"},
        {"unlogged", JOBBER_FIELD_BOOL, 0, "false",
         "create result tables UNLOGGED: faster to write, emptied after a server crash, not replicated"},
        {"copy_format", JOBBER_FIELD_STRING, 0, "binary", "COPY format for writing rows: binary or text"},
        {"replace_lock_timeout", JOBBER_FIELD_DURATION, 0, "10000",
         "how long a re-run of a job ID waits to replace its table while a reader holds the old one (it then "
         "fails, keeping the old table; new readers queue behind the wait); 0 = no limit"},
        {"io_timeout", JOBBER_FIELD_DURATION, 0, "60000",
         "longest wait for the server to take data or answer (a stopped or unreachable server fails the job "
         "UNAVAILABLE instead of holding its worker); bounds lock waits too, so keep it above "
         "replace_lock_timeout; 0 = no limit"},
    };
    return fields;
}

SourceSettings ParseSourceSettings(const sdk::Config& config, const std::string& instance_name) {
    SourceSettings settings;
    settings.connection = ParseConnection(config, instance_name);
    settings.max_connections = ParseMaxConnections(config, 4);
    return settings;
}

ResultsSettings ParseResultsSettings(const sdk::Config& config, const std::string& instance_name) {
    ResultsSettings settings;
    settings.connection = ParseConnection(config, instance_name);
    settings.max_connections = ParseMaxConnections(config, 8);
    settings.unlogged = config.GetBool("unlogged", false);
    settings.copy_format = ParseCopyFormat(config.GetString("copy_format", "binary"));
    settings.replace_lock_timeout_ms = config.GetDurationMs("replace_lock_timeout", 10000);
    if (settings.replace_lock_timeout_ms < 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'replace_lock_timeout' must not be negative");
    }
    settings.connection.io_timeout_ms = config.GetDurationMs("io_timeout", 60000);
    if (settings.connection.io_timeout_ms < 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'io_timeout' must not be negative");
    }
    const int64_t io_timeout = settings.connection.io_timeout_ms;
    const int64_t lock_wait = settings.replace_lock_timeout_ms;
    if (io_timeout > 0 && (lock_wait == 0 || lock_wait >= io_timeout)) {
        // Otherwise a re-run waiting for its lock would be cut off as a dead server, losing the clear error.
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         "config key 'replace_lock_timeout' (" +
                             (lock_wait == 0 ? std::string("0 = no limit") : std::to_string(lock_wait) + " ms") +
                             ") must be shorter than 'io_timeout' (" + std::to_string(io_timeout) +
                             " ms), which bounds every wait on the server; raise io_timeout or set it to 0");
    }
    return settings;
}

}  // namespace jobber::postgres
