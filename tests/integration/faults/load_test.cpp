// Load with exact accounting: many concurrent clients post JOBBER_FAULTS_LOAD_JOBS jobs (default
// 20,000) to two real sql-jobber processes sharing the Redis broker and state of
// tests/services/redis.sh; source and results are a database of their own on the PostgreSQL of
// tests/services/postgres.sh. Job i asks for 1 + i % 37 rows and every 50th job divides by zero on
// purpose. At the end every accepted job's status is read: accepted = succeeded + failed, exactly
// the deliberate ones failed, every success's table holds its row count, and no other table exists.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fault_server.hpp"
#include "pg_test_support.hpp"

namespace jobber::faults {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using postgres::testing::Psql;

int EnvInt(const char* name, int fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::atoi(value) : fallback;
}

int RowsOf(int i) {
    return 1 + i % 37;
}
bool FailsOnPurpose(int i) {
    return i % 50 == 49;
}

double Seconds(Clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

// A database of the test's own on the shared server: 20,000 tables would not fit one DROP SCHEMA
// ... CASCADE transaction's lock table, DROP DATABASE needs no per-table locks.
class LoadDatabase {
public:
    LoadDatabase() {
        name_ = "jobber_load_" + std::to_string(getpid()) + "_" + std::to_string(std::random_device{}() % 100000);
        Psql(postgres::testing::ServerUri()).Exec("CREATE DATABASE " + name_);
        const std::string server = postgres::testing::ServerUri();
        dsn_ = server.substr(0, server.rfind('/') + 1) + name_;
    }
    // The drop is sent and not waited for: removing ~40,000 freshly written files waits for the
    // kernel to write back hundreds of MB first (30-40 s on the 2-core CI VM), while the server
    // finishes it on its own. Deleting them early also spares the disk most of that write-back.
    ~LoadDatabase() {
        if (std::getenv("JOBBER_E2E_KEEP") != nullptr) return;  // kept for a look, like the harness's files
        PGconn* conn = PQconnectdb(postgres::testing::ServerUri().c_str());
        const std::string drop = "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)";
        if (PQstatus(conn) != CONNECTION_OK || PQsendQuery(conn, drop.c_str()) != 1) {
            std::fprintf(stderr, "cannot drop %s: %s\n", name_.c_str(), PQerrorMessage(conn));
        }
        // The server reads our goodbye only after the DROP; it runs to the end without us.
        PQfinish(conn);
    }
    const std::string& dsn() const { return dsn_; }

private:
    std::string name_;
    std::string dsn_;
};

struct Outcome {
    int post_status = 0;
    std::string state;
    int64_t count = -1;
    std::string error;
};

// Runs `body(i)` for i in [0, n) on `threads` threads, each taking every threads-th index.
template <class Body>
void Parallel(int n, int threads, Body body) {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = t; i < n; i += threads) body(i);
        });
    }
    for (auto& w : workers) w.join();
}

