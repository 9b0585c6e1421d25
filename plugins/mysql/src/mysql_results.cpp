#include "mysql_results.hpp"

#include "identifiers.hpp"
#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"
#include "results_catalog.hpp"

namespace jobber::mysql {

namespace {

// Strict: a value that does not fit its column fails the job instead of being silently changed.
// NO_ENGINE_SUBSTITUTION: an unknown `engine` fails instead of quietly becoming the default.
// lock_wait_timeout bounds every metadata lock wait of the session: the RENAME of a re-run behind readers of the
// old table (which new readers queue behind), and the sweep's DROP.
std::string ResultsSessionSql(int64_t lock_wait_s) {
    std::string sql =
        "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
        "NO_ENGINE_SUBSTITUTION'";
    if (lock_wait_s > 0) sql += ", SESSION lock_wait_timeout = " + std::to_string(lock_wait_s);
    return sql;
}

int64_t NonNegativeDuration(const sdk::Config& config, const std::string& key, int64_t fallback) {
    const int64_t value = config.GetDurationMs(key, fallback);
    if (value < 0) throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key '" + key + "' must not be negative");
    return value;
}

}  // namespace

ResultsSettings ParseResultsSettings(const sdk::Config& config) {
    ResultsSettings settings;
    settings.connection.endpoint = ParseDsn(config.RequireString("dsn"));
    settings.connection.connect_timeout_ms = NonNegativeDuration(config, "connect_timeout", 10000);
    // Bounded by default, unlike the source's (a query may compute for hours): every statement here is short, so a
    // server silent this long is stopped or wedged, and the job fails instead of holding its worker.
    settings.connection.read_timeout_ms = NonNegativeDuration(config, "read_timeout", 60000);
    settings.connection.write_timeout_ms = NonNegativeDuration(config, "write_timeout", 60000);
    // lock_wait_timeout counts whole seconds: rounded up once, and compared as the server will wait.
    const int64_t lock_wait_s = (NonNegativeDuration(config, "replace_lock_timeout", 10000) + 999) / 1000;
    settings.writer.replace_lock_timeout_s = lock_wait_s;
    const int64_t read_timeout = settings.connection.read_timeout_ms;
    if (read_timeout > 0 && (lock_wait_s == 0 || lock_wait_s * 1000 >= read_timeout)) {
        // Otherwise a re-run waiting for its lock would be cut off as a lost connection, losing the clear error.
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         "config key 'replace_lock_timeout' (" +
                             (lock_wait_s == 0 ? std::string("0 = no limit")
                                               : std::to_string(lock_wait_s * 1000) + " ms in whole seconds") +
                             ") must be shorter than 'read_timeout' (" + std::to_string(read_timeout) +
                             " ms), which bounds every wait for the server; raise read_timeout or set it to 0");
    }
    settings.connection.local_infile = true;
    settings.connection.session_sql = ResultsSessionSql(lock_wait_s);
    const int64_t max_connections = config.GetInt("max_connections", 4);
    if (max_connections < 1 || max_connections > 1024) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'max_connections' must be between 1 and 1024, got " +
                                                      std::to_string(max_connections));
    }
    settings.max_connections = static_cast<size_t>(max_connections);
    const std::string method = config.GetString("write_method", "insert");
    if (method == "load_data") {
        settings.writer.method = WriteMethod::kLoadData;
    } else if (method == "insert") {
        settings.writer.method = WriteMethod::kInsert;
    } else {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         "config key 'write_method' must be load_data or insert, got '" + method + "'");
    }
    settings.writer.engine = config.GetString("engine", "InnoDB");
    // Spliced into CREATE TABLE (engines are keywords, not values), so only a plain name passes.
    if (settings.writer.engine.empty() || settings.writer.engine.size() > 64 ||
        settings.writer.engine.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
            std::string::npos) {
        throw sdk::Error(
            JOBBER_INVALID_ARGUMENT,
            "config key 'engine' must be a storage engine name such as InnoDB, got '" + settings.writer.engine + "'");
    }
    return settings;
}

