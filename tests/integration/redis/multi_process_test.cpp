// Several real sql-jobber processes sharing one Redis (broker and state), one SQLite source file and one SQLite
// results file: what one process accepts, another runs, and every process sees the same state.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "private_redis_server.hpp"
#include "server_harness.hpp"

namespace jobber::e2e {
namespace {

namespace fs = std::filesystem;

// A few seconds of CPU in SQLite: long enough to kill or cancel while it runs.
const char* const kTasks = R"sql(-- Tasks for the Redis multi-process tests.

-- name: count_to
-- db: demo
-- results: demo_results
WITH RECURSIVE counter(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM counter WHERE x < ?)
SELECT COUNT(*) AS counted FROM counter;
)sql";

// Finds the pid of the sql-jobber process started with `config_path` (the harness keeps its child private).
pid_t PidOf(const fs::path& config_path) {
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string cmdline = ReadFile(entry.path() / "cmdline");
        for (char& c : cmdline) {
            if (c == '\0') c = ' ';
        }
        if (cmdline.find(ServerBinary()) != std::string::npos &&
            cmdline.find(config_path.string()) != std::string::npos) {
            return static_cast<pid_t>(std::stol(name));
        }
    }
    return -1;
}

// One deployment: a key prefix of its own in Redis, a shared source and results file, and its servers.
class Deployment {
public:
    explicit Deployment(std::string redis_address)
        : redis_address_(std::move(redis_address)), prefix_("jobber_it_" + RandomHex() + ":") {
        CreateSourceDb(source_db());
    }

    // Adds a server listening on `queues`; not started.
    ServerHarness& Add(std::vector<std::string> queues, int concurrency = 4, bool worker_only = false) {
        ServerConfig config;
        config.queues = std::move(queues);
        config.worker_concurrency = concurrency;
        config.worker_only = worker_only;
        config.task_files["redis_it.sql"] = kTasks;
        // Short leases so a killed worker's job is taken over within seconds.
        config.app_keys["job_lease"] = "3s";
        servers_.push_back(std::make_unique<ServerHarness>(config));
        ServerHarness& server = *servers_.back();
        server.Prepare();
        WriteFile(server.config_path(), ConfigFor(server));
        return server;
    }

    void StartAll() {
        for (auto& server : servers_) server->Start();
    }

    fs::path source_db() const { return dir_.path() / "source.db"; }
    fs::path results_db() const { return dir_.path() / "results.db"; }
    const std::string& prefix() const { return prefix_; }

private:
    std::string ConfigFor(const ServerHarness& server) const {
        std::string yaml = server.ConfigYaml();
        const std::string memory = "job_queue:\n  broker:\n    type: memory\n  state:\n    type: memory\n";
        const std::string redis_keys = "    address: \"" + redis_address_ + "\"\n    key_prefix: \"" + prefix_ +
                                       "\"\n" + "    connect_timeout: 500ms\n    command_timeout: 3s\n";
        Replace(yaml, memory,
                "job_queue:\n  broker:\n    type: redis\n" + redis_keys + "  state:\n    type: redis\n" + redis_keys);
        Replace(yaml, server.source_db().string(), source_db().string());
        Replace(yaml, server.results_db().string(), results_db().string());
        return yaml;
    }

    static void Replace(std::string& text, const std::string& from, const std::string& to) {
        const auto pos = text.find(from);
        if (pos == std::string::npos) throw std::runtime_error("harness config changed: '" + from + "' not found");
        text.replace(pos, from.size(), to);
    }

    std::string redis_address_;
    std::string prefix_;
    TempDir dir_;
    std::vector<std::unique_ptr<ServerHarness>> servers_;
};

std::string RedisAddressOrEmpty() {
    const char* address = std::getenv("JOBBER_TEST_REDIS_ADDRESS");
    return address != nullptr ? address : "";
}

#define SKIP_WITHOUT_REDIS()                                                                                 \
    if (RedisAddressOrEmpty().empty()) {                                                                     \
        GTEST_SKIP() << "JOBBER_TEST_REDIS_ADDRESS is not set; start a server with tests/services/redis.sh"; \
    }

std::string Field(const Poco::JSON::Object::Ptr& job, const std::string& key) {
    return job.isNull() ? std::string("<no job>") : JsonString(job, key);
}

