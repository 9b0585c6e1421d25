#include "pg_results_writer.hpp"

#include <cstdio>
#include <random>
#include <string_view>
#include <utility>
#include <vector>

#include "identifiers.hpp"
#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"
#include "pg_error.hpp"
#include "results_catalog.hpp"
#include "type_mapping.hpp"

namespace jobber::postgres {

namespace {

constexpr std::string_view kLockNotAvailable = "55P03";

// Encoded bytes are handed to libpq once they pass this, and the buffer is given back to the
// allocator when a wide batch grew it beyond twice this.
constexpr size_t kSendBytes = 1u << 20;

std::string TempName() {
    // Only needs to be unique among the transactions running at once; a clash fails at CREATE.
    static thread_local std::mt19937_64 random{std::random_device{}()};
    char hex[17];
    std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(random()));
    return std::string(kTempPrefix) + hex;
}

std::string CreateTableSql(const std::string& table, const sdk::Schema& schema, bool unlogged) {
    const std::vector<std::string> names = ResultColumnNames(schema);
    std::string sql = std::string("CREATE ") + (unlogged ? "UNLOGGED " : "") + "TABLE " + QuoteIdentifier(table) + " (";
    for (size_t i = 0; i < schema.size(); ++i) {
        if (i > 0) sql += ", ";
        sql += QuoteIdentifier(names[i]) + " " + ResultsColumnType(schema[i].type);
    }
    sql += ")";
    return sql;
}

}  // namespace

PgResultsWriter::PgResultsWriter(Lease lease,
                                 sdk::ResultsTarget target,
                                 const sdk::Schema& schema,
                                 const ResultsSettings& settings,
                                 std::string component)
    : lease_(std::move(lease)),
      target_(std::move(target)),
      component_(std::move(component)),
      temp_name_(TempName()),
      replace_lock_timeout_ms_(settings.replace_lock_timeout_ms),
      encoder_(settings.copy_format, schema, target_.table_name) {
    if (schema.empty()) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "result table '" + target_.table_name + "' would have no columns");
    }
    if (schema.size() > 1600) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "result table '" + target_.table_name + "' would have " +
                                                      std::to_string(schema.size()) +
                                                      " columns; PostgreSQL tables hold at most 1600");
    }
    const std::string context =
        "cannot create result table '" + target_.table_name + "' on PostgreSQL at " + lease_->description();
    try {
        // One round trip: a simple query may hold several statements, and PQexec stops at the COPY (or returns
        // the first error; the transaction is then aborted and Abandon rolls it back).
        PGconn* conn = lease_->handle();
        const std::string start = "BEGIN; " + CreateTableSql(temp_name_, schema, settings.unlogged) + "; COPY " +
                                  QuoteIdentifier(temp_name_) + " FROM STDIN WITH " + encoder_.CopyOptions();
        Result result(PQexec(conn, start.c_str()));
        if (result == nullptr || PQresultStatus(result.get()) != PGRES_COPY_IN) {
            ThrowResultError(conn, result.get(), context);
        }
        copying_ = true;
        buffer_.reserve(kSendBytes * 2);
        encoder_.AppendHeader(buffer_);
    } catch (...) {
        Abandon();  // the destructor does not run for a constructor that throws
        throw;
    }
}

PgResultsWriter::~PgResultsWriter() {
    if (!committed_) Abandon();
}

void PgResultsWriter::Write(const sdk::BatchView& batch) {
    if (!copying_) {
        throw sdk::Error(JOBBER_FAILED_PRECONDITION,
                         "result table '" + target_.table_name + "' is already committed or failed");
    }
    encoder_.AppendBatch(batch, buffer_);
    if (buffer_.size() >= kSendBytes) {
        Send(buffer_);
        buffer_.clear();
        if (buffer_.capacity() > kSendBytes * 4) {
            buffer_.shrink_to_fit();
            buffer_.reserve(kSendBytes * 2);
        }
    }
}

