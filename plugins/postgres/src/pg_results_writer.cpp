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
        // One round trip: a simple query may hold several statements, and it stops at the COPY (or returns
        // the first error; the transaction is then aborted and Abandon rolls it back).
        const std::string start = "BEGIN; " + CreateTableSql(temp_name_, schema, settings.unlogged) + "; COPY " +
                                  QuoteIdentifier(temp_name_) + " FROM STDIN WITH " + encoder_.CopyOptions();
        Result result = lease_->ExecUntilCopy(start, context);
        if (result == nullptr || PQresultStatus(result.get()) != PGRES_COPY_IN) {
            ThrowResultError(lease_->handle(), result.get(), context);
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
    const std::string context = "cannot write to result table '" + target_.table_name + "'";
    // A server-side error (bad data, disk full) surfaces only when the COPY ends: libpq reads no
    // results while copying in, and the server discards the rest of the data quickly.
    try {
        if (!lease_->PutCopyData(bytes, context)) FailCopy(context);
    } catch (...) {
        copying_ = false;
        throw;
    }
}

void PgResultsWriter::FailCopy(const std::string& context) {
    copying_ = false;
    PGconn* conn = lease_->handle();
    if (PQstatus(conn) != CONNECTION_OK) ThrowConnectionError(conn, context);
    Result result = lease_->NextResult(context);
    ThrowResultError(conn, result.get(), context);
}

void PgResultsWriter::Commit() {
    if (!copying_) {
        throw sdk::Error(JOBBER_FAILED_PRECONDITION,
                         "result table '" + target_.table_name + "' is already committed or failed");
    }
    const std::string context = "cannot publish result table '" + target_.table_name + "'";
    encoder_.AppendTrailer(buffer_);
    Send(buffer_);
    buffer_.clear();
    copying_ = false;
    if (!lease_->PutCopyEnd(nullptr, context)) FailCopy(context);
    while (Result result = lease_->NextResult(context)) {
        if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) ThrowResultError(lease_->handle(), result.get(), context);
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
    std::string why;
    if (lease_->timed_out()) {
        why = "the server did not answer in time";
    } else if (PQstatus(conn) != CONNECTION_OK) {
        why = ConnectionMessage(conn);
    } else {
        // Everything, the temporary table included, was created in this transaction.
        const std::string context = "cannot roll back result table '" + target_.table_name + "'";
        try {
            if (copying_ && lease_->PutCopyEnd("result table abandoned", context)) {
                while (lease_->NextResult(context) != nullptr) {
                }
            }
            copying_ = false;
            lease_->Exec("ROLLBACK", context);
            lease_ = Lease();
            return;
        } catch (const std::exception& e) {
            why = e.what();
        }
    }
    // The server rolls the transaction back when the connection closes.
    sdk::Log(sdk::LogLevel::kDebug, component_,
             "closing the connection of unpublished result table '" + target_.table_name +
                 "' job_id=" + target_.job_id + ": " + why);
    lease_.Discard();
}

}  // namespace jobber::postgres
