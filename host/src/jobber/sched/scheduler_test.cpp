// Scheduler semantics end to end inside one process: the job service, runner, worker pool and
// watchdog with the real memory (broker + state) and sqlite (source + results) plugins.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "jobber/app/backend_factory.hpp"
#include "jobber/jobs/job_codec.hpp"
#include "jobber/plugin/plugin_catalog.hpp"
#include "jobber/sched/job_runner.hpp"
#include "jobber/sched/job_watchdog.hpp"
#include "jobber/sched/run_lease.hpp"
#include "jobber/sched/worker_pool.hpp"
#include "jobber/service/api_error.hpp"
#include "jobber/service/job_service.hpp"

namespace jobber::sched {
namespace {

namespace fs = std::filesystem;
using jobs::JobState;
using namespace std::chrono_literals;

void Exec(sqlite3* db, const std::string& sql) {
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
}

int64_t CountRows(const std::string& db_path, const std::string& table) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    int64_t count = -1;
    if (sqlite3_prepare_v2(db, ("SELECT count(*) FROM \"" + table + "\"").c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
        count = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return count;
}

tasks::TaskDefinition Task(const std::string& name, const std::string& sql, bool raw = false) {
    tasks::TaskDefinition def;
    def.name = name;
    def.sql = sql;
    def.raw = raw;
    def.file = "test.sql";
    def.line = 1;
    return def;
}

class SchedulerTest : public ::testing::Test {
protected:
    // The plugin providing the broker and the state store.
    virtual std::string QueuePlugin() const { return "memory"; }
    void SetUp() override {
        std::random_device rd;
        dir_ = fs::temp_directory_path() / ("jobber-sched-" + std::to_string(rd()));
        fs::create_directories(dir_);
        source_path_ = (dir_ / "source.db").string();
        results_path_ = (dir_ / "results.db").string();
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(source_path_.c_str(), &db), SQLITE_OK);
        Exec(db,
             "CREATE TABLE numbers(n INTEGER); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < "
             "5000) INSERT INTO numbers SELECT x FROM c;");
        sqlite3_close(db);

        config::Settings settings;
        config::PluginInstanceSettings source{"src", "sqlite", {{"dsn", source_path_}}, "test"};
        config::ResultsSettings results;
        results.name = "res";
        results.type = "sqlite";
        results.options = {{"dsn", results_path_}};
        settings.db["src"] = source;
        settings.results["res"] = results;
        settings.job_queue.broker.type = QueuePlugin();
        settings.job_queue.state.type = QueuePlugin();
        catalog_ = std::make_unique<plugin::PluginCatalog>(
            plugin::PluginCatalog::Scan({JOBBER_TEST_PLUGIN_DIR, JOBBER_TEST_FIXTURE_PLUGIN_DIR}));
        backends_ = app::OpenBackends(settings, *catalog_);
        task_catalog_ = service::TaskCatalog::Build(
            {Task("count_to", "SELECT n FROM numbers WHERE n <= ? ORDER BY n"),
             Task("slow",
                  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 2000000000) "
                  "SELECT count(*) FROM c"),
             Task("broken", "SELECT * FROM no_such_table", true)},
            backends_);
        auto getter = [this] { return task_catalog_; };
        service_ = std::make_unique<service::JobService>(backends_, getter, running_, service::ServiceSettings{});
        RunnerSettings runner_settings;
        runner_settings.group_wait = 50ms;
        runner_ = std::make_unique<JobRunner>(backends_, getter, running_, admission_, runner_settings);
        pool_ =
            std::make_unique<WorkerPool>(*backends_.broker, *runner_, WorkerPoolSettings{{"sqljob_queue"}, 4, 100ms});
        watchdog_ = std::make_unique<JobWatchdog>(*backends_.broker, *backends_.state, running_, 60s, 50ms);
        watchdog_->Start();
        pool_->Start();
    }

