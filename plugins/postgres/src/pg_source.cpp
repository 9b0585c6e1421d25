#include "pg_source.hpp"

#include <utility>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"
#include "pg_error.hpp"
#include "pg_query.hpp"
#include "pg_row_stream.hpp"
#include "settings.hpp"

namespace jobber::postgres {

namespace {

std::string TaskContext(std::string_view task_name) {
    return "task '" + std::string(task_name) + "'";
}

// A connection that sat idle in the pool may have been closed by a server restart without the
// socket showing it yet; its failure is retried on another one, at most once per pooled connection.
bool WorthRetrying(const sdk::Error& e, bool reused, bool broken) {
    return reused && broken && e.code() == JOBBER_UNAVAILABLE;
}

}  // namespace

const std::vector<jobber_config_field>& PgSource::ConfigFields() {
    return SourceConfigFields();
}

PgSource::PgSource(const sdk::OpenArgs& args)
    : instance_name_(args.instance_name),
      pool_([&] {
          SourceSettings settings = ParseSourceSettings(args.config, args.instance_name);
          return std::make_shared<ConnectionPool>(std::move(settings.connection), settings.max_connections);
      }()),
      registry_(std::make_shared<QueryRegistry>()) {
    // Connect once now, so a wrong DSN or password stops start-up with a clear message.
    Lease lease = pool_->Acquire(nullptr);
    sdk::Log(sdk::LogLevel::kInfo, instance_name_,
             "postgres source opened " + lease->description() +
                 " server_version=" + std::to_string(PQserverVersion(lease->handle())));
}

int32_t PgSource::Prepare(std::string_view task_name, std::string_view sql, bool raw) {
    // Raw tasks are sent as they are at run time; nothing to check or prepare ahead.
    if (raw) return -1;
    const std::string context = TaskContext(task_name);
    for (size_t attempt = 0;; ++attempt) {
        Lease lease = pool_->Acquire(nullptr);
        const bool reused = lease.reused();
        try {
            int param_count = 0;
            lease->Prepared(StatementKey(task_name, sql), sql, context, &param_count);
            return param_count;
        } catch (const sdk::Error& e) {
            const bool broken = PQstatus(lease->handle()) != CONNECTION_OK;
            if (broken) lease.Discard();
            if (!WorthRetrying(e, reused, broken) || attempt > pool_->open_count()) throw;
        }
    }
}

std::unique_ptr<sdk::RowStream> PgSource::Execute(const sdk::Query& query) {
    const std::string context = TaskContext(query.task_name);
    // Registered before waiting for a connection, so a cancel or timeout also ends the wait.
    auto registration = std::make_unique<QueryRegistration>(registry_, query.id, query.timeout_ms, instance_name_);
    QueryControl& control = registration->control();
    for (size_t attempt = 0;; ++attempt) {
        Lease lease = pool_->Acquire([&control] { control.Check(); });
        control.Check();
        const bool reused = lease.reused();
        control.Attach(&*lease);
        Result first;
        try {
            SendQuery(*lease, query, context);
            first = AwaitResult(*lease, control, context);
            const ExecStatusType status = first != nullptr ? PQresultStatus(first.get()) : PGRES_FATAL_ERROR;
            if (status != PGRES_SINGLE_TUPLE && status != PGRES_TUPLES_OK) {
                if (control.ShouldStop()) control.ThrowStopped();
                ThrowResultError(lease->handle(), first.get(), context);
            }
        } catch (const sdk::Error& e) {
            const bool broken = PQstatus(lease->handle()) != CONNECTION_OK;
            first.reset();
            SettleConnection(std::move(lease), control);
            if (!WorthRetrying(e, reused, broken) || control.ShouldStop() || attempt > pool_->open_count()) throw;
            sdk::Log(sdk::LogLevel::kInfo, instance_name_,
                     context + ": a pooled connection was closed by the server (" + e.what() +
                         "); running the query on another connection");
            continue;
        }
        return std::make_unique<PgRowStream>(std::move(lease), std::move(registration), std::move(first),
                                             query.batch_rows, context);
    }
}

void PgSource::Cancel(uint64_t query_id) {
    registry_->Cancel(query_id);
    pool_->WakeWaiters();  // a query still waiting for a connection sees the cancel now
}

void PgSource::Ping() {
    pool_->WithFreeOrSpare([](PgConnection& connection) {
        connection.Ping("SELECT 1", "ping of PostgreSQL at " + connection.description(), kPingTimeoutMs);
    });
}

}  // namespace jobber::postgres
