#include "mysql_results_writer.hpp"

#include <mysqld_error.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <utility>

#include "identifiers.hpp"
#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"
#include "results_catalog.hpp"
#include "type_mapping.hpp"

namespace jobber::mysql {

namespace {

int64_t NowUnixMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string CreateTableSql(const std::string& table,
                           const std::vector<std::string>& names,
                           const sdk::Schema& schema,
                           const std::string& engine) {
    std::string sql = "CREATE TABLE " + QuoteIdentifier(table) + " (";
    for (size_t i = 0; i < schema.size(); ++i) {
        if (i > 0) sql += ", ";
        sql += QuoteIdentifier(names[i]) + " " + ResultsColumnDefinition(schema[i].type) + " NULL";
    }
    sql += ") ENGINE=" + engine + " DEFAULT CHARSET=utf8mb4";
    return sql;
}

// Another commit or drop of the same name may run between our existence check and the rename.
constexpr int kPublishAttempts = 3;

}  // namespace

std::string RandomTableName(const char* kind) {
    static thread_local std::mt19937_64 generator{std::random_device{}()};
    char hex[17];
    std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(generator()));
    return std::string("_jobber_") + kind + "_" + hex;
}

MysqlResultsWriter::MysqlResultsWriter(Lease lease,
                                       sdk::ResultsTarget target,
                                       const sdk::Schema& schema,
                                       const WriterSettings& settings,
                                       std::string component)
    : lease_(std::move(lease)),
      target_(std::move(target)),
      component_(std::move(component)),
      temp_name_(RandomTableName("tmp")),
      replace_lock_timeout_s_(settings.replace_lock_timeout_s) {
    if (schema.empty()) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "result table '" + target_.table_name + "' would have no columns");
    }
    const std::string context = "cannot create result table '" + temp_name_ + "' for '" + target_.table_name + "'";
    const std::vector<std::string> names = UniqueColumnNames(schema);
    // Recorded first, so that a crash right after CREATE still leaves a row for the sweep.
    RecordTable(*lease_, temp_name_, target_.job_id, NowUnixMs() + kWritingExpiryMs, kStateWriting);
    try {
        lease_->Exec(CreateTableSql(temp_name_, names, schema, settings.engine), context);
        loader_ = MakeBatchLoader(settings.method, *lease_, temp_name_, names, schema,
                                  "cannot write to result table '" + temp_name_ + "'");
    } catch (...) {
        // The destructor does not run for a constructor that throws.
        Abandon();
        throw;
    }
}

MysqlResultsWriter::~MysqlResultsWriter() {
    if (!committed_) Abandon();
}

void MysqlResultsWriter::Write(const sdk::BatchView& batch) {
    if (committed_ || loader_ == nullptr) {
        throw sdk::Error(JOBBER_FAILED_PRECONDITION,
                         "result table '" + target_.table_name + "' is already committed or being committed");
    }
    loader_->Load(batch);
}

void MysqlResultsWriter::Publish(const std::string& context) {
    const std::string final_quoted = QuoteIdentifier(target_.table_name);
    const std::string temp_quoted = QuoteIdentifier(temp_name_);
    for (int attempt = 1;; ++attempt) {
        std::string old_name;
        try {
            if (!TableExists(*lease_, target_.table_name)) {
                lease_->Exec("RENAME TABLE " + temp_quoted + " TO " + final_quoted, context);
                return;
            }
            // One RENAME swaps both names atomically: readers see the old table or the new one.
            old_name = RandomTableName("old");
            RecordTable(*lease_, old_name, target_.job_id, NowUnixMs(), kStateRetired);
            lease_->Exec("RENAME TABLE " + final_quoted + " TO " + QuoteIdentifier(old_name) + ", " + temp_quoted +
                             " TO " + final_quoted,
                         context);
            try {
                lease_->Exec("DROP TABLE IF EXISTS " + QuoteIdentifier(old_name), context);
                ForgetTable(*lease_, old_name);
            } catch (const sdk::Error& e) {
                // Published already; the retired row (expired at once) lets the sweep finish this.
                sdk::Log(sdk::LogLevel::kWarning, component_,
                         std::string(e.what()) + " job_id=" + target_.job_id + "; the sweep will drop " + old_name);
            }
            return;
        } catch (const sdk::Error& e) {
            if (!old_name.empty()) ForgetRetiredName(old_name);
            if (e.vendor_code() == ER_LOCK_WAIT_TIMEOUT) {
                throw sdk::Error(JOBBER_UNAVAILABLE,
                                 context + ": the previous table is still in use by another session (waited " +
                                     std::to_string(replace_lock_timeout_s_) +
                                     " s for its lock, `replace_lock_timeout`); the previous table is kept",
                                 e.vendor_code(), e.sqlstate());
            }
            const bool raced = e.vendor_code() == ER_TABLE_EXISTS_ERROR || e.vendor_code() == ER_NO_SUCH_TABLE;
            if (!raced || attempt >= kPublishAttempts) throw;
        }
    }
}

void MysqlResultsWriter::ForgetRetiredName(const std::string& old_name) noexcept {
    // The RENAME did not happen: no table has this name. Left listed, the sweep would only find nothing to drop.
    try {
        ForgetTable(*lease_, old_name);
    } catch (const std::exception& e) {
        sdk::Log(sdk::LogLevel::kDebug, component_, std::string(e.what()) + " job_id=" + target_.job_id);
    }
}

void MysqlResultsWriter::Commit() {
    if (committed_) {
        throw sdk::Error(JOBBER_FAILED_PRECONDITION, "result table '" + target_.table_name + "' is already committed");
    }
    const std::string context = "cannot publish result table '" + target_.table_name + "'";
    if (loader_ != nullptr) loader_->Finish();
    loader_.reset();
    Publish(context);
    committed_ = true;
    // DDL cannot share a transaction with the metadata rows; the published table is what
    // matters, so failures from here on are logged and left to the sweep.
    try {
        RecordTable(*lease_, target_.table_name, target_.job_id, target_.expires_at_unix_ms, kStateReady);
        ForgetTable(*lease_, temp_name_);
    } catch (const sdk::Error& e) {
        sdk::Log(sdk::LogLevel::kError, component_,
                 std::string(e.what()) + " job_id=" + target_.job_id + " table=" + target_.table_name +
                     "; the table is published but its expiry may not be recorded");
    }
}

void MysqlResultsWriter::Abandon() noexcept {
    loader_.reset();
    try {
        const std::string context = "cannot remove unpublished result table '" + temp_name_ + "'";
        // A failed batch may have left the connection in an unknown state: use it only if it answers.
        lease_->Ping(context);
        lease_->Exec("DROP TABLE IF EXISTS " + QuoteIdentifier(temp_name_), context);
        ForgetTable(*lease_, temp_name_);
    } catch (const std::exception& e) {
        lease_->MarkBroken();
        // Nothing to report to: the sweep removes the table once its 'writing' row expires.
        sdk::Log(sdk::LogLevel::kError, component_,
                 std::string(e.what()) + " job_id=" + target_.job_id + "; the sweep will remove it later");
    }
}

}  // namespace jobber::mysql
