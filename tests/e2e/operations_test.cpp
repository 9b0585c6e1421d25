// Operating the server: metrics, readiness, signals (SIGHUP reload, SIGUSR1 debug), environment
// overrides and per-database admission control.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdlib>

#include "server_harness.hpp"

namespace jobber::e2e {
namespace {

using namespace std::chrono_literals;

const char* const kMediumTask = R"sql(
-- name: medium
-- db: demo
-- results: demo_results
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500000) SELECT count(*) AS n FROM c;
)sql";

TEST(MetricsTest, ExposeJobsHttpAndQueueDepthInPrometheusFormat) {
    ServerHarness server;
    server.Start();
    ASSERT_EQ(server.PostJob("count_entries", R"({"job_id": "m1"})").status, 200);
    ASSERT_NE(server.WaitForState("m1", {"SUCCESS"}), nullptr);
    server.PostJob("count_entries", R"({"job_id": "parked1", "queue": "parked"})");

    const auto response = server.Get("/metrics");
    ASSERT_EQ(response.status, 200);
    EXPECT_NE(response.Header("Content-Type").find("text/plain"), std::string::npos);
    const std::string& text = response.body;
    EXPECT_NE(text.find("jobber_jobs_total{task=\"count_entries\",queue=\"sqljob_queue\",state=\"SUCCESS\"} 1"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("jobber_jobs_total{task=\"count_entries\",queue=\"sqljob_queue\",state=\"PENDING\"} 1"),
              std::string::npos);
    EXPECT_NE(text.find("jobber_http_requests_total{route=\"/tasks/{task}/jobs\",method=\"POST\",code=\"200\"}"),
              std::string::npos);
    EXPECT_NE(
        text.find("jobber_job_run_seconds_count{task=\"count_entries\",queue=\"sqljob_queue\",state=\"SUCCESS\"} 1"),
        std::string::npos);
    EXPECT_NE(text.find("jobber_job_rows_written_total{task=\"count_entries\"} 1"), std::string::npos);
    EXPECT_NE(text.find("jobber_queue_depth{queue=\"sqljob_queue\"} 0"), std::string::npos);
    // Pool usage: nothing runs now, so both gauges are back to 0 after the finished job.
    EXPECT_NE(text.find("jobber_source_queries_in_flight{db=\"demo\"} 0"), std::string::npos) << text;
    EXPECT_NE(text.find("jobber_results_writes_in_flight{backend=\"demo_results\"} 0"), std::string::npos) << text;
    EXPECT_NE(text.find("# TYPE jobber_job_wait_seconds histogram"), std::string::npos);
    server.Delete("/jobs/parked1");
}

TEST(ReadyTest, NamesEveryComponent) {
    ServerHarness server;
    server.Start();
    const auto response = server.Get("/ready");
    ASSERT_EQ(response.status, 200) << response.body;
    auto data = response.DataObject();
    ASSERT_FALSE(data.isNull());
    for (const char* component : {"broker", "state", "db.demo", "results.demo_results"}) {
        EXPECT_EQ(JsonString(data, component), "ok") << component;
    }
}

TEST(SignalsTest, SighupReloadsTasksAndKeepsTheOldSetOnErrors) {
    ServerHarness server;
    server.Start();
    WriteFile(server.sql_dir() / "added.sql", kMediumTask);
    size_t mark = server.LogSize();
    ASSERT_EQ(::kill(server.pid(), SIGHUP), 0);
    ASSERT_TRUE(server.WaitForLog("tasks reloaded", 10s)) << server.LogSince(mark);
    EXPECT_NE(server.Get("/tasks").body.find("\"medium\""), std::string::npos);
    ASSERT_EQ(server.PostJob("medium", R"({"job_id": "after-reload"})").status, 200);
    ASSERT_NE(server.WaitForState("after-reload", {"SUCCESS"}), nullptr);

    WriteFile(server.sql_dir() / "broken.sql", "SELECT 1;\n-- name: x\nSELECT 2;\n");
    mark = server.LogSize();
    ASSERT_EQ(::kill(server.pid(), SIGHUP), 0);
    ASSERT_TRUE(server.WaitForLog("task reload failed", 10s)) << server.LogSince(mark);
    EXPECT_NE(server.LogSince(mark).find("broken.sql:1"), std::string::npos) << server.LogSince(mark);
    EXPECT_NE(server.Get("/tasks").body.find("\"medium\""), std::string::npos);
    EXPECT_TRUE(server.Running());
}

TEST(SignalsTest, Sigusr1TogglesDebugLogging) {
    ServerHarness server;
    server.Start();
    const size_t mark = server.LogSize();
    ASSERT_EQ(::kill(server.pid(), SIGUSR1), 0);
    ASSERT_TRUE(server.WaitForLog("level=debug", 10s)) << server.LogSince(mark);
    server.Get("/health");
    EXPECT_TRUE(server.WaitForLog("level=debug logger=jobber.http request method=GET path=/health", 5s))
        << server.LogSince(mark);
}

TEST(AdmissionTest, MaxConcurrencyFromTheEnvironmentSerialisesQueriesOnTheDb) {
    ServerConfig config;
    config.task_files["medium.sql"] = kMediumTask;
    config.worker_concurrency = 4;
    ::setenv("SQL_JOBBER_DB__DEMO__MAX_CONCURRENCY", "1", 1);
    ServerHarness server(config);
    server.Start();
    ::unsetenv("SQL_JOBBER_DB__DEMO__MAX_CONCURRENCY");
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(server.PostJob("medium", R"({"job_id": "adm)" + std::to_string(i) + R"("})").status, 200);
    }
    std::vector<std::pair<int64_t, int64_t>> intervals;
    for (int i = 0; i < 3; ++i) {
        auto job = server.WaitForState("adm" + std::to_string(i), {"SUCCESS", "FAILURE"}, 60s);
        ASSERT_NE(job, nullptr);
        ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << JsonString(job, "error");
        intervals.emplace_back(*ParseApiTime(JsonString(job, "started_at")),
                               *ParseApiTime(JsonString(job, "finished_at")));
    }
    std::sort(intervals.begin(), intervals.end());
    for (size_t i = 1; i < intervals.size(); ++i) {
        EXPECT_GE(intervals[i].first, intervals[i - 1].second) << "two queries ran at once on a db capped at 1";
    }
}

}  // namespace
}  // namespace jobber::e2e
