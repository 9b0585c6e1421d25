// What the contract suites cannot see from outside the ABI: round trips per operation and per job, the keys left
// behind, two instances racing for delayed messages, and behaviour across a Redis restart. Needs a real Redis:
// JOBBER_TEST_REDIS_ADDRESS for most tests; the restart tests start a private redis-server of their own.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "jobber/abi/state.h"
#include "jobber/sdk/error.hpp"
#include "private_redis_server.hpp"
#include "redis_broker.hpp"
#include "redis_state.hpp"

namespace jobber::redis {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

constexpr uint32_t kClaimMask =
    JOBBER_EXPECT_ABSENT | JOBBER_EXPECT_STATE(JOBBER_JOB_SUCCESS) | JOBBER_EXPECT_STATE(JOBBER_JOB_FAILURE);

std::string RandomSuffix() {
    static std::mt19937_64 rng{std::random_device{}()};
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    return std::to_string(rng());
}

RedisSettings SettingsFor(const std::string& address, const std::string& prefix) {
    RedisSettings settings;
    settings.address = ParseAddress(address);
    settings.key_prefix = prefix;
    settings.connect_timeout = 1000ms;
    settings.command_timeout = 2000ms;
    settings.pool_size = 8;
    return settings;
}

// A raw connection for looking at keys the way an operator would.
class Inspector {
public:
    explicit Inspector(const RedisSettings& settings) : connection_(settings) {}
    Reply Call(const std::vector<std::string_view>& args) { return connection_.Call(args, 2000ms); }
    std::set<std::string> Keys(const std::string& prefix) {
        std::set<std::string> keys;
        Reply reply = Call({"KEYS", prefix + "*"});
        for (size_t i = 0; i < reply->elements; ++i) keys.insert(std::string(TextOf(reply->element[i])));
        return keys;
    }
    int64_t Pttl(const std::string& key) { return IntegerOf(Call({"PTTL", key}).get()); }

private:
    RedisConnection connection_;
};

class RedisBehaviourTest : public ::testing::Test {
protected:
    void SetUp() override {
        const char* address = std::getenv("JOBBER_TEST_REDIS_ADDRESS");
        if (address == nullptr || *address == '\0') {
            GTEST_SKIP() << "JOBBER_TEST_REDIS_ADDRESS is not set; start a server with tests/services/redis.sh";
        }
        prefix_ = "jobber_behaviour_" + RandomSuffix() + ":";
        settings_ = SettingsFor(address, prefix_);
    }
    void TearDown() override {
        if (prefix_.empty()) return;
        Inspector inspector(settings_);
        for (const auto& key : inspector.Keys(prefix_)) inspector.Call({"DEL", key});
    }

