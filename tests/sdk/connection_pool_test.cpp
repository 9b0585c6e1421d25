#include "jobber/sdk/connection_pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sdk_test_support.hpp"

namespace jobber::sdk {
namespace {

using namespace std::chrono_literals;

// A stand-in connection: a serial number, and a shared count of the ones still open.
struct FakeConnection {
    FakeConnection(int id, std::shared_ptr<std::atomic<int>> live) : id(id), live(std::move(live)) { ++*this->live; }
    ~FakeConnection() { --*live; }
    FakeConnection(const FakeConnection&) = delete;
    FakeConnection& operator=(const FakeConnection&) = delete;

    const int id;
    bool stale = false;   // what check_idle looks at
    bool broken = false;  // what on_release looks at
    std::shared_ptr<std::atomic<int>> live;
};

using Pool = ConnectionPool<FakeConnection>;

// Builds pools over FakeConnection and records what their hooks saw.
class ConnectionPoolTest : public ::testing::Test {
protected:
    std::shared_ptr<Pool> MakePool(size_t max_connections) {
        Pool::Hooks hooks;
        hooks.open = [this] {
            if (fail_opens_ > 0) {
                --fail_opens_;
                throw Error(JOBBER_UNAVAILABLE, "cannot connect to the fake server");
            }
            return std::make_unique<FakeConnection>(++opened_, live_);
        };
        hooks.check_idle = [this](FakeConnection& connection) {
            ++idle_checks_;
            return !connection.stale;
        };
        hooks.on_release = [](FakeConnection& connection) { return !connection.broken; };
        return std::make_shared<Pool>("fake pool", max_connections, std::move(hooks));
    }

    // Waits (bounded) until `pool` has `count` callers queued: makes the order of waiters certain.
    static void AwaitWaiters(const Pool& pool, size_t count) {
        const auto give_up = std::chrono::steady_clock::now() + 10s;
        while (pool.waiting_count() != count) {
            ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "waiters never reached " << count;
            std::this_thread::sleep_for(1ms);
        }
    }