    void TearDown() override {
        if (pool_) {
            pool_->StopAccepting(0ms);
            running_.StopAll(StopReason::kShutdown);
            pool_->Join();
        }
        if (watchdog_) watchdog_->Stop();
        pool_.reset();
        runner_.reset();
        service_.reset();
        backends_ = service::Backends{};
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    jobs::JobRecord Post(const std::string& task,
                         std::vector<jobs::JobArg> args,
                         const std::string& id = "",
                         int retries = 0,
                         int64_t eta_ms = 0) {
        jobs::JobRequest request;
        request.job_id = id;
        request.args = std::move(args);
        request.retries = retries;
        request.eta_ms = eta_ms;
        return service_->PostJob(task, request);
    }

    // "Another worker" pops `job_id` (a count_to 3 job posted to a queue no worker of the fixture listens on),
    // starts it (STARTED, attempt 1), holds its run lease, and loses its connection: the broker redelivers it.
    // Returns the submission's token.
    std::string StartedElsewhereAndRedelivered(const std::string& job_id) {
        jobs::JobRequest request;
        request.job_id = job_id;
        request.queue = "parked";
        request.args = {int64_t{3}};
        service_->PostJob("count_to", request);
        auto& state = *backends_.state;
        auto first = backends_.broker->Pop({"parked"}, 1s, 60s);
        EXPECT_TRUE(first);
        auto stored = state.GetJob(job_id);
        EXPECT_TRUE(stored);
        if (!first || !stored) return {};
        auto record = jobs::DecodeRecord(stored->body);
        record.state = JobState::kStarted;
        record.attempts = 1;
        EXPECT_TRUE(state
                        .CasJob(job_id, JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING), &stored->token, JOBBER_JOB_STARTED,
                                stored->token, jobs::EncodeRecord(record), 60000)
                        .ok);
        EXPECT_TRUE(state.AcquireSlot(RunLeaseKey(job_id, stored->token, 1), 1, "other-worker", 60000));
        EXPECT_TRUE(backends_.broker->Requeue(first->receipt, 0));
        return stored->token;
    }

    jobs::JobRecord WaitFor(const std::string& id,
                            std::initializer_list<JobState> states,
                            std::chrono::milliseconds limit = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        jobs::JobRecord r;
        while (std::chrono::steady_clock::now() < deadline) {
            r = service_->GetJob(id);
            for (auto s : states) {
                if (r.state == s) return r;
            }
            std::this_thread::sleep_for(20ms);
        }
        ADD_FAILURE() << "job " << id << " stayed " << jobs::StateName(r.state) << " error=" << r.error;
        return r;
    }