TEST(RedisMultiProcess, PostedOnOneProcessRunByAnotherAndVisibleFromBoth) {
    SKIP_WITHOUT_REDIS();
    Deployment deployment(RedisAddressOrEmpty());
    // A only listens on a queue nobody posts to, so whatever runs, B runs.
    ServerHarness& a = deployment.Add({"a_only"});
    ServerHarness& b = deployment.Add({"sqljob_queue"});
    deployment.StartAll();

    const auto posted =
        a.PostJob("get_profit_summary", R"({"job_id": "cross1", "queue": "sqljob_queue", "args": ["USER1"]})");
    ASSERT_EQ(posted.status, 200) << posted.Describe();
    const auto on_b = b.WaitForState("cross1", {"SUCCESS", "FAILURE"});
    ASSERT_FALSE(on_b.isNull());
    EXPECT_EQ(Field(on_b, "state"), "SUCCESS") << Field(on_b, "error");
    const auto on_a = a.WaitForState("cross1", {"SUCCESS"});
    ASSERT_FALSE(on_a.isNull());
    EXPECT_EQ(JsonInt(on_a, "count"), JsonInt(on_b, "count"));
    EXPECT_GT(JsonInt(on_a, "count"), 0);
    EXPECT_TRUE(TableExists(deployment.results_db(), "results_cross1"));
    EXPECT_NE(b.Log().find("job started job_id=cross1"), std::string::npos) << b.LogSince(0);
    EXPECT_EQ(a.Log().find("job started job_id=cross1"), std::string::npos) << "A does not listen on sqljob_queue";

    // A delayed job posted on B is listed, marked delayed, by A.
    const std::string eta = FormatUtcSeconds(NowUnixMs() + 3600 * 1000);
    const auto later =
        b.PostJob("get_profit_summary", R"({"job_id": "later1", "eta": ")" + eta + R"(", "args": ["USER2"]})");
    ASSERT_EQ(later.status, 200) << later.Describe();
    const auto listed = a.Get("/jobs/queue/sqljob_queue");
    ASSERT_EQ(listed.status, 200) << listed.Describe();
    const auto jobs = listed.DataArray();
    ASSERT_FALSE(jobs.isNull()) << listed.Describe();
    ASSERT_EQ(jobs->size(), 1u) << listed.Describe();
    EXPECT_EQ(JsonString(jobs->getObject(0), "job_id"), "later1");
    EXPECT_EQ(JsonString(jobs->getObject(0), "delayed"), "true") << listed.Describe();
    EXPECT_EQ(a.Delete("/jobs/later1").status, 200);
}

TEST(RedisMultiProcess, ConcurrentDuplicateIdsOnTwoProcessesHaveOneWinner) {
    SKIP_WITHOUT_REDIS();
    Deployment deployment(RedisAddressOrEmpty());
    ServerHarness& a = deployment.Add({"sqljob_queue"});
    ServerHarness& b = deployment.Add({"sqljob_queue"});
    deployment.StartAll();

    // Delayed an hour, so the winner is still pending when the loser posts.
    const std::string eta = FormatUtcSeconds(NowUnixMs() + 3600 * 1000);
    constexpr int kIds = 20;
    std::vector<int> a_status(kIds), b_status(kIds);
    std::atomic<int> ready{0};
    auto poster = [&](ServerHarness& server, std::vector<int>& statuses) {
        ++ready;
        while (ready.load() < 2) std::this_thread::yield();
        for (int i = 0; i < kIds; ++i) {
            statuses[i] = server
                              .PostJob("get_profit_summary", R"({"job_id": "dup)" + std::to_string(i) +
                                                                 R"(", "eta": ")" + eta + R"(", "args": ["USER1"]})")
                              .status;
        }
    };
    std::thread ta(poster, std::ref(a), std::ref(a_status));
    std::thread tb(poster, std::ref(b), std::ref(b_status));
    ta.join();
    tb.join();
    for (int i = 0; i < kIds; ++i) {
        std::multiset<int> statuses{a_status[i], b_status[i]};
        EXPECT_EQ(statuses, (std::multiset<int>{200, 409}))
            << "dup" << i << ": A " << a_status[i] << ", B " << b_status[i];
    }
    const auto listed = b.Get("/jobs/queue/sqljob_queue");
    ASSERT_FALSE(listed.DataArray().isNull()) << listed.Describe();
    EXPECT_EQ(listed.DataArray()->size(), static_cast<size_t>(kIds)) << "one queued message per ID";
    for (int i = 0; i < kIds; ++i) a.Delete("/jobs/dup" + std::to_string(i));
}