    std::string prefix_;
    RedisSettings settings_;
};

// Round trips of one call once its script is loaded.
template <class Body>
uint64_t RoundTrips(RedisClient& client, Body&& body) {
    const uint64_t before = client.round_trips();
    body();
    return client.round_trips() - before;
}

TEST_F(RedisBehaviourTest, EveryOperationIsOneRoundTrip) {
    RedisBroker broker(settings_, "rt");
    RedisState state(settings_, "rt");
    // Load every script once; from then on a call is a single EVALSHA.
    broker.Push("warm", "x", 0);
    auto warm = broker.Pop({"warm"}, 0ms, 60s);
    ASSERT_TRUE(warm.has_value());
    broker.Extend(warm->receipt, 60s);
    broker.Ack(warm->receipt);
    broker.ListPending("warm", [](const sdk::PendingMessage&) { return true; });
    state.CasJob("warm", kClaimMask, std::nullopt, sdk::JobWrite{JOBBER_JOB_PENDING, "t", "{}", 60000}, nullptr);
    state.AcquireSlot("warm", 1, "h", 1000);
    state.DeleteJob("warm");
    state.ListQueue("warm", 1, [](const sdk::QueuedJob&) { return true; });

    RedisClient& b = broker.client();
    EXPECT_EQ(RoundTrips(b, [&] { broker.Push("q", "one", 0); }), 1u);
    std::optional<sdk::Delivery> delivery;
    EXPECT_EQ(RoundTrips(b,
                         [&] {
                             delivery = broker.Pop({"q", "other"}, 1000ms, 60s);
                         }),
              1u)
        << "a pop that finds a message ready";
    ASSERT_TRUE(delivery.has_value());
    EXPECT_EQ(RoundTrips(b, [&] { broker.Extend(delivery->receipt, 60s); }), 1u);
    EXPECT_EQ(RoundTrips(b, [&] { broker.Requeue(delivery->receipt, 0); }), 1u);
    delivery = broker.Pop({"q"}, 0ms, 60s);
    ASSERT_TRUE(delivery.has_value());
    EXPECT_EQ(RoundTrips(b, [&] { broker.Ack(delivery->receipt); }), 1u);
    EXPECT_EQ(RoundTrips(b, [&] { broker.ListPending("q", [](const sdk::PendingMessage&) { return true; }); }), 2u)
        << "one page of ready and one of delayed messages";

    RedisClient& s = state.client();
    const sdk::JobWrite write{JOBBER_JOB_PENDING, "tok", "{}", 60000};
    EXPECT_EQ(RoundTrips(s, [&] { state.CasJob("j", kClaimMask, std::nullopt, write, nullptr); }), 1u);
    sdk::JobRecord current;
    EXPECT_EQ(RoundTrips(s, [&] { state.CasJob("j", kClaimMask, std::nullopt, write, &current); }), 1u)
        << "a failed compare-and-set returns the current record in the same reply";
    EXPECT_EQ(current.token, "tok");
    EXPECT_EQ(RoundTrips(s, [&] { state.GetJob("j"); }), 1u);
    EXPECT_EQ(RoundTrips(s, [&] { state.AcquireSlot("g", 2, "h", 1000); }), 1u);
    EXPECT_EQ(RoundTrips(s, [&] { state.ReleaseSlot("g", "h"); }), 1u);
    EXPECT_EQ(RoundTrips(s, [&] { state.PutGroup("g", "{}", 1000); }), 1u);
    EXPECT_EQ(RoundTrips(s, [&] { state.ListQueue("q", 100, [](const sdk::QueuedJob&) { return true; }); }), 1u);
    EXPECT_EQ(RoundTrips(s, [&] { state.DeleteJob("j"); }), 1u);
}

// The calls the host makes for one job without a group or retries (POST: claim + push; worker: pop, read the
// record, mark STARTED, re-read before publishing, mark SUCCESS, ack): eight round trips in all.
TEST_F(RedisBehaviourTest, OneJobCostsEightRoundTrips) {
    RedisBroker broker(settings_, "job");
    RedisState state(settings_, "job");
    broker.Push("warm", "x", 0);
    broker.Ack(broker.Pop({"warm"}, 0ms, 60s)->receipt);
    state.CasJob("warm", kClaimMask, std::nullopt, sdk::JobWrite{JOBBER_JOB_PENDING, "t", "{}", 60000}, nullptr);

    const uint64_t before = broker.client().round_trips() + state.client().round_trips();
    ASSERT_TRUE(state.CasJob("job1", kClaimMask, std::nullopt, {JOBBER_JOB_PENDING, "tok", "{}", 60000}, nullptr));
    broker.Push("jobs", "{\"job_id\":\"job1\",\"token\":\"tok\"}", 0);
    auto delivery = broker.Pop({"jobs"}, 1000ms, 60s);
    ASSERT_TRUE(delivery.has_value());
    ASSERT_TRUE(state.GetJob("job1").has_value());
    const uint32_t runnable = JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING) | JOBBER_EXPECT_STATE(JOBBER_JOB_RETRY);
    ASSERT_TRUE(state.CasJob("job1", runnable, "tok", {JOBBER_JOB_STARTED, "tok", "{}", 60000}, nullptr));
    ASSERT_EQ(state.GetJob("job1")->state, JOBBER_JOB_STARTED);
    ASSERT_TRUE(state.CasJob("job1", JOBBER_EXPECT_STATE(JOBBER_JOB_STARTED), "tok",
                             {JOBBER_JOB_SUCCESS, "tok", "{}", 60000}, nullptr));
    broker.Ack(delivery->receipt);
    EXPECT_EQ(broker.client().round_trips() + state.client().round_trips() - before, 8u);
}

TEST_F(RedisBehaviourTest, AnIdleWaitingPopDoesNotPoll) {
    RedisBroker broker(settings_, "idle");
    broker.Pop({"warm"}, 0ms, 60s);
    const uint64_t trips = RoundTrips(broker.client(), [&] { EXPECT_FALSE(broker.Pop({"idle"}, 1500ms, 60s)); });
    // The pop script, one BLPOP for the whole wait, the pop script once more at the deadline.
    EXPECT_LE(trips, 3u);
}

TEST_F(RedisBehaviourTest, OnePushWakesOneOfManyWaitingPops) {
    RedisBroker broker(settings_, "wake");
    broker.Pop({"warm"}, 0ms, 60s);
    std::atomic<int> got{0};
    std::vector<std::thread> waiters;
    for (int i = 0; i < 6; ++i) {
        waiters.emplace_back([&] {
            if (auto d = broker.Pop({"wake"}, 1500ms, 60s)) {
                ++got;
                broker.Ack(d->receipt);
            }
        });
    }
    std::this_thread::sleep_for(300ms);
    const auto pushed_at = std::chrono::steady_clock::now();
    broker.Push("wake", "one", 0);
    for (auto& t : waiters) t.join();
    EXPECT_EQ(got.load(), 1);
    EXPECT_GE(std::chrono::steady_clock::now() - pushed_at, 1000ms) << "the other waiters waited out their wait";
}

