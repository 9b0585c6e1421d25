// PostgreSQL restarts (pg_ctl restart -m fast: every connection is cut) while several jobs are in
// flight, once as the results database and once as the source. Every accepted job reaches a final
// state; jobs with retries succeed; a job without retries either succeeded or failed naming the
// database; every success published exactly one table with the right rows and was logged as
// finished exactly once; failures left no table behind. The PostgreSQL server is the test's own.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fault_server.hpp"
#include "pg_test_support.hpp"
#include "private_servers.hpp"

namespace jobber::faults {
namespace {

using namespace std::chrono_literals;
using e2e::JsonInt;
using e2e::JsonString;

constexpr int kJobs = 24;

int RowsOf(int i) {
    return 100000 + 1000 * i;
}

struct Side {
    std::string task;
    std::string label;  // how the job error names the database that went away
    std::function<std::optional<int64_t>(const std::string& table)> table_rows;
    std::function<int64_t()> leftovers;
};

void RunRestartScenario(PrivatePostgres& pg, e2e::ServerHarness& server, const Side& side) {
    std::vector<std::string> ids;
    for (int i = 0; i < kJobs; ++i) {
        ids.push_back("job" + std::to_string(i));
        // Every other job may retry; the rest show what a job without retries gets.
        const int retries = i % 2 == 0 ? 5 : 0;
        PostOrFail(server, side.task,
                   R"({"job_id": ")" + ids.back() + R"(", "args": [)" + std::to_string(RowsOf(i)) +
                       R"(], "retries": )" + std::to_string(retries) + "}");
    }
    // Restart while jobs run: wait until a few finished and others are started.
    ASSERT_TRUE(postgres::testing::WaitUntil(
        [&] {
            int done = 0, started = 0;
            for (const auto& id : ids) {
                const auto state = JsonString(server.Get("/jobs/" + id).DataObject(), "state");
                done += state == "SUCCESS" ? 1 : 0;
                started += state == "STARTED" ? 1 : 0;
            }
            return done >= 2 && started >= 2;
        },
        60s))
        << server.LogSince(0, 40);
    pg.Restart();

    int succeeded = 0, failed = 0, hit = 0;
    for (int i = 0; i < kJobs; ++i) {
        const std::string& id = ids[i];
        const auto job = server.WaitForState(id, {"SUCCESS", "FAILURE"}, 90s);
        ASSERT_FALSE(job.isNull()) << id << " never reached a final state";
        const std::string state = JsonString(job, "state");
        const int successes = SettledSuccessLines(server, id, state == "SUCCESS" ? 1 : 0);
        const std::string log = server.Log();
        const int64_t attempts = JsonInt(job, "attempts", 0);
        hit += attempts > 1 || state == "FAILURE" ? 1 : 0;
        EXPECT_EQ(StartedLines(log, id), attempts) << id << ": every attempt is a logged start";
        if (state == "SUCCESS") {
            ++succeeded;
            EXPECT_EQ(JsonInt(job, "count"), RowsOf(i)) << id;
            EXPECT_EQ(side.table_rows("results_" + id), std::optional<int64_t>(RowsOf(i))) << id;
            EXPECT_EQ(successes, 1) << id << " logged as finished " << successes << " times";
        } else {
            if (++failed <= 3) std::cerr << "[faults] " << id << " failed: " << JsonString(job, "error") << "\n";
            EXPECT_EQ(i % 2, 1) << id << " had retries left: " << JsonString(job, "error");
            EXPECT_NE(JsonString(job, "error").find(side.label), std::string::npos) << JsonString(job, "error");
            EXPECT_EQ(side.table_rows("results_" + id), std::nullopt) << id;
            EXPECT_EQ(successes, 0) << id;
        }
    }
    std::cerr << "[faults] after the restart: " << succeeded << " succeeded, " << failed << " failed, " << hit
              << " hit by it\n";
    EXPECT_EQ(succeeded + failed, kJobs);
    EXPECT_GE(hit, 1) << "the restart hit no job: it proved nothing";
    EXPECT_EQ(side.leftovers(), 0);
    EXPECT_EQ(server.Get("/health").status, 200);
    EXPECT_TRUE(server.Running());
}

class PostgresRestartFaults : public ::testing::Test {
protected:
    void SetUp() override {
        if (!pg_.unavailable_reason().empty()) GTEST_SKIP() << pg_.unavailable_reason();
        pg_.Start();
    }
    void TearDown() override {
        if (HasFailure() && server_ != nullptr) std::cerr << "[faults] server log:\n" << server_->LogSince(0, 120);
        if (server_ != nullptr) {
            const auto code = server_->Stop();
            EXPECT_TRUE(code && *code == 0) << "sql-jobber did not exit cleanly";
        }
    }

