#include "mysql_source.hpp"

#include <errmsg.h>
#include <mysqld_error.h>

#include <utility>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"
#include "mysql_error.hpp"
#include "mysql_row_stream.hpp"
#include "param_binder.hpp"
#include "row_reader.hpp"

namespace jobber::mysql {

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

int64_t NonNegativeDuration(const sdk::Config& config, const std::string& key, int64_t fallback) {
    const int64_t value = config.GetDurationMs(key, fallback);
    if (value < 0) throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key '" + key + "' must not be negative");
    return value;
}

// A stale connection fails on its first use: retrying once on a fresh one is safe then, since the
// statement never reached the server (gone) or the server dropped the session (lost) before rows.
bool RetryOnFreshConnection(const sdk::Error& e) {
    return e.vendor_code() == CR_SERVER_GONE_ERROR || e.vendor_code() == CR_SERVER_LOST;
}

}  // namespace

SourceSettings ParseSourceSettings(const sdk::Config& config) {
    SourceSettings settings;
    settings.connection.endpoint = ParseDsn(config.RequireString("dsn"));
    settings.connection.connect_timeout_ms = NonNegativeDuration(config, "connect_timeout", 10000);
    settings.connection.read_timeout_ms = NonNegativeDuration(config, "read_timeout", 0);
    settings.connection.write_timeout_ms = NonNegativeDuration(config, "write_timeout", 0);
    const int64_t max_connections = config.GetInt("max_connections", 4);
    if (max_connections < 1 || max_connections > 1024) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'max_connections' must be between 1 and 1024, got " +
                                                      std::to_string(max_connections));
    }
    settings.max_connections = static_cast<size_t>(max_connections);
    return settings;
}

QueryKiller::QueryKiller(ConnectionOptions options) : options_(std::move(options)) {}

void QueryKiller::KillQuery(unsigned long thread_id) {
    // A number we got from the client library, not user input: nothing to bind or quote.
    const std::string sql = "KILL QUERY " + std::to_string(thread_id);
    const std::string context = "KILL QUERY " + std::to_string(thread_id) + " on " + options_.endpoint.Describe();
    std::lock_guard<std::mutex> lock(mutex_);
    for (int attempt = 0;; ++attempt) {
        try {
            if (connection_ == nullptr) connection_ = std::make_unique<MysqlConnection>(options_);
            connection_->Exec(sql, context);
            return;
        } catch (const sdk::Error& e) {
            if (e.vendor_code() == ER_NO_SUCH_THREAD) return;  // the query (and its session) already ended
            connection_.reset();
            // The side connection may have gone stale between cancels: one retry on a fresh one.
            if (attempt > 0) throw;
        }
    }
}

const std::vector<jobber_config_field>& MysqlSource::ConfigFields() {
    static const std::vector<jobber_config_field> fields = {
        {"dsn", JOBBER_FIELD_SECRET, 1, nullptr,
         "mysql://user:password@host:port/database, or mysql://user:password@/database?socket=/path; TLS: "
         "?tls=disabled|preferred|required|verify-ca|verify-full (default preferred)&tls_ca=&tls_cert=&tls_key="},
        {"max_connections", JOBBER_FIELD_INT, 0, "4", "connections opened at most; queries beyond wait for one"},
        {"connect_timeout", JOBBER_FIELD_DURATION, 0, "10000", "how long opening a connection may take"},
        {"read_timeout", JOBBER_FIELD_DURATION, 0, "0",
         "longest wait for the server to send anything (0 = none; a query computing longer fails)"},
        {"write_timeout", JOBBER_FIELD_DURATION, 0, "0", "longest wait to send to the server (0 = none)"},
    };
    return fields;
}

MysqlSource::MysqlSource(const sdk::OpenArgs& args)
    : instance_name_(args.instance_name),
      pool_([&] {
          SourceSettings settings = ParseSourceSettings(args.config);
          return std::make_shared<ConnectionPool>(std::move(settings.connection), settings.max_connections);
      }()),
      killer_(std::make_shared<QueryKiller>(pool_->options())),
      registry_(std::make_shared<QueryRegistry>(
          [killer = killer_](unsigned long thread_id) { killer->KillQuery(thread_id); })) {
    sdk::Log(sdk::LogLevel::kInfo, instance_name_,
             "mysql source opened endpoint=" + pool_->options().endpoint.Describe() + " " +
                 pool_->options().endpoint.DescribeTls() +
                 " max_connections=" + std::to_string(pool_->max_connections()));
}