TEST_F(RedisBehaviourTest, NothingIsLeftBehindButTheCounter) {
    RedisBroker broker(settings_, "keys");
    for (int i = 0; i < 50; ++i) broker.Push(i % 2 == 0 ? "a" : "b", "m" + std::to_string(i), 0);
    broker.Push(
        "a", "delayed",
        std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch() + 300ms).count());
    int received = 0;
    while (auto d = broker.Pop({"a", "b"}, 1000ms, 60s)) {
        broker.Ack(d->receipt);
        if (++received == 51) break;
    }
    EXPECT_EQ(received, 51);
    Inspector inspector(settings_);
    std::set<std::string> keys = inspector.Keys(prefix_);
    keys.erase(prefix_ + "seq");
    // At most one wake-up token per queue may remain.
    for (const char* q : {"a", "b"}) {
        const std::string wake = prefix_ + "w:" + q;
        if (keys.erase(wake) == 1) {
            EXPECT_EQ(IntegerOf(inspector.Call({"LLEN", wake}).get()), 1);
        }
    }
    EXPECT_TRUE(keys.empty()) << "left behind: " << *keys.begin();
}

TEST_F(RedisBehaviourTest, RecordsGroupsAndSlotsCarryTheirTtlInRedis) {
    RedisState state(settings_, "ttl");
    Inspector inspector(settings_);
    ASSERT_TRUE(state.CasJob("j", kClaimMask, std::nullopt, {JOBBER_JOB_PENDING, "t", "{}", 90000}, nullptr));
    EXPECT_GT(inspector.Pttl(state.JobKey("j")), 80000);
    ASSERT_TRUE(state.CasJob("j", JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING), std::nullopt,
                             {JOBBER_JOB_STARTED, "t", "{}", 0}, nullptr));
    EXPECT_EQ(inspector.Pttl(state.JobKey("j")), -1) << "ttl 0: no expiry";
    state.PutGroup("g", "{}", 90000);
    EXPECT_GT(inspector.Pttl(state.GroupKey("g")), 80000);
    ASSERT_TRUE(state.AcquireSlot("s", 2, "a", 5000));
    ASSERT_TRUE(state.AcquireSlot("s", 2, "b", 90000));
    ASSERT_TRUE(state.AcquireSlot("s", 2, "a", 1000));
    EXPECT_GT(inspector.Pttl(state.SlotKey("s")), 80000) << "the slot key lives as long as its longest lease";
    state.ReleaseSlot("s", "a");
    state.ReleaseSlot("s", "b");
    EXPECT_EQ(IntegerOf(inspector.Call({"EXISTS", state.SlotKey("s")}).get()), 0);
}

// Two processes' brokers race for the same delayed messages as they fall due: each is moved and delivered once.
TEST_F(RedisBehaviourTest, TwoInstancesNeverDeliverADelayedMessageTwice) {
    RedisBroker first(settings_, "first");
    RedisBroker second(settings_, "second");
    constexpr int kMessages = 300;
    const int64_t eta =
        std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch() + 500ms).count();
    for (int i = 0; i < kMessages; ++i) (i % 2 == 0 ? first : second).Push("due", std::to_string(i), eta + i % 7);
    std::mutex mutex;
    std::map<std::string, int> seen;
    std::atomic<int> received{0};
    std::vector<std::thread> consumers;
    for (int c = 0; c < 8; ++c) {
        consumers.emplace_back([&, c] {
            RedisBroker& broker = c % 2 == 0 ? first : second;
            while (received.load() < kMessages) {
                auto d = broker.Pop({"due"}, 300ms, 60s);
                if (!d) continue;
                broker.Ack(d->receipt);
                std::lock_guard<std::mutex> lock(mutex);
                ++seen[d->payload];
                ++received;
            }
        });
    }
    for (auto& t : consumers) t.join();
    EXPECT_EQ(seen.size(), static_cast<size_t>(kMessages));
    for (const auto& [payload, count] : seen) EXPECT_EQ(count, 1) << payload;
}

// A waiting pop holds a connection of its own: ordinary calls are not starved even with a pool of one.
TEST_F(RedisBehaviourTest, WaitingPopsDoNotStarveThePool) {
    settings_.pool_size = 1;
    RedisBroker broker(settings_, "pool");
    std::thread waiter([&] { broker.Pop({"never"}, 1500ms, 60s); });
    std::this_thread::sleep_for(200ms);
    const auto start = std::chrono::steady_clock::now();
    broker.Push("other", "x", 0);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
    waiter.join();
}

class RedisRestartTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!server_.unavailable_reason().empty()) GTEST_SKIP() << server_.unavailable_reason();
        server_.Start();
        settings_ = SettingsFor(server_.address(), "jobber_restart:");
    }
    testing::PrivateRedisServer server_;
    RedisSettings settings_;
};

TEST_F(RedisRestartTest, DownMeansUnavailableFastAndQueuedMessagesSurviveARestart) {
    RedisBroker broker(settings_, "restart");
    RedisState state(settings_, "restart");
    broker.Push("q", "before-1", 0);
    broker.Push("q", "before-2", 0);
    auto leased = broker.Pop({"q"}, 0ms, 60s);
    ASSERT_TRUE(leased.has_value());
    ASSERT_TRUE(state.CasJob("j", kClaimMask, std::nullopt, {JOBBER_JOB_PENDING, "t", "{}", 0}, nullptr));

    server_.Stop();
    for (int i = 0; i < 3; ++i) {
        const auto start = std::chrono::steady_clock::now();
        try {
            broker.Push("q", "while-down", 0);
            ADD_FAILURE() << "push succeeded with Redis down";
        } catch (const sdk::Error& e) {
            EXPECT_EQ(e.code(), JOBBER_UNAVAILABLE) << e.what();
            EXPECT_NE(std::string(e.what()).find(server_.address()), std::string::npos) << e.what();
        }
        EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms) << "a call with Redis down must fail fast";
    }
    EXPECT_THROW(state.GetJob("j"), sdk::Error);

    server_.Start();
    // Pooled connections died with the old server; they are noticed before reuse, so no call fails now.
    auto record = state.GetJob("j");
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->token, "t");
    broker.Ack(leased->receipt);  // the lease survived the restart
    auto next = broker.Pop({"q"}, 1000ms, 60s);
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->payload, "before-2");
    broker.Ack(next->receipt);
    EXPECT_FALSE(broker.Pop({"q"}, 0ms, 60s).has_value()) << "nothing pushed while down was queued";
}

TEST_F(RedisRestartTest, AWaitingPopSurvivesARestart) {
    RedisBroker broker(settings_, "waiting");
    broker.Pop({"warm"}, 0ms, 60s);
    std::optional<sdk::Delivery> got;
    std::atomic<int> failures{0};
    std::thread waiter([&] {
        const auto give_up = std::chrono::steady_clock::now() + 8s;
        while (!got && std::chrono::steady_clock::now() < give_up) {
            try {
                got = broker.Pop({"q"}, 1000ms, 60s);
            } catch (const sdk::Error& e) {
                EXPECT_EQ(e.code(), JOBBER_UNAVAILABLE) << e.what();
                ++failures;
                std::this_thread::sleep_for(100ms);  // the host's workers back off likewise
            }
        }
    });
    std::this_thread::sleep_for(300ms);
    server_.Stop();
    std::this_thread::sleep_for(500ms);
    server_.Start();
    RedisBroker producer(settings_, "producer");
    producer.Push("q", "after", 0);
    waiter.join();
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->payload, "after");
    EXPECT_GE(failures.load(), 1) << "the waiting pop saw the server go away";
}

// `address` may be a unix socket path (a Redis on the same machine). Every call must work over it, the blocking pop
// included: TCP's keep-alive options do not apply there, and setting them once made hiredis refuse every call.
TEST(RedisUnixSocketTest, EveryOperationWorksOverAUnixSocket) {
    testing::PrivateRedisServer server;
    if (!server.unavailable_reason().empty()) GTEST_SKIP() << server.unavailable_reason();
    const std::string socket = server.ListenOnUnixSocket();
    server.Start();
    const RedisSettings settings = SettingsFor(socket, "jobber_unix:");
    ASSERT_EQ(settings.address.unix_path, socket);
    RedisBroker broker(settings, "unix");
    RedisState state(settings, "unix");

    ASSERT_TRUE(state.CasJob("j", kClaimMask, std::nullopt, {JOBBER_JOB_PENDING, "t", "{}", 0}, nullptr));
    broker.Push("q", "over-the-socket", 0);
    auto leased = broker.Pop({"q"}, 0ms, 60s);
    ASSERT_TRUE(leased.has_value());
    EXPECT_EQ(leased->payload, "over-the-socket");
    broker.Ack(leased->receipt);
    auto record = state.GetJob("j");
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->token, "t");

    // A pop that waits, woken by a push from another instance.
    std::optional<sdk::Delivery> got;
    std::thread waiter([&] { got = broker.Pop({"q"}, 3000ms, 60s); });
    std::this_thread::sleep_for(200ms);
    RedisBroker producer(settings, "unix-producer");
    producer.Push("q", "woken", 0);
    waiter.join();
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->payload, "woken");
}

}  // namespace
}  // namespace jobber::redis