    PrivatePostgres pg_;
    std::unique_ptr<e2e::ServerHarness> server_;
};

TEST_F(PostgresRestartFaults, ResultsDatabaseRestartsWithJobsInFlight) {
    FaultServerSpec spec;
    spec.tasks = SqliteRowsTask("rows_pg", "pg_results");
    spec.extra_results_yaml = "  pg_results:\n    type: postgres\n    dsn: \"" + pg_.uri() +
                              "\"\n    results_table: \"results_%s\"\n    connect_timeout: 2s\n";
    spec.worker_concurrency = 4;
    server_ = MakeFaultServer(spec);
    server_->Start();

    const std::string uri = pg_.uri();
    Side side;
    side.task = "rows_pg";
    side.label = "results 'pg_results' (postgres)";
    side.table_rows = [&](const std::string& table) -> std::optional<int64_t> {
        postgres::testing::Psql psql(uri);
        if (psql.One("SELECT to_regclass('" + table + "') IS NULL") == "t") return std::nullopt;
        return std::stoll(psql.One("SELECT count(*) FROM " + table));
    };
    side.leftovers = [&] {
        postgres::testing::Psql psql(uri);
        return std::stoll(psql.One("SELECT count(*) FROM pg_class WHERE relname LIKE '\\_jobber\\_tmp\\_%'")) +
               std::stoll(psql.One("SELECT count(*) FROM _jobber_results r WHERE to_regclass(r.table_name) IS NULL"));
    };
    RunRestartScenario(pg_, *server_, side);
}

TEST_F(PostgresRestartFaults, SourceDatabaseRestartsWithJobsInFlight) {
    FaultServerSpec spec;
    // A pause every 20,000 rows keeps each job reading for about a second, so the restart cuts
    // reads in progress and not only the writes to SQLite that follow them.
    spec.tasks =
        "-- name: rows_from_pg\n-- db: pg\n-- results: demo_results\n"
        "SELECT n, 'row ' || n AS label FROM generate_series(1, $1::int) AS n\n"
        "WHERE n % 20000 <> 0 OR pg_sleep(0.2)::text = '';\n";
    spec.extra_db_yaml =
        "  pg:\n    type: postgres\n    dsn: \"" + pg_.uri() + "\"\n    max_connections: 4\n    connect_timeout: 2s\n";
    spec.worker_concurrency = 4;
    server_ = MakeFaultServer(spec);
    server_->Start();

    const auto results_db = server_->results_db();
    Side side;
    side.task = "rows_from_pg";
    side.label = "db 'pg' (postgres)";
    side.table_rows = [results_db](const std::string& table) -> std::optional<int64_t> {
        if (!e2e::TableExists(results_db, table)) return std::nullopt;
        return std::stoll(*e2e::QueryDb(results_db, "SELECT count(*) FROM \"" + table + "\"").rows.at(0).at(0));
    };
    side.leftovers = [results_db] {
        int64_t temp = 0;
        for (const auto& table : e2e::TablesWithPrefix(results_db, "results_")) {
            temp += table.find("__tmp_") != std::string::npos ? 1 : 0;
        }
        return temp;
    };
    RunRestartScenario(pg_, *server_, side);
}

}  // namespace
}  // namespace jobber::faults