TEST(RedisMultiProcess, CancelOnOneProcessStopsTheRunOnAnotherWithinASecond) {
    SKIP_WITHOUT_REDIS();
    Deployment deployment(RedisAddressOrEmpty());
    ServerHarness& a = deployment.Add({"a_only"});
    ServerHarness& b = deployment.Add({"sqljob_queue"});
    deployment.StartAll();

    ASSERT_EQ(a.PostJob("slow_query", R"({"job_id": "slow1", "queue": "sqljob_queue"})").status, 200);
    ASSERT_FALSE(a.WaitForState("slow1", {"STARTED"}).isNull());
    ASSERT_TRUE(b.WaitForLog("job started job_id=slow1", std::chrono::seconds(10)));
    const auto cancelled_at = std::chrono::steady_clock::now();
    const auto cancel = a.Delete("/jobs/slow1");
    ASSERT_EQ(cancel.status, 200) << cancel.Describe();
    ASSERT_TRUE(b.WaitForLog("job cancelled job_id=slow1", std::chrono::seconds(5))) << b.LogSince(0, 30);
    const auto took = std::chrono::steady_clock::now() - cancelled_at;
    // The watchdog polls every 250 ms; the query stops once SQLite sees the interrupt.
    EXPECT_LT(took, std::chrono::milliseconds(1500));
    const auto on_b = b.WaitForState("slow1", {"FAILURE"});
    EXPECT_EQ(Field(on_b, "error"), "job was cancelled");

    // A pending job cancelled on A is never run by B.
    const std::string eta = FormatUtcSeconds(NowUnixMs() + 2000);
    ASSERT_EQ(a.PostJob("get_profit_summary",
                        R"({"job_id": "pend1", "queue": "sqljob_queue", "eta": ")" + eta + R"(", "args": ["USER1"]})")
                  .status,
              200);
    ASSERT_EQ(a.Delete("/jobs/pend1").status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(3500));
    EXPECT_EQ(b.Log().find("job started job_id=pend1"), std::string::npos);
    EXPECT_EQ(Field(b.WaitForState("pend1", {"FAILURE"}), "error"), "job was cancelled");
    EXPECT_FALSE(TableExists(deployment.results_db(), "results_pend1"));
}

TEST(RedisMultiProcess, GroupConcurrencyHoldsAcrossProcesses) {
    SKIP_WITHOUT_REDIS();
    Deployment deployment(RedisAddressOrEmpty());
    ServerHarness& a = deployment.Add({"sqljob_queue"});
    ServerHarness& b = deployment.Add({"sqljob_queue"});
    ServerHarness& c = deployment.Add({"sqljob_queue"});
    deployment.StartAll();

    std::string jobs;
    constexpr int kJobs = 6;
    for (int i = 0; i < kJobs; ++i) {
        jobs += std::string(i == 0 ? "" : ",") + R"({"job_id": "g)" + std::to_string(i) +
                R"(", "task": "count_to", "args": [400000]})";
    }
    const auto posted = a.Post("/groups", R"({"group_id": "grp1", "concurrency": 1, "jobs": [)" + jobs + "]}");
    ASSERT_EQ(posted.status, 200) << posted.Describe();
    const auto group = b.WaitForGroupState("grp1", {"SUCCESS", "FAILURE"}, std::chrono::seconds(90));
    ASSERT_FALSE(group.isNull());
    EXPECT_EQ(JsonString(group, "state"), "SUCCESS");

    // Every run's [started, finished] interval, read from the shared state: none may overlap.
    std::vector<std::pair<int64_t, int64_t>> runs;
    for (int i = 0; i < kJobs; ++i) {
        const auto job = c.WaitForState("g" + std::to_string(i), {"SUCCESS"});
        ASSERT_FALSE(job.isNull());
        const auto started = ParseApiTime(JsonString(job, "started_at"));
        const auto finished = ParseApiTime(JsonString(job, "finished_at"));
        ASSERT_TRUE(started && finished) << ToJson(job);
        runs.emplace_back(*started, *finished);
    }
    std::sort(runs.begin(), runs.end());
    for (size_t i = 1; i < runs.size(); ++i) {
        EXPECT_GE(runs[i].first, runs[i - 1].second) << "two jobs of a concurrency-1 group ran at once";
    }
    int ran_on = 0;
    for (ServerHarness* s : {&a, &b, &c}) ran_on += s->Log().find("job started job_id=g") != std::string::npos;
    EXPECT_GE(ran_on, 2) << "the group's jobs were spread over the processes";
}