int32_t MysqlSource::Prepare(std::string_view task_name, std::string_view sql, bool raw) {
    // Raw tasks are not prepared: they may hold statements the prepared protocol does not take.
    if (raw) return -1;
    const std::string context = TaskContext(task_name);
    Lease lease = pool_->Acquire(nullptr);
    MYSQL_STMT* stmt = lease->CachedStatement(CacheKey(task_name, sql), sql, context);
    return static_cast<int32_t>(mysql_stmt_param_count(stmt));
}

std::unique_ptr<sdk::RowStream> MysqlSource::Execute(const sdk::Query& query) {
    const std::string context = TaskContext(query.task_name);
    // Registered before waiting for a connection, so a cancel or timeout also ends the wait.
    auto registration = std::make_unique<QueryRegistration>(registry_, query.id, query.timeout_ms);
    try {
        return ExecuteOnce(query, registration, context);
    } catch (const sdk::Error& e) {
        if (!RetryOnFreshConnection(e) || registration->control().ShouldStop()) throw;
        sdk::Log(sdk::LogLevel::kWarning, instance_name_,
                 context + ": retrying once on a new connection after: " + std::string(e.what()));
        return ExecuteOnce(query, registration, context);
    }
}

std::unique_ptr<sdk::RowStream> MysqlSource::ExecuteOnce(const sdk::Query& query,
                                                         std::unique_ptr<QueryRegistration>& registration,
                                                         const std::string& context) {
    QueryControl& control = registration->control();
    Lease lease = pool_->Acquire([&control] { control.Check(); });
    registration->Attach(lease->thread_id());
    // After Attach: a cancel from now on kills the thread; one before it is seen here.
    control.Check();

    MYSQL_STMT* stmt = nullptr;
    Statement owned;
    ParamBinder binder;
    std::unique_ptr<RowReader> reader;
    try {
        // Raw tasks with arguments still bind them, on a statement prepared for this run only:
        // arguments are never spliced into SQL text.
        if (!query.raw) {
            stmt = lease->CachedStatement(CacheKey(query.task_name, query.sql), query.sql, context);
        } else if (query.param_count > 0) {
            owned = lease->Prepare(query.sql, context);
            stmt = owned.get();
        }
        if (stmt != nullptr) {
            binder.Bind(stmt, query.params, query.param_count, context);
            if (mysql_stmt_execute(stmt) != 0) ThrowStatement(stmt, context);
            if (mysql_stmt_field_count(stmt) > 0) reader = std::make_unique<BinaryRowReader>(stmt, context);
        } else {
            MYSQL* mysql = lease->handle();
            if (mysql_real_query(mysql, query.sql.data(), static_cast<unsigned long>(query.sql.size())) != 0) {
                ThrowMysql(mysql, context);
            }
            Result result(mysql_use_result(mysql));
            if (result == nullptr && mysql_field_count(mysql) != 0) ThrowMysql(mysql, context);
            if (result != nullptr) reader = std::make_unique<TextRowReader>(mysql, std::move(result), context);
        }
    } catch (const sdk::Error& e) {
        // Before the lease goes back: waits for a KILL in flight, and none can follow.
        registry_->Detach(control);
        if (IsConnectionError(static_cast<unsigned int>(e.vendor_code())) || control.killed()) lease->MarkBroken();
        if (stmt != nullptr && !lease->broken()) mysql_stmt_free_result(stmt);
        if (control.ShouldStop()) control.ThrowStopped();
        throw;
    }
    return std::make_unique<MysqlRowStream>(std::move(lease), std::move(registration), stmt, std::move(owned),
                                            std::move(reader), query.batch_rows, context);
}

void MysqlSource::Cancel(uint64_t query_id) {
    registry_->Cancel(query_id);
    pool_->WakeWaiters();  // a query still waiting for a connection sees the cancel now
}

void MysqlSource::Ping() {
    const std::string context = "ping of MySQL " + pool_->options().endpoint.Describe();
    pool_->WithFreeOrSpare([&](MysqlConnection& connection) { connection.PingWithin(context, kPingTimeoutMs); });
}

}  // namespace jobber::mysql
