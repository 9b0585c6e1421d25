// Jobs through the HTTP API with PostgreSQL as source and results backend: results compared row for
// row with the source query, empty results, re-runs, cancel of a running query, expiry.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "postgres_e2e.hpp"

namespace jobber::postgres::e2e {
namespace {

using namespace std::chrono_literals;
using jobber::e2e::JsonInt;
using jobber::e2e::JsonString;
using testing::WaitUntil;

// Every column type the source maps, NULLs in every column, unicode, quotes, and a wide row; 20,000
// rows, so a job spans several batches.
const char* kSourceSql = R"sql(
CREATE TABLE source_rows (
    id int8 PRIMARY KEY, small int2, medium int4, amount numeric(30, 10), ratio float4, price float8,
    created timestamp, stamped timestamptz, day date, paid bool, note text, code varchar(8), tag uuid,
    doc jsonb, list int[]);
INSERT INTO source_rows
SELECT n, (n % 30000)::int2, n * 7, (n * 1234567.0123456789)::numeric(30, 10), n / 8.0, n / 3.0,
       '2017-01-01'::timestamp + n * interval '61 seconds', '2017-01-01 00:00:00+05:30'::timestamptz + n * interval '1 hour',
       '2017-01-01'::date + n % 365, n % 3 = 0,
       CASE WHEN n % 17 = 0 THEN 'café ☕ 支払い済み — "quoted" \ tab	end' ELSE 'entry ' || n END,
       'c' || n % 100, md5(n::text)::uuid, jsonb_build_object('n', n), ARRAY[n, n + 1]
FROM generate_series(1, 20000) AS n;
INSERT INTO source_rows (id) VALUES (20001);
INSERT INTO source_rows (id, note) VALUES (20002, repeat('wide ', 200000));
)sql";

const char* kTasks = R"sql(
-- name: all_rows
SELECT * FROM source_rows ORDER BY id;

-- name: by_id
SELECT id, note FROM source_rows WHERE id = $1;

-- name: no_rows
SELECT id, amount, created FROM source_rows WHERE id < 0;

-- name: sleepy
SELECT pg_sleep(30) AS slept /* e2e-sleepy */;

-- name: backend_pid
SELECT pg_backend_pid() AS pid;
)sql";

class PostgresJobsTest : public ::testing::Test {
protected:
    void SetUp() override {
        JOBBER_REQUIRE_POSTGRES();
        PgServerOptions options;
        options.tasks = kTasks;
        options.source_sql = kSourceSql;
        options.max_connections = 1;  // one source connection: reuse after a cancel is observable
        server_ = std::make_unique<PgServer>(options);
        server_->Start();
    }

    std::unique_ptr<PgServer> server_;
};

TEST_F(PostgresJobsTest, ResultsTableMatchesTheSourceQueryRowForRow) {
    auto job = server_->RunJob("all_rows", R"({"job_id": "everything"})");
    ASSERT_TRUE(job) << server_->harness().Log();
    EXPECT_EQ(JsonInt(job, "count"), 20002);
    EXPECT_EQ(JsonString(job, "results_table"), "results_everything");
    auto& psql = server_->psql();
    // timestamptz becomes a timestamp in UTC; every other column keeps its text form exactly.
    const auto source = psql.Rows(
        "SELECT id, small, medium, amount, ratio, price, created, stamped AT TIME ZONE 'UTC', day, paid, note, code, "
        "tag, doc, list FROM source_rows ORDER BY id");
    const auto results = psql.Rows("SELECT * FROM results_everything ORDER BY id");
    ASSERT_EQ(results.size(), source.size());
    for (size_t i = 0; i < source.size(); ++i) ASSERT_EQ(results[i], source[i]) << "row " << i + 1;
    EXPECT_EQ(psql.Rows("SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() "
                        "AND table_name = 'results_everything' ORDER BY ordinal_position"),
              (std::vector<std::string>{"bigint", "bigint", "bigint", "numeric", "double precision", "double precision",
                                        "timestamp without time zone", "timestamp without time zone", "date", "boolean",
                                        "text", "text", "text", "text", "text"}));
}

