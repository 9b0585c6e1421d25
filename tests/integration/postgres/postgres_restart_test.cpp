// The PostgreSQL server goes down and comes back while sql-jobber runs: jobs fail (or retry) naming
// the db, the server keeps serving, and everything recovers once the database is back. These stop
// the shared test server (JOBBER_TEST_POSTGRES_CTL), so ctest runs them alone.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "postgres_e2e.hpp"

namespace jobber::postgres::e2e {
namespace {

using namespace std::chrono_literals;
using jobber::e2e::JsonInt;
using jobber::e2e::JsonString;
using testing::WaitUntil;

const char* kTasks = R"sql(
-- name: numbers
SELECT n, 'row ' || n AS label FROM generate_series(1, $1::int) AS n;

-- name: slow_numbers
SELECT n, pg_sleep(0.001) AS pause FROM generate_series(1, 3000) AS n;
)sql";

void Control(const std::string& action) {
    const char* ctl = std::getenv("JOBBER_TEST_POSTGRES_CTL");
    ASSERT_NE(ctl, nullptr);
    const std::string command = std::string(ctl) + " " + action + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

class PostgresRestartTest : public ::testing::Test {
protected:
    void SetUp() override {
        JOBBER_REQUIRE_POSTGRES();
        if (std::getenv("JOBBER_TEST_POSTGRES_CTL") == nullptr) GTEST_SKIP() << "JOBBER_TEST_POSTGRES_CTL is not set";
        PgServerOptions options;
        options.tasks = kTasks;
        server_ = std::make_unique<PgServer>(options);
        server_->Start();
    }

    void TearDown() override {
        // Whatever happened, leave the server running for the next test.
        if (std::getenv("JOBBER_TEST_POSTGRES_CTL") != nullptr) {
            std::system((std::string(std::getenv("JOBBER_TEST_POSTGRES_CTL")) + " start >/dev/null 2>&1").c_str());
        }
    }

    // On a fresh connection: the restart closed every connection opened before it.
    std::string One(const std::string& sql) { return testing::Psql(server_->schema().dsn()).One(sql); }

    std::unique_ptr<PgServer> server_;
};

TEST_F(PostgresRestartTest, PooledConnectionsAreReplacedAfterARestart) {
    ASSERT_TRUE(server_->RunJob("numbers", R"({"job_id": "before", "args": [10]})"));
    Control("restart");
    auto job = server_->RunJob("numbers", R"({"job_id": "after", "args": [20]})", {"SUCCESS", "FAILURE"});
    ASSERT_TRUE(job);
    EXPECT_EQ(JsonString(job, "state"), "SUCCESS") << JsonString(job, "error");
    EXPECT_EQ(JsonInt(job, "count"), 20);
}

TEST_F(PostgresRestartTest, JobsFailNamingTheDbWhileItIsDownAndRecoverAfter) {
    auto& harness = server_->harness();
    ASSERT_TRUE(server_->RunJob("numbers", R"({"job_id": "warm", "args": [1]})"));
    Control("stop");
    auto failed = server_->RunJob("numbers", R"({"job_id": "down", "args": [5]})", {"SUCCESS", "FAILURE"});
    ASSERT_TRUE(failed);
    EXPECT_EQ(JsonString(failed, "state"), "FAILURE");
    EXPECT_NE(JsonString(failed, "error").find("db 'pg' (postgres)"), std::string::npos) << JsonString(failed, "error");
    EXPECT_NE(JsonString(failed, "error").find("cannot connect to PostgreSQL at host=127.0.0.1"), std::string::npos)
        << JsonString(failed, "error");
    EXPECT_EQ(harness.Get("/health").status, 200);
    // A job with retries waits the outage out.
    ASSERT_EQ(harness.PostJob("numbers", R"({"job_id": "patient", "args": [7], "retries": 6})").status, 200);
    ASSERT_TRUE(harness.WaitForState("patient", {"RETRY"}, 10s));
    Control("start");
    auto recovered = harness.WaitForState("patient", {"SUCCESS", "FAILURE"}, 60s);
    ASSERT_TRUE(recovered);
    EXPECT_EQ(JsonString(recovered, "state"), "SUCCESS") << JsonString(recovered, "error");
    EXPECT_EQ(One("SELECT count(*) FROM results_patient"), "7");
}

TEST_F(PostgresRestartTest, RestartInTheMiddleOfAJobIsRetried) {
    auto& harness = server_->harness();
    // About 3 s of rows: the restart lands while the query streams and the COPY is open.
    ASSERT_EQ(harness.PostJob("slow_numbers", R"({"job_id": "interrupted", "retries": 5})").status, 200);
    ASSERT_TRUE(harness.WaitForState("interrupted", {"STARTED"}, 10s));
    std::this_thread::sleep_for(500ms);
    Control("restart");
    auto job = harness.WaitForState("interrupted", {"SUCCESS", "FAILURE"}, 90s);
    ASSERT_TRUE(job);
    EXPECT_EQ(JsonString(job, "state"), "SUCCESS") << JsonString(job, "error");
    EXPECT_GE(JsonInt(job, "attempts", 0), 2);  // the first attempt died with the server
    EXPECT_EQ(One("SELECT count(*) FROM results_interrupted"), "3000");
    EXPECT_NE(harness.Log().find("job_id=interrupted"), std::string::npos);
}

TEST_F(PostgresRestartTest, ExpirySweepSurvivesTheResultsDbBeingDown) {
    auto& harness = server_->harness();
    ASSERT_TRUE(server_->RunJob("numbers", R"({"job_id": "expiring", "args": [3], "ttl": "3s"})"));
    Control("stop");
    EXPECT_TRUE(harness.WaitForLog("expiry sweep failed results=pg_results", 10s)) << harness.Log();
    Control("start");
    EXPECT_TRUE(WaitUntil([&] { return One("SELECT to_regclass('results_expiring') IS NULL") == "t"; }, 15s))
        << harness.Log();
    EXPECT_EQ(harness.Get("/health").status, 200);
}

}  // namespace
}  // namespace jobber::postgres::e2e
