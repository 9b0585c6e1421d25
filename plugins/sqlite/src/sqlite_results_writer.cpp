#include "sqlite_results_writer.hpp"

#include <chrono>
#include <cstdio>
#include <utility>

#include "identifiers.hpp"
#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"
#include "results_catalog.hpp"
#include "sqlite_error.hpp"
#include "transaction.hpp"
#include "type_mapping.hpp"
#include "value_binder.hpp"

namespace jobber::sqlite {

namespace {

std::string TempName(const std::string& final_name) {
    unsigned char bytes[4];
    sqlite3_randomness(sizeof(bytes), bytes);
    char hex[9];
    std::snprintf(hex, sizeof(hex), "%02x%02x%02x%02x", bytes[0], bytes[1], bytes[2], bytes[3]);
    return final_name + "__tmp_" + hex;
}

int64_t NowUnixMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string CreateTableSql(const std::string& table, const sdk::Schema& schema) {
    const std::vector<std::string> names = UniqueColumnNames(schema);
    std::string sql = "CREATE TABLE " + QuoteIdentifier(table) + " (";
    for (size_t i = 0; i < schema.size(); ++i) {
        if (i > 0) sql += ", ";
        sql += QuoteIdentifier(names[i]) + " " + ResultsDeclaredType(schema[i].type);
    }
    sql += ")";
    return sql;
}

std::string InsertSql(const std::string& table, size_t columns) {
    std::string sql = "INSERT INTO " + QuoteIdentifier(table) + " VALUES (";
    for (size_t i = 0; i < columns; ++i) sql += i == 0 ? "?" : ", ?";
    sql += ")";
    return sql;
}

}  // namespace

SqliteResultsWriter::SqliteResultsWriter(std::unique_ptr<SqliteConnection> connection,
                                         sdk::ResultsTarget target,
                                         const sdk::Schema& schema,
                                         std::string component)
    : connection_(std::move(connection)),
      target_(std::move(target)),
      component_(std::move(component)),
      temp_name_(TempName(target_.table_name)) {
    if (schema.empty()) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "result table '" + target_.table_name + "' would have no columns");
    }
    const std::string context = "cannot create result table '" + temp_name_ + "'";
    Transaction transaction(*connection_, context);
    RecordTable(*connection_, temp_name_, target_.job_id, NowUnixMs() + kWritingExpiryMs, kStateWriting);
    connection_->Exec(CreateTableSql(temp_name_, schema), context);
    transaction.Commit();
    try {
        insert_ = connection_->Prepare(InsertSql(temp_name_, schema.size()), context, true);
    } catch (...) {
        // The destructor does not run for a constructor that throws.
        Abandon();
        throw;
    }
}

SqliteResultsWriter::~SqliteResultsWriter() {
    if (!committed_) Abandon();
}

void SqliteResultsWriter::Write(const sdk::BatchView& batch) {
    if (committed_ || insert_ == nullptr) {
        throw sdk::Error(JOBBER_FAILED_PRECONDITION,
                         "result table '" + target_.table_name + "' is already committed or being committed");
    }
    const std::string context = "cannot write to result table '" + temp_name_ + "'";
    sqlite3_stmt* stmt = insert_.get();
    const size_t columns = batch.columns();
    // One transaction per batch: concurrent jobs on the same file take turns per batch instead
    // of one writer holding the lock for a whole job.
    Transaction transaction(*connection_, context);
    try {
        for (int64_t row = 0; row < batch.rows(); ++row) {
            for (size_t column = 0; column < columns; ++column) {
                BindBatchValue(stmt, static_cast<int>(column) + 1, batch, column, row);
            }
            const int rc = sqlite3_step(stmt);
            sqlite3_reset(stmt);
            if (rc != SQLITE_DONE) ThrowSqlite(connection_->handle(), rc, context);
        }
    } catch (...) {
        sqlite3_clear_bindings(stmt);
        throw;
    }
    // Text was bound without copying; keep no pointers into a batch the caller is about to free.
    sqlite3_clear_bindings(stmt);
    transaction.Commit();
}

void SqliteResultsWriter::Commit() {
    if (committed_) {
        throw sdk::Error(JOBBER_FAILED_PRECONDITION, "result table '" + target_.table_name + "' is already committed");
    }
    const std::string context = "cannot publish result table '" + target_.table_name + "'";
    insert_.reset();
    // Readers see the old table or the new one: the swap is a single transaction.
    Transaction transaction(*connection_, context);
    const std::string clash = TableWithOtherCase(*connection_, target_.table_name);
    if (!clash.empty()) {
        throw sdk::Error(JOBBER_ALREADY_EXISTS, "result table '" + target_.table_name + "' would replace table '" +
                                                    clash +
                                                    "': SQLite table names ignore letter case; use job IDs that "
                                                    "differ in more than case");
    }
    connection_->Exec("DROP TABLE IF EXISTS " + QuoteIdentifier(target_.table_name), context);
    connection_->Exec(
        "ALTER TABLE " + QuoteIdentifier(temp_name_) + " RENAME TO " + QuoteIdentifier(target_.table_name), context);
    RecordTable(*connection_, target_.table_name, target_.job_id, target_.expires_at_unix_ms, kStateReady);
    ForgetTable(*connection_, temp_name_);
    transaction.Commit();
    committed_ = true;
}

void SqliteResultsWriter::Abandon() noexcept {
    insert_.reset();
    try {
        Transaction transaction(*connection_, "cannot remove unpublished result table '" + temp_name_ + "'");
        DropTableIfExists(*connection_, temp_name_);
        ForgetTable(*connection_, temp_name_);
        transaction.Commit();
    } catch (const std::exception& e) {
        // Nothing to report to: the sweep removes the table once its 'writing' row expires.
        sdk::Log(sdk::LogLevel::kError, component_,
                 std::string(e.what()) + " job_id=" + target_.job_id + "; the sweep will remove it later");
    }
}

}  // namespace jobber::sqlite
