#include "sqlite_source.hpp"

#include <utility>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"
#include "sqlite_error.hpp"
#include "sqlite_row_stream.hpp"
#include "value_binder.hpp"

namespace jobber::sqlite {

namespace {

std::string TaskContext(std::string_view task_name) {
    return "task '" + std::string(task_name) + "'";
}

// Statements are cached per task and per SQL text, so a task whose SQL changes gets a new entry.
std::string CacheKey(std::string_view task_name, std::string_view sql) {
    std::string key(task_name);
    key.push_back('\0');
    key.append(sql);
    return key;
}

}  // namespace

SourceSettings ParseSourceSettings(const sdk::Config& config) {
    SourceSettings settings;
    settings.connection.dsn = config.RequireString("dsn");
    settings.connection.read_only = config.GetBool("read_only", true);
    settings.connection.busy_timeout_ms = config.GetDurationMs("busy_timeout", 5000);
    if (settings.connection.busy_timeout_ms < 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'busy_timeout' must not be negative");
    }
    const int64_t max_connections = config.GetInt("max_connections", 4);
    if (max_connections < 1 || max_connections > 1024) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'max_connections' must be between 1 and 1024, got " +
                                                      std::to_string(max_connections));
    }
    settings.max_connections = static_cast<size_t>(max_connections);
    return settings;
}

const std::vector<jobber_config_field>& SqliteSource::ConfigFields() {
    static const std::vector<jobber_config_field> fields = {
        {"dsn", JOBBER_FIELD_STRING, 1, nullptr, "database file path or file: URI"},
        {"max_connections", JOBBER_FIELD_INT, 0, "4", "connections opened at most; queries beyond wait for one"},
        {"busy_timeout", JOBBER_FIELD_DURATION, 0, "5000", "how long to wait for a locked database"},
        {"read_only", JOBBER_FIELD_BOOL, 0, "true", "open with SQLITE_OPEN_READONLY so tasks cannot write"},
    };
    return fields;
}

SqliteSource::SqliteSource(const sdk::OpenArgs& args)
    : instance_name_(args.instance_name),
      pool_([&] {
          SourceSettings settings = ParseSourceSettings(args.config);
          return std::make_shared<ConnectionPool>(std::move(settings.connection), settings.max_connections);
      }()),
      registry_(std::make_shared<QueryRegistry>()) {
    sdk::Log(sdk::LogLevel::kInfo, instance_name_,
             "sqlite source opened dsn=" + pool_->options().dsn +
                 " read_only=" + (pool_->options().read_only ? "true" : "false"));
}

int32_t SqliteSource::Prepare(std::string_view task_name, std::string_view sql, bool raw) {
    // Raw tasks are compiled per execution, as their SQL may depend on state at run time.
    if (raw) return -1;
    Lease lease = pool_->Acquire(nullptr);
    sqlite3_stmt* stmt = lease->CachedStatement(CacheKey(task_name, sql), sql, TaskContext(task_name));
    return sqlite3_bind_parameter_count(stmt);
}

std::unique_ptr<sdk::RowStream> SqliteSource::Execute(const sdk::Query& query) {
    const std::string context = TaskContext(query.task_name);
    // Registered before waiting for a connection, so a cancel or timeout also ends the wait.
    auto registration = std::make_unique<QueryRegistration>(registry_, query.id, query.timeout_ms);
    QueryControl& control = registration->control();
    Lease lease = pool_->Acquire([&control] { control.Check(); });
    control.Check();

    sqlite3_stmt* stmt = nullptr;
    Statement owned;
    if (query.raw) {
        owned = lease->Prepare(query.sql, context);
        stmt = owned.get();
    } else {
        stmt = lease->CachedStatement(CacheKey(query.task_name, query.sql), query.sql, context);
    }
    try {
        BindParams(stmt, query.params, query.param_count, context);
    } catch (...) {
        sqlite3_clear_bindings(stmt);
        throw;
    }
    // From here the stream owns the cleanup: unregistering, removing the handler, resetting.
    return std::make_unique<SqliteRowStream>(std::move(lease), stmt, std::move(owned), std::move(registration),
                                             query.batch_rows, context);
}

void SqliteSource::Cancel(uint64_t query_id) {
    registry_->Cancel(query_id);
    pool_->WakeWaiters();  // a query still waiting for a connection sees the cancel now
}

void SqliteSource::Ping() {
    // Reading the schema makes SQLite actually open and check the file, which SELECT 1 alone would not.
    const std::string context = "ping of SQLite database '" + pool_->options().dsn + "'";
    pool_->WithFreeOrSpare(
        [&](SqliteConnection& connection) { connection.Exec("SELECT 1 FROM sqlite_schema LIMIT 1", context); });
}

}  // namespace jobber::sqlite