    static int64_t NowMs() {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

    fs::path dir_;
    std::string source_path_;
    std::string results_path_;
    std::unique_ptr<plugin::PluginCatalog> catalog_;
    service::Backends backends_;
    std::shared_ptr<const service::TaskCatalog> task_catalog_;
    RunningJobs running_;
    DbAdmission admission_;
    std::unique_ptr<service::JobService> service_;
    std::unique_ptr<JobRunner> runner_;
    std::unique_ptr<WorkerPool> pool_;
    std::unique_ptr<JobWatchdog> watchdog_;
};

TEST_F(SchedulerTest, JobRunsToSuccessAndWritesEveryRow) {
    const auto accepted = Post("count_to", {int64_t{1234}}, "job1");
    EXPECT_EQ(accepted.state, JobState::kPending);
    const auto done = WaitFor("job1", {JobState::kSuccess, JobState::kFailure});
    ASSERT_EQ(done.state, JobState::kSuccess) << done.error;
    EXPECT_EQ(done.count, 1234);
    EXPECT_EQ(done.attempts, 1);
    EXPECT_EQ(done.results_table, "results_job1");
    EXPECT_EQ(CountRows(results_path_, "results_job1"), 1234);
}

TEST_F(SchedulerTest, DuplicateActiveIdIsRejectedButFinishedIdReruns) {
    Post("slow", {}, "dup");
    WaitFor("dup", {JobState::kStarted});
    try {
        Post("count_to", {int64_t{1}}, "dup");
        ADD_FAILURE() << "expected 409";
    } catch (const service::ApiError& e) {
        EXPECT_EQ(e.status(), 409);
        EXPECT_NE(std::string(e.what()).find("STARTED"), std::string::npos) << e.what();
    }
    service_->CancelJob("dup", false);
    WaitFor("dup", {JobState::kFailure});
    Post("count_to", {int64_t{7}}, "dup");
    EXPECT_EQ(WaitFor("dup", {JobState::kSuccess}).count, 7);
    // A re-run replaces the table.
    Post("count_to", {int64_t{9}}, "dup");
    EXPECT_EQ(WaitFor("dup", {JobState::kSuccess}).count, 9);
    EXPECT_EQ(CountRows(results_path_, "results_dup"), 9);
}

TEST_F(SchedulerTest, WrongArgumentCountFailsNamingBothCounts) {
    Post("count_to", {}, "noargs");
    const auto done = WaitFor("noargs", {JobState::kSuccess, JobState::kFailure});
    EXPECT_EQ(done.state, JobState::kFailure);
    EXPECT_NE(done.error.find("expects 1 argument, got 0"), std::string::npos) << done.error;
}

TEST_F(SchedulerTest, CancelledPendingJobNeverRuns) {
    Post("count_to", {int64_t{5}}, "later", 0, NowMs() + 1500);
    const auto cancelled = service_->CancelJob("later", false);
    EXPECT_EQ(cancelled.state, JobState::kFailure);
    std::this_thread::sleep_for(2000ms);
    const auto r = service_->GetJob("later");
    EXPECT_EQ(r.state, JobState::kFailure);
    EXPECT_EQ(r.started_at_ms, 0);
    EXPECT_NE(r.error.find("cancelled"), std::string::npos);
    EXPECT_EQ(CountRows(results_path_, "results_later"), -1);
}

TEST_F(SchedulerTest, CancelledRunningJobStopsItsQueryAndLeavesNoTable) {
    Post("slow", {}, "long");
    WaitFor("long", {JobState::kStarted});
    std::this_thread::sleep_for(200ms);
    const auto start = std::chrono::steady_clock::now();
    service_->CancelJob("long", false);
    const auto done = WaitFor("long", {JobState::kFailure}, 5s);
    EXPECT_NE(done.error.find("cancelled"), std::string::npos) << done.error;
    // The worker is free again and the query really stopped: all workers can run new jobs.
    while (running_.size() > 0 && std::chrono::steady_clock::now() - start < 3s) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(running_.size(), 0u);
    EXPECT_EQ(CountRows(results_path_, "results_long"), -1);
    Post("count_to", {int64_t{3}}, "after");
    EXPECT_EQ(WaitFor("after", {JobState::kSuccess}).count, 3);
}

TEST_F(SchedulerTest, EtaDelaysTheJob) {
    const int64_t eta = NowMs() + 800;
    Post("count_to", {int64_t{2}}, "eta", 0, eta);
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(service_->GetJob("eta").state, JobState::kPending);
    const auto queued = service_->ListQueue("sqljob_queue");
    ASSERT_EQ(queued.size(), 1u);
    EXPECT_EQ(queued[0].record.job_id, "eta");
    EXPECT_GT(queued[0].eta_ms, 0);
    const auto done = WaitFor("eta", {JobState::kSuccess});
    EXPECT_GE(done.started_at_ms, eta);
}

TEST_F(SchedulerTest, FailingJobIsRetriedThenFails) {
    Post("broken", {}, "flaky", 1);
    const auto done = WaitFor("flaky", {JobState::kFailure}, 8s);
    EXPECT_EQ(done.attempts, 2);
    EXPECT_NE(done.error.find("no_such_table"), std::string::npos) << done.error;
}

TEST_F(SchedulerTest, GroupConcurrencyIsHonoured) {
    jobs::GroupRequest group;
    group.group_id = "g1";
    group.concurrency = 1;
    for (int i = 0; i < 4; ++i) {
        jobs::JobRequest job;
        job.task = "count_to";
        job.job_id = "g1-" + std::to_string(i);
        job.args = {int64_t{4000}};
        group.jobs.push_back(job);
    }
    service_->PostGroup(group);
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    service::GroupStatus status;
    while (std::chrono::steady_clock::now() < deadline) {
        status = service_->GetGroup("g1");
        if (status.state == JobState::kSuccess || status.state == JobState::kFailure) break;
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(status.state, JobState::kSuccess);
    ASSERT_EQ(status.jobs.size(), 4u);
    auto jobs = status.jobs;
    std::sort(jobs.begin(), jobs.end(), [](auto& a, auto& b) { return a.started_at_ms < b.started_at_ms; });
    for (size_t i = 1; i < jobs.size(); ++i) {
        EXPECT_GE(jobs[i].started_at_ms, jobs[i - 1].finished_at_ms) << "jobs overlapped in a group of concurrency 1";
    }
}

TEST_F(SchedulerTest, ManyConcurrentJobsAllSucceed) {
    for (int i = 0; i < 40; ++i) Post("count_to", {int64_t{i + 1}}, "many-" + std::to_string(i));
    for (int i = 0; i < 40; ++i) {
        const auto done = WaitFor("many-" + std::to_string(i), {JobState::kSuccess, JobState::kFailure}, 20s);
        EXPECT_EQ(done.state, JobState::kSuccess) << done.error;
        EXPECT_EQ(done.count, i + 1);
    }
}

TEST_F(SchedulerTest, ShutdownHandsRunningJobsBack) {
    Post("slow", {}, "handback");
    WaitFor("handback", {JobState::kStarted});
    pool_->StopAccepting(0ms);
    running_.StopAll(StopReason::kShutdown);
    pool_->Join();
    const auto r = service_->GetJob("handback");
    EXPECT_EQ(r.state, JobState::kPending);
    EXPECT_EQ(r.attempts, 0);
    const auto queued = service_->ListQueue("sqljob_queue");
    ASSERT_EQ(queued.size(), 1u);
    EXPECT_EQ(queued[0].record.job_id, "handback");
    pool_.reset();
}

}  // namespace
}  // namespace jobber::sched

namespace jobber::sched {
namespace {

// Regression: jobs are registered just before their PENDING -> STARTED claim; the watchdog must not
// take that window for a cancel (it did, under load, in the first ASan CI run).
TEST_F(SchedulerTest, WatchdogLeavesAJobAboutToStartAlone) {
    Post("count_to", {int64_t{1}}, "window", 0, NowMs() + 60000);
    const auto stored = backends_.state->GetJob("window");
    ASSERT_TRUE(stored);
    auto job = running_.Add("window", stored->token, "no-receipt", backends_.sources.at("src").get(), 999, 0);
    std::this_thread::sleep_for(300ms);  // several watchdog ticks (50 ms)
    EXPECT_EQ(job->reason(), StopReason::kNone);
    service_->CancelJob("window", false);
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(job->reason(), StopReason::kCancelled);
    running_.Remove(job);
}

}  // namespace
}  // namespace jobber::sched

namespace jobber::sched {
namespace {

// A worker that claims a job and dies (no ack, no lease renewal) must not strand it: the broker
// redelivers after the lease and the next worker takes the STARTED record over.
TEST_F(SchedulerTest, AJobWhoseWorkerDiedIsTakenOverAfterItsLease) {
    jobs::JobRequest request;
    request.job_id = "orphan";
    request.queue = "dead";
    request.args = {int64_t{42}};
    service_->PostJob("count_to", request);

    // The "dead" worker: lease the message, claim the record, then vanish.
    auto delivery = backends_.broker->Pop({"dead"}, 1000ms, 300ms);
    ASSERT_TRUE(delivery);
    auto stored = backends_.state->GetJob("orphan");
    ASSERT_TRUE(stored);
    auto record = jobs::DecodeRecord(stored->body);
    record.state = JobState::kStarted;
    record.attempts = 1;
    ASSERT_TRUE(backends_.state
                    ->CasJob("orphan", JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING), &stored->token, JOBBER_JOB_STARTED,
                             stored->token, jobs::EncodeRecord(record), 0)
                    .ok);