TEST(FaultsLoad, ManyClientsTwoProcessesExactAccounting) {
    JOBBER_REQUIRE_POSTGRES();
    const char* redis = std::getenv("JOBBER_TEST_REDIS_ADDRESS");
    if (redis == nullptr) GTEST_SKIP() << "JOBBER_TEST_REDIS_ADDRESS is not set; start tests/services/redis.sh";
    const int jobs = EnvInt("JOBBER_FAULTS_LOAD_JOBS", 20000);
    const int clients = EnvInt("JOBBER_FAULTS_LOAD_CLIENTS", 16);
    ASSERT_GT(jobs, 0);
    ASSERT_GT(clients, 0);

    LoadDatabase database;
    const std::string prefix = "jobber_load_" + std::to_string(getpid()) + ":";
    std::string redis_keys = std::string("    address: \"") + redis + "\"\n    key_prefix: \"" + prefix +
                             "\"\n    connect_timeout: 500ms\n    command_timeout: 3s\n";
    FaultServerSpec spec;
    spec.tasks =
        "-- name: load_rows\n-- db: pg\n-- results: pg_results\n"
        "SELECT n, 100 / $2::int AS q FROM generate_series(1, $1::int) AS n;\n";
    spec.extra_db_yaml = "  pg:\n    type: postgres\n    dsn: \"" + database.dsn() +
                         "\"\n    max_connections: 6\n    connect_timeout: 5s\n";
    spec.extra_results_yaml = "  pg_results:\n    type: postgres\n    dsn: \"" + database.dsn() +
                              "\"\n    results_table: \"results_%s\"\n    max_connections: 6\n    unlogged: true\n"
                              "    connect_timeout: 5s\n";
    spec.job_queue_yaml =
        "job_queue:\n  broker:\n    type: redis\n" + redis_keys + "  state:\n    type: redis\n" + redis_keys;
    spec.worker_concurrency = 6;
    auto a = MakeFaultServer(spec);
    auto b = MakeFaultServer(spec);
    a->Start();
    b->Start();

    std::vector<Outcome> outcomes(jobs);
    const auto started = Clock::now();
    Parallel(jobs, clients, [&](int i) {
        const e2e::ServerHarness& server = i % 2 == 0 ? *a : *b;
        const std::string body = R"({"job_id": "L)" + std::to_string(i) + R"(", "args": [)" +
                                 std::to_string(RowsOf(i)) + ", " + (FailsOnPurpose(i) ? "0" : "1") + "]}";
        try {
            outcomes[i].post_status = server.PostJob("load_rows", body).status;
        } catch (const std::exception& e) {
            outcomes[i].post_status = -1;  // no HTTP answer at all
            outcomes[i].error = e.what();
        }
    });
    const auto posted = Clock::now();
    // Statuses are read from the other process than the one that accepted the job.
    Parallel(jobs, clients, [&](int i) {
        if (outcomes[i].post_status != 200) return;
        const e2e::ServerHarness& server = i % 2 == 0 ? *b : *a;
        const auto job = server.WaitForState("L" + std::to_string(i), {"SUCCESS", "FAILURE"}, 120s);
        if (job.isNull()) return;
        outcomes[i].state = e2e::JsonString(job, "state");
        outcomes[i].count = e2e::JsonInt(job, "count");
        outcomes[i].error = e2e::JsonString(job, "error");
    });
    const auto finished = Clock::now();

    int accepted = 0, succeeded = 0, failed = 0, unfinished = 0, wrong_outcome = 0;
    std::map<int, int> rejected;  // HTTP status -> POSTs
    for (int i = 0; i < jobs; ++i) {
        const Outcome& o = outcomes[i];
        if (o.post_status != 200) {
            ++rejected[o.post_status];
            continue;
        }
        ++accepted;
        if (o.state == "SUCCESS") {
            ++succeeded;
            if (FailsOnPurpose(i) || o.count != RowsOf(i)) {
                ++wrong_outcome;
                ADD_FAILURE() << "L" << i << " succeeded with count " << o.count << ", want "
                              << (FailsOnPurpose(i) ? "a failure" : std::to_string(RowsOf(i)));
            }
        } else if (o.state == "FAILURE") {
            ++failed;
            if (!FailsOnPurpose(i) || o.error.find("division by zero") == std::string::npos) {
                ++wrong_outcome;
                ADD_FAILURE() << "L" << i << " failed: " << o.error;
            }
        } else {
            ++unfinished;
        }
    }
    int rejected_total = 0;
    std::string rejected_text;
    for (const auto& [code, count] : rejected) {
        rejected_total += count;
        rejected_text += " " + std::to_string(code) + ":" + std::to_string(count);
    }
    std::cerr << "[faults] load: " << jobs << " posted by " << clients << " clients in " << Seconds(posted - started)
              << " s (" << jobs / Seconds(posted - started) << " posts/s); all final after "
              << Seconds(finished - started) << " s (" << accepted / Seconds(finished - started)
              << " jobs/s); accepted " << accepted << " = succeeded " << succeeded << " + failed " << failed
              << " (+ unfinished " << unfinished << "); rejected " << rejected_total << rejected_text << "\n";

    EXPECT_EQ(accepted + rejected_total, jobs);
    EXPECT_EQ(unfinished, 0);
    EXPECT_EQ(succeeded + failed, accepted);
    EXPECT_EQ(wrong_outcome, 0);
    // Nothing was wrong with these requests: the only acceptable refusal is an overloaded 503.
    for (const auto& [code, count] : rejected) EXPECT_EQ(code, 503) << count << " POSTs answered " << code;
    EXPECT_LE(rejected_total * 100, jobs) << "more than 1% of the POSTs were refused";
    // Both processes ran jobs.
    EXPECT_GT(CountLogLines(a->Log(), {"job started job_id=L"}), 0);
    EXPECT_GT(CountLogLines(b->Log(), {"job started job_id=L"}), 0);
    ASSERT_EQ(a->Stop(), std::optional<int>(0));
    ASSERT_EQ(b->Stop(), std::optional<int>(0));

    // Every result table's rows, counted in the database, in chunks (each count holds a lock on
    // its table until the statement's transaction ends).
    Psql psql(database.dsn());
    psql.Exec(
        "CREATE FUNCTION rows_of(t text) RETURNS bigint LANGUAGE plpgsql AS $$ DECLARE c bigint; BEGIN "
        "EXECUTE format('SELECT count(*) FROM %I', t) INTO c; RETURN c; END $$");
    const auto tables = psql.Rows(
        "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND "
        "relname LIKE 'results\\_%' ORDER BY relname");
    std::map<std::string, int64_t> rows;
    for (size_t at = 0; at < tables.size(); at += 1000) {
        std::string names;
        for (size_t k = at; k < std::min(tables.size(), at + 1000); ++k)
            names += (names.empty() ? "'" : ",'") + tables[k] + "'";
        for (const auto& line : psql.Rows("SELECT t, rows_of(t) FROM unnest(ARRAY[" + names + "]) AS t")) {
            const size_t bar = line.find('|');
            rows[line.substr(0, bar)] = std::stoll(line.substr(bar + 1));
        }
    }
    std::cerr << "[faults] load: servers stopped and " << rows.size() << " tables counted after "
              << Seconds(Clock::now() - started) << " s\n";
    EXPECT_EQ(static_cast<int>(rows.size()), succeeded) << "one table per succeeded job, no other";
    int wrong_tables = 0;
    for (int i = 0; i < jobs; ++i) {
        if (outcomes[i].state != "SUCCESS") continue;
        const auto it = rows.find("results_L" + std::to_string(i));
        if (it == rows.end() || it->second != RowsOf(i)) {
            if (++wrong_tables <= 10) {
                ADD_FAILURE() << "results_L" << i << " holds "
                              << (it == rows.end() ? std::string("no table") : std::to_string(it->second))
                              << " rows, want " << RowsOf(i);
            }
        }
    }
    EXPECT_EQ(wrong_tables, 0);
}

}  // namespace
}  // namespace jobber::faults