    std::atomic<int> opened_{0};
    std::atomic<int> fail_opens_{0};
    std::atomic<int> idle_checks_{0};
    std::shared_ptr<std::atomic<int>> live_ = std::make_shared<std::atomic<int>>(0);
};

TEST_F(ConnectionPoolTest, ALeaseReturnsItsConnectionForTheNextCaller) {
    auto pool = MakePool(2);
    int first_id = 0;
    {
        Pool::Lease lease = pool->Acquire();
        ASSERT_TRUE(lease);
        EXPECT_FALSE(lease.reused());
        first_id = lease->id;
        EXPECT_EQ(pool->open_count(), 1u);
        EXPECT_EQ(pool->idle_count(), 0u);
    }
    EXPECT_EQ(pool->idle_count(), 1u);
    Pool::Lease again = pool->Acquire();
    EXPECT_EQ(again->id, first_id);
    EXPECT_TRUE(again.reused());
    EXPECT_EQ(idle_checks_.load(), 1);
    EXPECT_EQ(opened_.load(), 1);
    EXPECT_EQ(pool->open_count(), 1u);
}

TEST_F(ConnectionPoolTest, OpensAtMostMaxConnections) {
    auto pool = MakePool(2);
    Pool::Lease a = pool->Acquire();
    Pool::Lease b = pool->TryAcquire();
    ASSERT_TRUE(b);
    EXPECT_NE(a->id, b->id);
    EXPECT_FALSE(pool->TryAcquire());
    EXPECT_EQ(pool->open_count(), 2u);
    EXPECT_EQ(opened_.load(), 2);
}

TEST_F(ConnectionPoolTest, ZeroMaxConnectionsMeansOne) {
    auto pool = MakePool(0);
    EXPECT_EQ(pool->max_connections(), 1u);
    Pool::Lease a = pool->Acquire();
    EXPECT_FALSE(pool->TryAcquire());
}

TEST_F(ConnectionPoolTest, MovingALeaseMovesOwnershipAndAssigningOverOneReturnsIt) {
    auto pool = MakePool(2);
    Pool::Lease a = pool->Acquire();
    const int id = a->id;
    Pool::Lease b = std::move(a);
    EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): checking the moved-from state on purpose
    EXPECT_EQ(b->id, id);
    EXPECT_EQ(pool->idle_count(), 0u);
    b = Pool::Lease();
    EXPECT_EQ(pool->idle_count(), 1u);
    EXPECT_EQ(live_->load(), 1);
}

TEST_F(ConnectionPoolTest, ALeaseMarkedBrokenIsClosedAndItsSlotFreed) {
    auto pool = MakePool(1);
    {
        Pool::Lease lease = pool->Acquire();
        lease.MarkBroken();
    }
    EXPECT_EQ(live_->load(), 0);
    EXPECT_EQ(pool->open_count(), 0u);
    Pool::Lease next = pool->Acquire();
    EXPECT_EQ(next->id, 2);
    EXPECT_FALSE(next.reused());
}

TEST_F(ConnectionPoolTest, DiscardClosesTheConnectionAtOnce) {
    auto pool = MakePool(1);
    Pool::Lease lease = pool->Acquire();
    lease.Discard();
    EXPECT_FALSE(lease);
    EXPECT_EQ(live_->load(), 0);
    EXPECT_EQ(pool->open_count(), 0u);
    EXPECT_TRUE(pool->TryAcquire());
}

TEST_F(ConnectionPoolTest, TheReleaseHookDecidesWhetherAUsedConnectionIsKept) {
    auto pool = MakePool(2);
    {
        Pool::Lease kept = pool->Acquire();
        Pool::Lease dropped = pool->Acquire();
        dropped->broken = true;  // e.g. left inside a transaction
    }
    EXPECT_EQ(pool->idle_count(), 1u);
    EXPECT_EQ(pool->open_count(), 1u);
    EXPECT_EQ(live_->load(), 1);
}

TEST_F(ConnectionPoolTest, AStaleIdleConnectionIsReplacedInItsSlot) {
    auto pool = MakePool(1);
    {
        Pool::Lease lease = pool->Acquire();
        lease->stale = true;  // the server will have dropped it by the next use
    }
    Pool::Lease lease = pool->Acquire();
    EXPECT_EQ(lease->id, 2);
    EXPECT_FALSE(lease.reused());  // freshly opened: no retry-on-stale logic needed
    EXPECT_EQ(idle_checks_.load(), 1);
    EXPECT_EQ(live_->load(), 1);  // the stale one was closed
    EXPECT_EQ(pool->open_count(), 1u);
}

TEST_F(ConnectionPoolTest, AFailingOpenPropagatesAndKeepsNoSlot) {
    auto pool = MakePool(1);
    fail_opens_ = 1;
    testing::ExpectError([&] { pool->Acquire(); }, JOBBER_UNAVAILABLE, {"cannot connect to the fake server"});
    EXPECT_EQ(pool->open_count(), 0u);
    Pool::Lease lease = pool->Acquire();  // with the slot leaked, this would wait forever
    EXPECT_TRUE(lease);
}

TEST_F(ConnectionPoolTest, AFailingReconnectAfterAStaleCheckKeepsNoSlot) {
    auto pool = MakePool(1);
    {
        Pool::Lease lease = pool->Acquire();
        lease->stale = true;
    }
    fail_opens_ = 1;
    testing::ExpectError([&] { pool->Acquire(); }, JOBBER_UNAVAILABLE, {"cannot connect"});
    EXPECT_EQ(pool->open_count(), 0u);
    EXPECT_EQ(live_->load(), 0);
    EXPECT_TRUE(pool->TryAcquire());
}

TEST_F(ConnectionPoolTest, AnOpenHookReturningNothingIsAnError) {
    Pool::Hooks hooks;
    hooks.open = [] { return std::unique_ptr<FakeConnection>(); };
    auto pool = std::make_shared<Pool>("empty pool", 1, std::move(hooks));
    testing::ExpectError([&] { pool->Acquire(); }, JOBBER_INTERNAL, {"empty pool", "returned no connection"});
    EXPECT_EQ(pool->open_count(), 0u);
}

TEST_F(ConnectionPoolTest, APoolWithoutAnOpenHookIsRejected) {
    testing::ExpectError([] { Pool("no hooks", 1, Pool::Hooks()); }, JOBBER_INTERNAL, {"no hooks", "open hook"});
}

TEST_F(ConnectionPoolTest, WaitingPastTheTimeoutFailsNamingThePoolAndTheWait) {
    auto pool = MakePool(1);
    Pool::Lease held = pool->Acquire();
    testing::ExpectError([&] { pool->AcquireFor(30ms); }, JOBBER_DEADLINE_EXCEEDED,
                         {"connection pool 'fake pool'", "within 30ms", "all 1 in use"});
    EXPECT_EQ(pool->waiting_count(), 0u);
    held = Pool::Lease();
    EXPECT_TRUE(pool->AcquireFor(30ms));  // a free connection is not subject to the wait
}

TEST_F(ConnectionPoolTest, AThrowingCheckEndsTheWaitWithItsOwnError) {
    auto pool = MakePool(1);
    Pool::Lease held = pool->Acquire();
    int checks = 0;
    testing::ExpectError(
        [&] {
            pool->Acquire([&] {
                if (++checks == 2) throw Error(JOBBER_CANCELLED, "query cancelled");
            });
        },
        JOBBER_CANCELLED, {"query cancelled"});
    EXPECT_EQ(checks, 2);
    EXPECT_EQ(pool->waiting_count(), 0u);
    EXPECT_EQ(pool->open_count(), 1u);
}

TEST_F(ConnectionPoolTest, WakeWaitersRunsTheirChecksAtOnce) {
    auto pool = MakePool(1);
    pool->set_check_interval(std::chrono::hours(1));  // only WakeWaiters can get the check to run
    Pool::Lease held = pool->Acquire();
    std::atomic<bool> cancelled{false};
    auto waiter = std::async(std::launch::async, [&] {
        pool->Acquire([&] {
            if (cancelled.load()) throw Error(JOBBER_CANCELLED, "query cancelled");
        });
    });
    AwaitWaiters(*pool, 1);
    cancelled = true;
    pool->WakeWaiters();
    ASSERT_EQ(waiter.wait_for(10s), std::future_status::ready) << "the waiter was not woken";
    testing::ExpectError([&] { waiter.get(); }, JOBBER_CANCELLED, {"query cancelled"});
    EXPECT_EQ(pool->waiting_count(), 0u);
}

TEST_F(ConnectionPoolTest, WaitersAreServedInArrivalOrder) {
    auto pool = MakePool(1);
    Pool::Lease held = pool->Acquire();
    constexpr int kWaiters = 5;
    std::mutex order_mutex;
    std::vector<int> order;
    std::vector<std::thread> threads;
    for (int i = 0; i < kWaiters; ++i) {
        threads.emplace_back([&, i] {
            Pool::Lease lease = pool->Acquire();
            std::lock_guard<std::mutex> lock(order_mutex);
            order.push_back(i);
        });
        AwaitWaiters(*pool, static_cast<size_t>(i) + 1);
    }
    held = Pool::Lease();
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(opened_.load(), 1);  // handed from one waiter to the next, never reopened
}

TEST_F(ConnectionPoolTest, ANewCallerDoesNotOvertakeAWaiter) {
    auto pool = MakePool(1);
    Pool::Lease held = pool->Acquire();
    std::promise<void> release_second;
    auto waiter = std::async(std::launch::async, [&] {
        Pool::Lease lease = pool->Acquire();
        release_second.get_future().wait();
    });
    AwaitWaiters(*pool, 1);
    held = Pool::Lease();              // handed to the waiter, not put back for anyone to take
    EXPECT_FALSE(pool->TryAcquire());  // even before the waiter woke up
    release_second.set_value();
    waiter.get();
    EXPECT_TRUE(pool->TryAcquire());
}

TEST_F(ConnectionPoolTest, AFreedSlotGoesToAWaiterWhichOpensItsOwnConnection) {
    auto pool = MakePool(1);
    Pool::Lease held = pool->Acquire();
    auto waiter = std::async(std::launch::async, [&] {
        Pool::Lease lease = pool->Acquire();
        return lease->id;
    });
    AwaitWaiters(*pool, 1);
    held.Discard();
    EXPECT_EQ(waiter.get(), 2);
    EXPECT_EQ(pool->open_count(), 1u);
}

TEST_F(ConnectionPoolTest, AWaiterWhoseOpenFailsPassesNoSlotOn) {
    auto pool = MakePool(1);
    Pool::Lease held = pool->Acquire();
    auto waiter = std::async(std::launch::async, [&] { pool->Acquire(); });
    AwaitWaiters(*pool, 1);
    fail_opens_ = 1;
    held.Discard();
    testing::ExpectError([&] { waiter.get(); }, JOBBER_UNAVAILABLE, {"cannot connect"});
    EXPECT_EQ(pool->open_count(), 0u);
    EXPECT_TRUE(pool->TryAcquire());
}

TEST_F(ConnectionPoolTest, AWaiterGivingUpLeavesTheQueueToTheOthers) {
    auto pool = MakePool(1);
    Pool::Lease held = pool->Acquire();
    std::atomic<bool> give_up{false};
    auto quitter = std::async(std::launch::async, [&] {
        pool->Acquire([&] {
            if (give_up.load()) throw Error(JOBBER_CANCELLED, "gave up");
        });
    });
    AwaitWaiters(*pool, 1);
    auto patient = std::async(std::launch::async, [&] { return pool->Acquire()->id; });
    AwaitWaiters(*pool, 2);
    give_up = true;
    pool->WakeWaiters();
    testing::ExpectError([&] { quitter.get(); }, JOBBER_CANCELLED, {"gave up"});
    EXPECT_EQ(pool->waiting_count(), 1u);
    held = Pool::Lease();
    EXPECT_EQ(patient.get(), 1);
    EXPECT_EQ(pool->open_count(), 1u);
    EXPECT_EQ(pool->idle_count(), 1u);
}

// The race where a connection is handed to a waiter while its check is running and then throws:
// the connection must go on to the next waiter, not be lost with the one that gave up.
TEST_F(ConnectionPoolTest, AWaiterGivingUpPassesAConnectionItWasHandedOn) {
    auto pool = MakePool(1);
    pool->set_check_interval(std::chrono::hours(1));  // checks run only on WakeWaiters
    Pool::Lease held = pool->Acquire();
    std::atomic<bool> enter_check{false};
    std::promise<void> in_check;
    std::promise<void> may_throw;
    auto quitter = std::async(std::launch::async, [&] {
        pool->Acquire([&] {
            if (!enter_check.load()) return;
            in_check.set_value();
            may_throw.get_future().wait();
            throw Error(JOBBER_CANCELLED, "gave up");
        });
    });
    AwaitWaiters(*pool, 1);
    auto patient = std::async(std::launch::async, [&] { return pool->Acquire()->id; });
    AwaitWaiters(*pool, 2);
    enter_check = true;
    pool->WakeWaiters();
    in_check.get_future().wait();  // the quitter is inside its check, still first in the queue
    held = Pool::Lease();          // so the connection is handed to the quitter
    EXPECT_EQ(pool->waiting_count(), 1u);
    may_throw.set_value();
    testing::ExpectError([&] { quitter.get(); }, JOBBER_CANCELLED, {"gave up"});
    EXPECT_EQ(patient.get(), 1);
    EXPECT_EQ(opened_.load(), 1);
    EXPECT_EQ(pool->open_count(), 1u);
}

TEST_F(ConnectionPoolTest, ALeaseKeepsItsPoolAlive) {
    auto pool = MakePool(1);
    Pool::Lease lease = pool->Acquire();
    std::weak_ptr<Pool> weak = pool;
    pool.reset();
    EXPECT_FALSE(weak.expired());
    lease = Pool::Lease();
    EXPECT_TRUE(weak.expired());
    EXPECT_EQ(live_->load(), 0);  // the pool closed its idle connection when it went away
}

// Many threads, few connections: the bound always holds and every thread gets all its turns.
TEST_F(ConnectionPoolTest, UnderContentionTheBoundHoldsAndNoThreadStarves) {
    constexpr size_t kMax = 3;
    constexpr int kThreads = 8;
    constexpr int kRounds = 200;
    auto pool = MakePool(kMax);
    std::atomic<int> in_use{0};
    std::atomic<int> most_in_use{0};
    std::vector<int> turns(kThreads, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < kRounds; ++round) {
                Pool::Lease lease = pool->Acquire();
                const int now = ++in_use;
                int seen = most_in_use.load();
                while (now > seen && !most_in_use.compare_exchange_weak(seen, now)) {
                }
                if (round % 50 == 0) lease->broken = true;  // some get replaced along the way
                std::this_thread::yield();
                --in_use;
                ++turns[t];
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_LE(most_in_use.load(), static_cast<int>(kMax));
    EXPECT_GE(most_in_use.load(), 1);
    EXPECT_EQ(turns, std::vector<int>(kThreads, kRounds));
    EXPECT_LE(pool->open_count(), kMax);
    EXPECT_EQ(static_cast<size_t>(live_->load()), pool->open_count());
    EXPECT_EQ(pool->waiting_count(), 0u);
}

}  // namespace
}  // namespace jobber::sdk