const std::vector<jobber_config_field>& MysqlResults::ConfigFields() {
    static const std::vector<jobber_config_field> fields = {
        {"dsn", JOBBER_FIELD_SECRET, 1, nullptr,
         "mysql://user:password@host:port/database, or mysql://user:password@/database?socket=/path; TLS: "
         "?tls=disabled|preferred|required|verify-ca|verify-full (default preferred)&tls_ca=&tls_cert=&tls_key="},
        {"max_connections", JOBBER_FIELD_INT, 0, "4", "connections opened at most; each writing job holds one"},
        {"connect_timeout", JOBBER_FIELD_DURATION, 0, "10000", "how long opening a connection may take"},
        {"read_timeout", JOBBER_FIELD_DURATION, 0, "60000",
         "longest wait for the server to answer (a stopped or wedged server then fails the job UNAVAILABLE "
         "instead of holding its worker); must exceed replace_lock_timeout; 0 = none"},
        {"write_timeout", JOBBER_FIELD_DURATION, 0, "60000", "longest wait to send to the server (0 = none)"},
        {"replace_lock_timeout", JOBBER_FIELD_DURATION, 0, "10000",
         "how long a re-run of a job ID waits to replace its table while a reader holds the old one (it then "
         "fails, keeping the old table; new readers queue behind the wait); whole seconds; 0 = the server's "
         "lock_wait_timeout"},
        {"write_method", JOBBER_FIELD_STRING, 0, "insert",
         "insert (multi-row prepared INSERTs, the faster in bench/mysql) or load_data (LOAD DATA LOCAL INFILE "
         "streamed from memory; needs local_infile=ON on the server)"},
        {"engine", JOBBER_FIELD_STRING, 0, "InnoDB", "storage engine of result tables"},
    };
    return fields;
}

MysqlResults::MysqlResults(const sdk::OpenArgs& args)
    : instance_name_(args.instance_name),
      settings_(ParseResultsSettings(args.config)),
      pool_(std::make_shared<ConnectionPool>(settings_.connection, settings_.max_connections)) {
    // Try now, so a wrong DSN or missing privilege shows at start-up; a server that is merely down
    // must not stop sql-jobber from starting, so that case waits for the first use.
    try {
        Acquire();
    } catch (const sdk::Error& e) {
        if (e.code() != JOBBER_UNAVAILABLE) throw;
        sdk::Log(sdk::LogLevel::kWarning, instance_name_,
                 std::string(e.what()) + "; jobs writing here fail until the server is reachable");
    }
    sdk::Log(sdk::LogLevel::kInfo, instance_name_,
             "mysql results backend opened endpoint=" + settings_.connection.endpoint.Describe() + " " +
                 settings_.connection.endpoint.DescribeTls() +
                 " write_method=" + (settings_.writer.method == WriteMethod::kLoadData ? "load_data" : "insert") +
                 " engine=" + settings_.writer.engine);
}

Lease MysqlResults::Acquire() {
    Lease lease = pool_->Acquire(nullptr);
    if (!catalog_ready_.load()) {
        CreateCatalog(*lease);  // IF NOT EXISTS: racing first uses are harmless
        catalog_ready_.store(true);
    }
    return lease;
}

std::unique_ptr<sdk::ResultsWriter> MysqlResults::Begin(const sdk::ResultsTarget& target, const sdk::Schema& schema) {
    CheckTableName(target.table_name);
    return std::make_unique<MysqlResultsWriter>(Acquire(), target, schema, settings_.writer, instance_name_);
}

void MysqlResults::Drop(std::string_view table_name) {
    CheckTableName(table_name);
    Lease lease = Acquire();
    lease->Exec("DROP TABLE IF EXISTS " + QuoteIdentifier(table_name),
                "cannot drop result table '" + std::string(table_name) + "'");
    ForgetTable(*lease, table_name);
}

uint64_t MysqlResults::Sweep(int64_t now_unix_ms) {
    Lease lease = Acquire();
    uint64_t dropped = 0;
    for (const std::string& table : ExpiredTables(*lease, now_unix_ms)) {
        const std::string context = "cannot sweep result table '" + table + "'";
        if (TableExists(*lease, table)) {
            lease->Exec("DROP TABLE IF EXISTS " + QuoteIdentifier(table), context);
            ++dropped;
        }
        ForgetTable(*lease, table);
    }
    if (dropped > 0) {
        sdk::Log(sdk::LogLevel::kInfo, instance_name_, "swept " + std::to_string(dropped) + " expired result tables");
    }
    return dropped;
}

void MysqlResults::Ping() {
    const std::string context = "ping of MySQL " + settings_.connection.endpoint.Describe();
    pool_->WithFreeOrSpare([&](MysqlConnection& connection) { connection.PingWithin(context, kPingTimeoutMs); });
}

}  // namespace jobber::mysql
