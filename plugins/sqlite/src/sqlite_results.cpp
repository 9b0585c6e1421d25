#include "sqlite_results.hpp"

#include "identifiers.hpp"
#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"
#include "results_catalog.hpp"
#include "sqlite_results_writer.hpp"
#include "transaction.hpp"

namespace jobber::sqlite {

namespace {

void CheckTableName(std::string_view table_name) {
    if (table_name.empty()) throw sdk::Error(JOBBER_INVALID_ARGUMENT, "result table name is empty");
    if (table_name.size() > kMaxIdentifierLength) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "result table name '" + std::string(table_name) +
                                                      "' is longer than " + std::to_string(kMaxIdentifierLength) +
                                                      " bytes");
    }
    if (SameIdentifier(table_name, kCatalogTable) ||
        (table_name.size() >= 7 && sqlite3_strnicmp(table_name.data(), "sqlite_", 7) == 0)) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "result table name '" + std::string(table_name) + "' is reserved");
    }
}

}  // namespace

ConnectionOptions ParseResultsSettings(const sdk::Config& config) {
    ConnectionOptions options;
    options.dsn = config.RequireString("dsn");
    options.read_only = false;
    options.create = true;
    options.busy_timeout_ms = config.GetDurationMs("busy_timeout", 5000);
    if (options.busy_timeout_ms < 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'busy_timeout' must not be negative");
    }
    options.journal_mode = config.GetString("journal_mode", "wal");
    return options;
}

const std::vector<jobber_config_field>& SqliteResults::ConfigFields() {
    static const std::vector<jobber_config_field> fields = {
        {"dsn", JOBBER_FIELD_STRING, 1, nullptr, "database file path or file: URI; created when missing"},
        {"busy_timeout", JOBBER_FIELD_DURATION, 0, "5000", "how long a writer waits for another writer's lock"},
        {"journal_mode", JOBBER_FIELD_STRING, 0, "wal",
         "PRAGMA journal_mode: wal lets readers read while jobs write; delete, truncate, persist, memory, off"},
    };
    return fields;
}

SqliteResults::SqliteResults(const sdk::OpenArgs& args)
    : instance_name_(args.instance_name), options_(ParseResultsSettings(args.config)), admin_(options_) {
    CreateCatalog(admin_);
    sdk::Log(sdk::LogLevel::kInfo, instance_name_,
             "sqlite results backend opened dsn=" + options_.dsn + " journal_mode=" + options_.journal_mode);
}

std::unique_ptr<sdk::ResultsWriter> SqliteResults::Begin(const sdk::ResultsTarget& target, const sdk::Schema& schema) {
    CheckTableName(target.table_name);
    return std::make_unique<SqliteResultsWriter>(std::make_unique<SqliteConnection>(options_), target, schema,
                                                 instance_name_);
}

void SqliteResults::Drop(std::string_view table_name) {
    CheckTableName(table_name);
    std::lock_guard<std::mutex> lock(admin_mutex_);
    Transaction transaction(admin_, "cannot drop result table '" + std::string(table_name) + "'");
    DropTableIfExists(admin_, table_name);
    ForgetTable(admin_, table_name);
    transaction.Commit();
}

uint64_t SqliteResults::Sweep(int64_t now_unix_ms) {
    std::lock_guard<std::mutex> lock(admin_mutex_);
    uint64_t dropped = 0;
    // One transaction per table: a sweep holds the write lock only briefly at a time, and one
    // failing table does not undo the others.
    for (const std::string& table : ExpiredTables(admin_, now_unix_ms)) {
        Transaction transaction(admin_, "cannot sweep result table '" + table + "'");
        if (DropTableIfExists(admin_, table)) ++dropped;
        ForgetTable(admin_, table);
        transaction.Commit();
    }
    if (dropped > 0) {
        sdk::Log(sdk::LogLevel::kInfo, instance_name_, "swept " + std::to_string(dropped) + " expired result tables");
    }
    return dropped;
}

void SqliteResults::Ping() {
    std::lock_guard<std::mutex> lock(admin_mutex_);
    admin_.Exec(std::string("SELECT 1 FROM ") + QuoteIdentifier(kCatalogTable) + " LIMIT 1",
                "ping of SQLite database '" + options_.dsn + "'");
}

}  // namespace jobber::sqlite
