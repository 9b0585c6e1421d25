// GET /jobs/queue/{queue} for brokers that cannot browse (AMQP): the host lists the state store's
// queue index (ABI 1.1) instead, and answers 501 naming both plugins when the store has none. For a
// broker that browses, the index is not kept.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "jobber/app/backend_factory.hpp"
#include "jobber/config/settings.hpp"
#include "jobber/plugin/plugin_catalog.hpp"
#include "jobber/sched/running_jobs.hpp"
#include "jobber/service/api_error.hpp"
#include "jobber/service/job_service.hpp"
#include "jobber/service/task_catalog.hpp"
#include "loading_test_support.hpp"

namespace jobber::plugin::testing {
namespace {

namespace fs = std::filesystem;
using jobs::JobState;

int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A JobService on `queue_plugin`'s broker and state store, with an (empty) SQLite source and
// results database; no workers, so posted jobs stay queued.
class QueueListingTest : public ::testing::Test {
protected:
    void Open(const std::string& queue_plugin) {
        dir_ = fs::temp_directory_path() / ("jobber-queue-listing-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
        std::ofstream(dir_ / "src.db").flush();  // an empty file is an empty SQLite database
        config::Settings settings;
        settings.job_queue.broker.type = queue_plugin;
        settings.job_queue.state.type = queue_plugin;
        settings.db["src"] = config::PluginInstanceSettings{"src", "sqlite", {{"dsn", (dir_ / "src.db").string()}}, {}};
        config::ResultsSettings results;
        results.name = "res";
        results.type = "sqlite";
        results.options = {{"dsn", (dir_ / "res.db").string()}};
        settings.results["res"] = results;
        catalog_ = std::make_unique<PluginCatalog>(PluginCatalog::Scan({FixtureDir(), RealPluginDir()}));
        backends_ = app::OpenBackends(settings, *catalog_);
        tasks::TaskDefinition task;
        task.name = "one";
        task.sql = "SELECT 1";
        task.file = "test.sql";
        task.line = 1;
        tasks_ = service::TaskCatalog::Build({task}, backends_);
        service_ = std::make_unique<service::JobService>(
            backends_, [this] { return tasks_; }, running_, service::ServiceSettings{});
    }

    void TearDown() override {
        service_.reset();
        backends_ = service::Backends{};
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    void Post(const std::string& id, const std::string& queue, int64_t eta_ms = 0) {
        jobs::JobRequest request;
        request.job_id = id;
        request.queue = queue;
        request.eta_ms = eta_ms;
        service_->PostJob("one", request);
    }

    std::vector<std::string> ListedIds(const std::string& queue) {
        std::vector<std::string> ids;
        for (const auto& job : service_->ListQueue(queue)) ids.push_back(job.record.job_id);
        return ids;
    }

    fs::path dir_;
    std::unique_ptr<PluginCatalog> catalog_;
    service::Backends backends_;
    std::shared_ptr<const service::TaskCatalog> tasks_;
    sched::RunningJobs running_;
    std::unique_ptr<service::JobService> service_;
};

TEST_F(QueueListingTest, AnUnbrowsableBrokerListsFromTheStateStoreReadyJobsFirst) {
    Open("unbrowsable");
    const int64_t eta = NowMs() + 60 * 60 * 1000;
    Post("later", "reports", eta);
    Post("first", "reports");
    Post("second", "reports");
    Post("elsewhere", "exports");

    const auto queued = service_->ListQueue("reports");
    ASSERT_EQ(queued.size(), 3u);
    EXPECT_EQ(queued[0].record.job_id, "first");
    EXPECT_EQ(queued[0].eta_ms, 0);
    EXPECT_EQ(queued[0].record.state, JobState::kPending);
    EXPECT_EQ(queued[0].record.task, "one");
    EXPECT_EQ(queued[1].record.job_id, "second");
    EXPECT_EQ(queued[2].record.job_id, "later");
    EXPECT_EQ(queued[2].eta_ms, eta) << "a delayed job is listed with its ETA, after the ready ones";
    EXPECT_EQ(ListedIds("exports"), std::vector<std::string>{"elsewhere"});

    // A cancelled job is not queued any more, though its message still sits in the broker.
    service_->CancelJob("second", false);
    EXPECT_EQ(ListedIds("reports"), (std::vector<std::string>{"first", "later"}));
    EXPECT_TRUE(ListedIds("nobody").empty());
}

// The index costs the store work on every job, so it is kept only for a broker that needs it.
TEST_F(QueueListingTest, TheStateStoreIndexesQueuesOnlyForABrokerThatCannotBrowse) {
    Open("memory");
    Post("browsable", "reports");
    EXPECT_EQ(ListedIds("reports"), std::vector<std::string>{"browsable"}) << "listed by the broker";
    const auto index = backends_.state->ListQueue("reports", 10);
    ASSERT_TRUE(index.has_value()) << "the memory store keeps an index when asked to";
    EXPECT_TRUE(index->empty()) << "but with a broker that browses, nothing was listed in it";
    TearDown();

    Open("unbrowsable");
    Post("indexed", "reports");
    const auto kept = backends_.state->ListQueue("reports", 10);
    ASSERT_TRUE(kept.has_value());
    ASSERT_EQ(kept->size(), 1u);
    EXPECT_EQ(kept->front().job_id, "indexed");
}

TEST_F(QueueListingTest, WithoutAQueueIndexTheAnswerIs501NamingBothPlugins) {
    Open("unbrowsable_state_1_0");
    Post("queued", "reports");
    try {
        service_->ListQueue("reports");
        ADD_FAILURE() << "listing succeeded without any way to list";
    } catch (const service::ApiError& e) {
        EXPECT_EQ(e.status(), 501);
        const std::string message = e.what();
        EXPECT_TRUE(Contains(message, "cannot list queued jobs")) << message;
        EXPECT_TRUE(Contains(message, "keeps no queue index")) << message;
        EXPECT_TRUE(Contains(message, "unbrowsable_state_1_0")) << message;
    }
    // The job itself is fine: accepted and pending.
    EXPECT_EQ(service_->GetJob("queued").state, JobState::kPending);
}

}  // namespace
}  // namespace jobber::plugin::testing