TEST_F(PostgresJobsTest, EmptyResultStillPublishesATable) {
    auto job = server_->RunJob("no_rows", R"({"job_id": "nothing"})");
    ASSERT_TRUE(job) << server_->harness().Log();
    EXPECT_EQ(JsonInt(job, "count"), 0);
    EXPECT_EQ(server_->psql().One("SELECT count(*) FROM results_nothing"), "0");
}

TEST_F(PostgresJobsTest, ReRunningAJobIdReplacesItsTable) {
    ASSERT_TRUE(server_->RunJob("by_id", R"({"job_id": "again", "args": [17]})"));
    EXPECT_EQ(server_->psql().One("SELECT id FROM results_again"), "17");
    ASSERT_TRUE(server_->RunJob("by_id", R"({"job_id": "again", "args": ["42"]})"));
    EXPECT_EQ(server_->psql().Rows("SELECT id FROM results_again"), std::vector<std::string>{"42"});
    EXPECT_EQ(server_->psql().One("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND "
                                  "tablename LIKE '\\_jobber\\_tmp\\_%'"),
              "0");
}

TEST_F(PostgresJobsTest, CancellingARunningJobCancelsItsQuery) {
    auto first = server_->RunJob("backend_pid", R"({"job_id": "pid_before"})");
    ASSERT_TRUE(first);
    auto& harness = server_->harness();
    ASSERT_EQ(harness.PostJob("sleepy", R"({"job_id": "sleeper"})").status, 200);
    auto& psql = server_->psql();
    ASSERT_TRUE(WaitUntil([&] { return ActiveQueries(psql, "e2e-sleepy") == 1; }, 10s)) << harness.Log();
    const auto cancelled_at = std::chrono::steady_clock::now();
    const auto response = harness.Delete("/jobs/sleeper");
    ASSERT_EQ(response.status, 200) << response.Describe();
    EXPECT_TRUE(WaitUntil([&] { return ActiveQueries(psql, "e2e-sleepy") == 0; }, 1s));
    EXPECT_LT(std::chrono::steady_clock::now() - cancelled_at, 1s);
    auto job = harness.WaitForState("sleeper", {"FAILURE"}, 10s);
    ASSERT_TRUE(job);
    EXPECT_EQ(psql.One("SELECT to_regclass('results_sleeper') IS NULL"), "t");  // nothing published
    // The one source connection went back to the pool usable: the next job runs on it.
    ASSERT_TRUE(server_->RunJob("backend_pid", R"({"job_id": "pid_after"})")) << harness.Log();
    EXPECT_EQ(psql.One("SELECT pid FROM results_pid_after"), psql.One("SELECT pid FROM results_pid_before"));
}

TEST_F(PostgresJobsTest, ExpiredTablesAreSwept) {
    ASSERT_TRUE(server_->RunJob("by_id", R"({"job_id": "short_lived", "args": [1], "ttl": "2s"})"));
    auto& psql = server_->psql();
    EXPECT_EQ(psql.One("SELECT count(*) FROM results_short_lived"), "1");
    EXPECT_TRUE(WaitUntil([&] { return psql.One("SELECT to_regclass('results_short_lived') IS NULL") == "t"; }, 10s))
        << server_->harness().Log();
    EXPECT_EQ(psql.One("SELECT count(*) FROM _jobber_results WHERE table_name = 'results_short_lived'"), "0");
}

TEST_F(PostgresJobsTest, TableNamesOverSixtyThreeBytesAreRefused) {
    const std::string id(60, 'x');  // results_ + 60 = 68 bytes
    const auto response = server_->harness().PostJob("by_id", R"({"job_id": ")" + id + R"(", "args": [1]})");
    EXPECT_EQ(response.status, 400) << response.Describe();
}

}  // namespace
}  // namespace jobber::postgres::e2e