TEST(RedisMultiProcess, AJobWhoseProcessIsKilledIsFinishedByAnother) {
    SKIP_WITHOUT_REDIS();
    Deployment deployment(RedisAddressOrEmpty());
    ServerHarness& a = deployment.Add({"sqljob_queue"});
    deployment.StartAll();
    // Several seconds of counting in SQLite.
    ASSERT_EQ(a.PostJob("count_to", R"({"job_id": "orphan1", "args": [30000000]})").status, 200);
    ASSERT_TRUE(a.WaitForLog("job started job_id=orphan1", std::chrono::seconds(10)));
    const pid_t pid = PidOf(a.config_path());
    ASSERT_GT(pid, 0);
    ASSERT_EQ(kill(pid, SIGKILL), 0);

    ServerHarness& b = deployment.Add({"sqljob_queue"});
    b.Start();
    // A's lease (app.job_lease 3s) runs out unrenewed; B gets the message again, finds the record
    // STARTED by the same submission and takes the job over.
    const auto job = b.WaitForState("orphan1", {"SUCCESS", "FAILURE"}, std::chrono::seconds(60));
    ASSERT_FALSE(job.isNull()) << "the redelivered job was not taken over; B's log:\n" << b.LogSince(0, 40);
    EXPECT_EQ(Field(job, "state"), "SUCCESS") << Field(job, "error");
    EXPECT_TRUE(TableExists(deployment.results_db(), "results_orphan1"));
}

TEST(RedisMultiProcess, EveryAcceptedJobFinishesAcrossARedisRestart) {
    SKIP_WITHOUT_REDIS();
    redis::testing::PrivateRedisServer redis;
    if (!redis.unavailable_reason().empty()) GTEST_SKIP() << redis.unavailable_reason();
    redis.Start();
    Deployment deployment(redis.address());
    ServerHarness& a = deployment.Add({"sqljob_queue"});
    ServerHarness& b = deployment.Add({"sqljob_queue"});
    deployment.StartAll();

    std::mutex mutex;
    std::vector<std::string> accepted;
    std::vector<std::string> refusals;
    std::atomic<bool> stop{false};
    std::atomic<int> next{0};
    auto poster = [&](ServerHarness& server) {
        while (!stop.load()) {
            const std::string id = "rs" + std::to_string(next++);
            const auto response =
                server.PostJob("get_profit_summary", R"({"job_id": ")" + id + R"(", "args": ["USER1"]})");
            std::lock_guard<std::mutex> lock(mutex);
            if (response.status == 200) {
                accepted.push_back(id);
            } else {
                refusals.push_back(std::to_string(response.status) + " " + response.Message());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    };
    std::thread pa(poster, std::ref(a));
    std::thread pb(poster, std::ref(b));
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    redis.Stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    redis.Start();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    stop = true;
    pa.join();
    pb.join();

    ASSERT_FALSE(refusals.empty()) << "no POST was refused while Redis was down";
    for (const auto& refusal : refusals) {
        EXPECT_EQ(refusal.substr(0, 3), "503") << "a POST with Redis down must answer 503, got: " << refusal;
    }
    ASSERT_GT(accepted.size(), 20u);
    for (const auto& id : accepted) {
        const auto job = a.WaitForState(id, {"SUCCESS", "FAILURE"}, std::chrono::seconds(100));
        ASSERT_FALSE(job.isNull()) << id << " never reached a final state";
        EXPECT_EQ(Field(job, "state"), "SUCCESS") << id << ": " << Field(job, "error");
    }
}

}  // namespace
}  // namespace jobber::e2e
