#include "jobber/sched/deferred_work.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace jobber::sched {
namespace {

TEST(DeferredWork, RunsEveryPostedTaskBeforeFlushReturns) {
    DeferredWork deferred(2, 100);
    std::atomic<int> ran{0};
    for (int i = 0; i < 50; ++i) {
        std::function<void()> work = [&ran] { ran.fetch_add(1); };
        ASSERT_TRUE(deferred.Post(work));
    }
    deferred.Flush();
    EXPECT_EQ(ran.load(), 50);
}

TEST(DeferredWork, RefusesWhenFullAndLeavesTheTaskToTheCaller) {
    DeferredWork deferred(1, 1);
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<void> started;
    std::function<void()> blocker = [&started, released] {
        started.set_value();
        released.wait();
    };
    ASSERT_TRUE(deferred.Post(blocker));
    started.get_future().wait();  // the only thread is busy now
    int queued_ran = 0;
    std::function<void()> queued = [&queued_ran] { ++queued_ran; };
    ASSERT_TRUE(deferred.Post(queued));  // fills the backlog of 1
    bool refused_ran = false;
    std::function<void()> refused = [&refused_ran] { refused_ran = true; };
    EXPECT_FALSE(deferred.Post(refused));
    ASSERT_TRUE(refused) << "a refused task must be left to the caller";
    refused();
    EXPECT_TRUE(refused_ran);
    release.set_value();
    deferred.Flush();
    EXPECT_EQ(queued_ran, 1);
}

TEST(DeferredWork, TasksPostedFromATaskRunBeforeFlushReturns) {
    DeferredWork deferred(2, 10);
    std::atomic<int> ran{0};
    std::function<void()> outer = [&] {
        std::function<void()> inner = [&ran] { ran.fetch_add(1); };
        if (!deferred.Post(inner)) inner();
        ran.fetch_add(1);
    };
    ASSERT_TRUE(deferred.Post(outer));
    deferred.Flush();
    EXPECT_EQ(ran.load(), 2);
}

TEST(DeferredWork, DestructionRunsWhatIsQueuedAndAThrowingTaskDoesNotStopTheThread) {
    std::atomic<int> ran{0};
    {
        DeferredWork deferred(1, 100);
        std::function<void()> throwing = [] { throw std::runtime_error("boom"); };
        ASSERT_TRUE(deferred.Post(throwing));
        for (int i = 0; i < 20; ++i) {
            std::function<void()> work = [&ran] { ran.fetch_add(1); };
            ASSERT_TRUE(deferred.Post(work));
        }
    }
    EXPECT_EQ(ran.load(), 20);
}

TEST(DeferredWork, WithoutThreadsEveryPostIsRefused) {
    DeferredWork deferred(0, 10);
    std::function<void()> work = [] {};
    EXPECT_FALSE(deferred.Post(work));
    deferred.Flush();  // nothing to wait for
}

}  // namespace
}  // namespace jobber::sched