void PgResultsWriter::Send(const std::string& bytes) {
    PGconn* conn = lease_->handle();
    const std::string context = "cannot write to result table '" + target_.table_name + "'";
    // A server-side error (bad data, disk full) surfaces only when the COPY ends: libpq reads no
    // results while copying in, and the server discards the rest of the data quickly.
    if (PQputCopyData(conn, bytes.data(), static_cast<int>(bytes.size())) != 1) FailCopy(context);
}

void PgResultsWriter::FailCopy(const std::string& context) {
    copying_ = false;
    PGconn* conn = lease_->handle();
    if (PQstatus(conn) != CONNECTION_OK) ThrowConnectionError(conn, context);
    Result result(PQgetResult(conn));
    ThrowResultError(conn, result.get(), context);
}

void PgResultsWriter::Commit() {
    if (!copying_) {
        throw sdk::Error(JOBBER_FAILED_PRECONDITION,
                         "result table '" + target_.table_name + "' is already committed or failed");
    }
    PGconn* conn = lease_->handle();
    const std::string context = "cannot publish result table '" + target_.table_name + "'";
    encoder_.AppendTrailer(buffer_);
    Send(buffer_);
    buffer_.clear();
    if (PQputCopyEnd(conn, nullptr) != 1) FailCopy(context);
    copying_ = false;
    for (;;) {
        Result result(PQgetResult(conn));
        if (result == nullptr) break;
        if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) ThrowResultError(conn, result.get(), context);
    }
    // Publishing is one round trip: replace, rename, record and commit, pipelined. A re-run's DROP waits for
    // readers of the old table, and new readers queue behind it: the wait is bounded (lock_timeout, this
    // transaction only), and running out of it fails the job with the old table intact.
    const std::string final_name = QuoteIdentifier(target_.table_name);
    std::vector<PipelinedStatement> publish;
    if (replace_lock_timeout_ms_ > 0) {
        publish.push_back({"SET LOCAL lock_timeout = " + std::to_string(replace_lock_timeout_ms_), {}});
    }
    publish.push_back({"DROP TABLE IF EXISTS " + final_name, {}});
    publish.push_back({"ALTER TABLE " + QuoteIdentifier(temp_name_) + " RENAME TO " + final_name, {}});
    publish.push_back(RecordTableStatement(target_.table_name, target_.job_id, target_.expires_at_unix_ms));
    publish.push_back({"COMMIT", {}});
    try {
        lease_->ExecPipeline(publish, context);
    } catch (const sdk::Error& e) {
        if (e.sqlstate() != kLockNotAvailable) throw;
        throw sdk::Error(JOBBER_UNAVAILABLE,
                         context + ": the previous table is still in use by another session (waited " +
                             std::to_string(replace_lock_timeout_ms_) +
                             " ms for its lock, `replace_lock_timeout`); the previous table is kept",
                         0, std::string(kLockNotAvailable));
    }
    committed_ = true;
    lease_ = Lease();  // back to the pool now; the writer may live on until the host releases it
}

void PgResultsWriter::Abandon() noexcept {
    if (!lease_) return;
    PGconn* conn = lease_->handle();
    if (PQstatus(conn) == CONNECTION_OK) {
        if (copying_ && PQputCopyEnd(conn, "result table abandoned") == 1) {
            while (PGresult* result = PQgetResult(conn)) PQclear(result);
        }
        copying_ = false;
        // Everything, the temporary table included, was created in this transaction.
        PGresult* rollback = PQexec(conn, "ROLLBACK");
        const bool rolled_back = rollback != nullptr && PQresultStatus(rollback) == PGRES_COMMAND_OK;
        PQclear(rollback);
        if (rolled_back) {
            lease_ = Lease();
            return;
        }
    }
    // The server rolls the transaction back when the connection closes.
    sdk::Log(sdk::LogLevel::kDebug, component_,
             "closing the connection of unpublished result table '" + target_.table_name +
                 "' job_id=" + target_.job_id + ": " + ConnectionMessage(conn));
    lease_.Discard();
}

}  // namespace jobber::postgres