    WorkerPool survivor(*backends_.broker, *runner_, WorkerPoolSettings{{"dead"}, 1, 100ms, 300ms});
    survivor.Start();
    const auto done = WaitFor("orphan", {JobState::kSuccess, JobState::kFailure}, 10s);
    survivor.StopAccepting(1000ms);
    survivor.Join();
    ASSERT_EQ(done.state, JobState::kSuccess) << done.error;
    EXPECT_EQ(done.count, 42);
    EXPECT_EQ(done.attempts, 2);
    EXPECT_EQ(CountRows(results_path_, "results_orphan"), 42);
}

}  // namespace
}  // namespace jobber::sched

namespace jobber::sched {
namespace {

// The memory broker inside the "unbrowsable" fixture, which (like AMQP) does not declare
// redelivers_only_after_lease: the host must assume a redelivery may come while the first run is alive.
class LiveRedeliverySchedulerTest : public SchedulerTest {
protected:
    std::string QueuePlugin() const override { return "unbrowsable"; }
};

// A broker that redelivers while the first worker still runs the job (AMQP after a connection
// drop) must not get it run twice: the redelivery waits while the run lease is held, and takes the
// job over once it lapses.
TEST_F(LiveRedeliverySchedulerTest, RedeliveryOfAJobRunningElsewhereWaitsForItsRunLeaseToLapse) {
    const std::string token = StartedElsewhereAndRedelivered("held");
    ASSERT_FALSE(token.empty());
    const std::string lease_key = RunLeaseKey("held", token, 1);
    auto& broker = *backends_.broker;
    auto& state = *backends_.state;

    RunnerSettings settings;
    settings.lease = 2s;  // the redelivery looks again after max(1 s, lease / 4)
    JobRunner runner(
        backends_, [this] { return task_catalog_; }, running_, admission_, settings);
    auto second = broker.Pop({"parked"}, 1s, 60s);
    ASSERT_TRUE(second);
    EXPECT_GT(second->delivery_count, 1u);
    runner.Run(*second);
    EXPECT_EQ(service_->GetJob("held").state, JobState::kStarted);
    EXPECT_EQ(service_->GetJob("held").attempts, 1) << "the job must not start a second time";
    EXPECT_FALSE(broker.Pop({"parked"}, 0ms, 60s)) << "the redelivery waits (delayed), it is not dropped";

    // The other worker dies: its lease lapses (released here), and the next redelivery takes over.
    state.ReleaseSlot(lease_key, "other-worker");
    auto third = broker.Pop({"parked"}, 3s, 60s);
    ASSERT_TRUE(third) << "the delayed redelivery came back";
    runner.Run(*third);
    const auto done = WaitFor("held", {JobState::kSuccess, JobState::kFailure});
    EXPECT_EQ(done.state, JobState::kSuccess) << done.error;
    EXPECT_EQ(done.count, 3);
    EXPECT_EQ(done.attempts, 2);
}

// A broker that redelivers only lapsed leases (memory, Redis) needs no run lease: a redelivery of a STARTED job
// means its worker stopped renewing, and the job is taken over at once, without a state call for a run lease.
TEST_F(SchedulerTest, ABrokerThatRedeliversOnlyLapsedLeasesGetsNoRunLease) {
    ASSERT_TRUE(backends_.broker->RedeliversOnlyAfterLease());
    // The run lease "another worker" left is ignored: with this broker, holding one means nothing.
    const std::string token = StartedElsewhereAndRedelivered("lapsed");
    ASSERT_FALSE(token.empty());
    auto& broker = *backends_.broker;
    auto& state = *backends_.state;

    JobRunner runner(
        backends_, [this] { return task_catalog_; }, running_, admission_, RunnerSettings{});
    auto second = broker.Pop({"parked"}, 1s, 60s);
    ASSERT_TRUE(second);
    runner.Run(*second);
    const auto done = WaitFor("lapsed", {JobState::kSuccess, JobState::kFailure});
    EXPECT_EQ(done.state, JobState::kSuccess) << done.error;
    EXPECT_EQ(done.attempts, 2);
    // The run took no run lease of its own (one would still be held: run leases are left to lapse).
    EXPECT_TRUE(state.AcquireSlot(RunLeaseKey("lapsed", token, 2), 1, "probe", 1000))
        << "the run took a run lease it does not need";
}

}  // namespace
}  // namespace jobber::sched
