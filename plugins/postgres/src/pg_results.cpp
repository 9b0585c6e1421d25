#include "pg_results.hpp"

#include <utility>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"
#include "pg_error.hpp"
#include "pg_results_writer.hpp"
#include "results_catalog.hpp"

namespace jobber::postgres {

namespace {

// How long a sweep waits for a lock on an expired table (a reader still on it) before leaving it
// for the next sweep: an ACCESS EXCLUSIVE request that waits also blocks every new reader.
constexpr const char* kSweepLockTimeout = "SET LOCAL lock_timeout = '2s'";

class Transaction {
public:
    Transaction(PgConnection& connection, std::string context) : connection_(connection), context_(std::move(context)) {
        connection_.Exec("BEGIN", context_);
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    // A rollback that fails leaves the connection outside the idle state, so the pool closes it.
    ~Transaction() {
        if (!open_ || connection_.timed_out()) return;  // a timed-out connection is closed, which rolls back
        try {
            connection_.Exec("ROLLBACK", context_);
        } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): the pool closes the connection
        }
    }
    void Commit() {
        connection_.Exec("COMMIT", context_);
        open_ = false;
    }

private:
    PgConnection& connection_;
    const std::string context_;
    bool open_ = true;
};

}  // namespace

const std::vector<jobber_config_field>& PgResults::ConfigFields() {
    return ResultsConfigFields();
}

PgResults::PgResults(const sdk::OpenArgs& args)
    : instance_name_(args.instance_name),
      settings_(ParseResultsSettings(args.config, args.instance_name)),
      writers_(std::make_shared<ConnectionPool>(settings_.connection, settings_.max_connections)),
      admin_(std::make_shared<ConnectionPool>(settings_.connection, 1)) {
    std::string description;
    WithAdmin([&](PgConnection& connection) {
        CreateCatalog(connection);
        description = connection.description();
    });
    sdk::Log(sdk::LogLevel::kInfo, instance_name_,
             "postgres results backend opened " + description + " copy_format=" +
                 CopyFormatName(settings_.copy_format) + " unlogged=" + (settings_.unlogged ? "true" : "false"));
}

void PgResults::WithAdmin(const std::function<void(PgConnection&)>& body) {
    for (int attempt = 0;; ++attempt) {
        Lease lease = admin_->Acquire(nullptr);
        const bool reused = lease.reused();
        try {
            body(*lease);
            return;
        } catch (const sdk::Error& e) {
            const bool broken = PQstatus(lease->handle()) != CONNECTION_OK;
            if (broken) lease.Discard();
            if (!(reused && broken && e.code() == JOBBER_UNAVAILABLE) || attempt > 0) throw;
        }
    }
}

std::unique_ptr<sdk::ResultsWriter> PgResults::Begin(const sdk::ResultsTarget& target, const sdk::Schema& schema) {
    CheckTableName(target.table_name);
    for (int attempt = 0;; ++attempt) {
        Lease lease = writers_->Acquire(nullptr);
        const bool reused = lease.reused();
        try {
            return std::make_unique<PgResultsWriter>(std::move(lease), target, schema, settings_, instance_name_);
        } catch (const IoTimeoutError&) {
            throw;
        } catch (const sdk::Error& e) {
            // The writer's constructor discards a connection it found broken.
            if (!(reused && e.code() == JOBBER_UNAVAILABLE) || attempt > 0) throw;
        }
    }
}

void PgResults::Drop(std::string_view table_name) {
    CheckTableName(table_name);
    const std::string context = "cannot drop result table '" + std::string(table_name) + "'";
    WithAdmin([&](PgConnection& connection) {
        Transaction transaction(connection, context);
        connection.Exec("DROP TABLE IF EXISTS " + QuoteIdentifier(table_name), context);
        ForgetTable(connection, table_name);
        transaction.Commit();
    });
}

uint64_t PgResults::Sweep(int64_t now_unix_ms) {
    uint64_t dropped = 0;
    WithAdmin([&](PgConnection& connection) {
        for (const std::string& table : ExpiredTables(connection, now_unix_ms)) {
            const std::string context = "cannot sweep result table '" + table + "'";
            // One transaction per table: one that is locked or fails does not undo the others.
            try {
                Transaction transaction(connection, context);
                connection.Exec(kSweepLockTimeout, context);
                if (ClaimExpired(connection, table, now_unix_ms) && TableExists(connection, table)) {
                    connection.Exec("DROP TABLE " + QuoteIdentifier(table), context);
                    ++dropped;
                }
                transaction.Commit();
            } catch (const sdk::Error& e) {
                if (e.code() == JOBBER_UNAVAILABLE && PQstatus(connection.handle()) != CONNECTION_OK) throw;
                sdk::Log(sdk::LogLevel::kWarning, instance_name_,
                         std::string(e.what()) + "; the next sweep tries again");
            }
        }
    });
    if (dropped > 0) {
        sdk::Log(sdk::LogLevel::kInfo, instance_name_, "swept " + std::to_string(dropped) + " expired result tables");
    }
    return dropped;
}

void PgResults::Ping() {
    WithAdmin([](PgConnection& connection) {
        connection.Ping("SELECT 1 FROM " + QuoteIdentifier(kCatalogTable) + " LIMIT 1",
                        "ping of PostgreSQL at " + connection.description(), kPingTimeoutMs);
    });
}

}  // namespace jobber::postgres
