// `wait_replicas`: every write is followed by WAIT in the same round trip, so a call that returns OK has reached the
// replicas, and one the replicas do not confirm in time fails with UNAVAILABLE. On a private master and replica
// (private_redis_server.hpp; no sentinel needed); needs only the redis-server binary and skips without one.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "jobber/abi/state.h"
#include "jobber/sdk/error.hpp"
#include "private_sentinel.hpp"
#include "redis_broker.hpp"
#include "redis_state.hpp"

namespace jobber::redis::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

int64_t MsSince(Clock::time_point start) {
    return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

constexpr const char* kPrefix = "jobber_wait:";
constexpr uint32_t kClaimMask =
    JOBBER_EXPECT_ABSENT | JOBBER_EXPECT_STATE(JOBBER_JOB_SUCCESS) | JOBBER_EXPECT_STATE(JOBBER_JOB_FAILURE);

std::vector<std::string> NodeArgs() {
    return {"--repl-diskless-sync-delay", "0"};
}
std::vector<std::string> ReplicaArgs(int master_port) {
    std::vector<std::string> args = NodeArgs();
    args.insert(args.end(), {"--replicaof", "127.0.0.1", std::to_string(master_port)});
    return args;
}

int64_t IntegerOn(int port, const std::vector<std::string>& args) {
    RawReply reply = CommandOn(port, args);
    return reply != nullptr && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
}

class RedisWaitReplicasTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!master_.unavailable_reason().empty()) GTEST_SKIP() << master_.unavailable_reason();
        master_.Start();
        replica_.Start();
        WaitForReplicaOnline();
    }

    // Until a write on the master is acknowledged by the replica. "online" in the master's view is not enough: after
    // a diskless sync the master streams writes to the replica only once it has sent its first ACK, which can take
    // up to a second (replication cron), so a WAIT right after the sync may count 0.
    void WaitForReplicaOnline() {
        SentinelSetup::WaitFor("the replica to acknowledge writes", 15s, [&] { return ReplicaAcknowledgesAWrite(); });
    }
    bool ReplicaAcknowledgesAWrite() {
        redisContext* c = redisConnectWithTimeout("127.0.0.1", master_.port(), timeval{2, 0});
        bool ok = false;
        if (c != nullptr && c->err == 0) {
            redisSetTimeout(c, timeval{2, 0});
            const std::string key = std::string(kPrefix) + "ready";
            RawReply set(static_cast<redisReply*>(redisCommand(c, "SET %s 1", key.c_str())));
            RawReply wait(static_cast<redisReply*>(redisCommand(c, "WAIT 1 200")));
            ok = wait != nullptr && wait->type == REDIS_REPLY_INTEGER && wait->integer == 1;
        }
        if (c != nullptr) redisFree(c);
        return ok;
    }

    RedisSettings Settings(int64_t wait_replicas, std::chrono::milliseconds wait_timeout = 500ms) const {
        RedisSettings settings;
        settings.address = ParseAddress(master_.address());
        settings.key_prefix = kPrefix;
        settings.connect_timeout = 1000ms;
        settings.command_timeout = 2000ms;
        settings.pool_size = 4;
        settings.wait_replicas = wait_replicas;
        settings.wait_timeout = wait_timeout;
        return settings;
    }

    // Read on the replica, on a connection of its own: what a promoted replica would hold.
    int64_t OnReplica(const std::vector<std::string>& args) { return IntegerOn(replica_.port(), args); }
    std::string TextOnReplica(const std::vector<std::string>& args) {
        RawReply reply = CommandOn(replica_.port(), args);
        return TextOrEmpty(reply.get());
    }

    static uint64_t TripsOf(RedisClient& client, const std::function<void()>& body) {
        const uint64_t before = client.round_trips();
        body();
        return client.round_trips() - before;
    }

    PrivateRedisServer master_{NodeArgs()};
    PrivateRedisServer replica_{ReplicaArgs(master_.port())};
};

TEST_F(RedisWaitReplicasTest, EveryAcknowledgedWriteIsOnTheReplicaWhenTheCallReturns) {
    // A generous WAIT timeout: what is checked is that a call which returned is on the replica, not how fast the
    // replica is; 500 ms was once missed (WAIT counted 0) while the whole suite ran in parallel on 2 cores.
    RedisBroker broker(Settings(1, 5000ms), "wait-broker");
    RedisState state(Settings(1, 5000ms), "wait-state");
    const std::string ready = std::string(kPrefix) + "q:jobs";
    const std::string leased = std::string(kPrefix) + "l:jobs";

    // No sleep anywhere: each check runs on the replica right after the call returned.
    for (int i = 1; i <= 20; ++i) {
        broker.Push("jobs", "payload-" + std::to_string(i), 0);
        ASSERT_EQ(OnReplica({"LLEN", ready}), i) << "push " << i;
    }
    EXPECT_EQ(TripsOf(broker.client(), [&] { broker.Push("jobs", "one-more", 0); }), 1u)
        << "the push and its WAIT are one round trip";
    ASSERT_EQ(OnReplica({"LLEN", ready}), 21);

    auto delivery = broker.Pop({"jobs"}, 0ms, 60s);
    ASSERT_TRUE(delivery.has_value());
    EXPECT_EQ(delivery->payload, "payload-1");
    EXPECT_EQ(OnReplica({"ZCARD", leased}), 1) << "the lease";
    EXPECT_EQ(OnReplica({"LLEN", ready}), 20);
    broker.Ack(delivery->receipt);
    EXPECT_EQ(OnReplica({"ZCARD", leased}), 0);

    ASSERT_TRUE(state.CasJob("job1", kClaimMask, std::nullopt, {JOBBER_JOB_PENDING, "tok", "{}", 60000, ""}, nullptr));
    EXPECT_EQ(TextOnReplica({"HGET", std::string(kPrefix) + "job:job1", "t"}), "tok");
    const uint32_t pending = JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING);
    ASSERT_TRUE(state.CasJob("job1", pending, "tok", {JOBBER_JOB_STARTED, "tok2", "{}", 60000, ""}, nullptr));
    EXPECT_EQ(TextOnReplica({"HGET", std::string(kPrefix) + "job:job1", "t"}), "tok2");

    // Plain commands: SET and DEL are writes too.
    state.PutGroup("g1", "{\"n\":1}", 60000);
    EXPECT_EQ(TextOnReplica({"GET", std::string(kPrefix) + "group:g1"}), "{\"n\":1}");
    state.DeleteGroup("g1");
    EXPECT_EQ(OnReplica({"EXISTS", std::string(kPrefix) + "group:g1"}), 0);
}

// The discriminating half of the test above (loopback replication is usually faster than the replica check):
// with the replica stalled, a push only returns once the replica has resumed and acknowledged it.
TEST_F(RedisWaitReplicasTest, AWriteReturnsOnlyOnceAStalledReplicaHasIt) {
    RedisBroker broker(Settings(1, 3000ms), "wait-broker");
    const std::string ready = std::string(kPrefix) + "q:jobs";
    broker.Push("jobs", "warm", 0);  // loads the script

    constexpr auto kStall = 400ms;
    replica_.Freeze();
    std::thread thaw([&] {
        std::this_thread::sleep_for(kStall);
        replica_.Thaw();
    });
    const auto started = Clock::now();
    try {
        broker.Push("jobs", "while-stalled", 0);
    } catch (const sdk::Error& e) {
        ADD_FAILURE() << e.what();
    }
    const int64_t elapsed_ms = MsSince(started);
    thaw.join();
    EXPECT_GE(elapsed_ms, (kStall - 50ms).count()) << "the push returned before the replica could have acknowledged it";
    EXPECT_EQ(OnReplica({"LLEN", ready}), 2);
}

TEST_F(RedisWaitReplicasTest, AShortfallFailsWithUnavailableNamingWaitIsNotRetriedAndTheInstanceRecovers) {
    RedisBroker broker(Settings(1), "wait-broker");
    RedisState state(Settings(1), "wait-state");
    const std::string ready = std::string(kPrefix) + "q:jobs";
    broker.Push("jobs", "before", 0);  // loads the script
    ASSERT_TRUE(state.CasJob("job1", kClaimMask, std::nullopt, {JOBBER_JOB_PENDING, "tok", "{}", 60000, ""}, nullptr));

    replica_.Kill();
    const auto started = Clock::now();
    std::string message;
    const uint64_t trips = TripsOf(broker.client(), [&] {
        try {
            broker.Push("jobs", "unconfirmed", 0);
            ADD_FAILURE() << "a push no replica confirmed succeeded";
        } catch (const sdk::Error& e) {
            EXPECT_EQ(e.code(), JOBBER_UNAVAILABLE) << e.what();
            message = e.what();
        }
    });
    const int64_t elapsed_ms = MsSince(started);
    EXPECT_NE(message.find("WAIT"), std::string::npos) << message;
    EXPECT_NE(message.find("not acknowledged by 1 replica(s) within 500 ms"), std::string::npos) << message;
    EXPECT_EQ(trips, 1u) << "a shortfall is never retried: the write ran";
    EXPECT_GE(elapsed_ms, 450) << "WAIT waits out wait_timeout before it reports the shortfall";
    EXPECT_LT(elapsed_ms, 2500) << "the call fails within about wait_timeout";
    EXPECT_EQ(IntegerOn(master_.port(), {"LLEN", ready}), 2)
        << "the write ran on the master: the job may or may not be queued, hence UNAVAILABLE";

    // Reads take no WAIT: they keep working at once while the replica is away.
    const auto read_started = Clock::now();
    auto record = state.GetJob("job1");
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->token, "tok");
    EXPECT_LT(MsSince(read_started), 450) << "a read waited for WAIT";
    // Plain write commands are held to the same rule.
    try {
        state.PutGroup("g1", "{}", 60000);
        ADD_FAILURE() << "a SET no replica confirmed succeeded";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_UNAVAILABLE) << e.what();
        EXPECT_NE(std::string(e.what()).find("WAIT"), std::string::npos) << e.what();
    }

    // The replica is back: the same instances write again, without reopening.
    replica_.Start();
    WaitForReplicaOnline();
    broker.Push("jobs", "after", 0);
    EXPECT_EQ(OnReplica({"LLEN", ready}), 3);
    ASSERT_TRUE(state.CasJob("job2", kClaimMask, std::nullopt, {JOBBER_JOB_PENDING, "t2", "{}", 60000, ""}, nullptr));
    EXPECT_EQ(TextOnReplica({"HGET", std::string(kPrefix) + "job:job2", "t"}), "t2");
}

TEST_F(RedisWaitReplicasTest, WithWaitReplicasZeroWritesDoNotWaitForReplicas) {
    RedisBroker broker(Settings(0), "nowait-broker");
    broker.Push("jobs", "warm", 0);
    replica_.Kill();
    const auto started = Clock::now();
    EXPECT_EQ(TripsOf(broker.client(), [&] { broker.Push("jobs", "no-replica", 0); }), 1u);
    EXPECT_LT(MsSince(started), 450) << "no WAIT: the master's acknowledgement is enough";
    EXPECT_EQ(IntegerOn(master_.port(), {"LLEN", std::string(kPrefix) + "q:jobs"}), 2);
}

}  // namespace
}  // namespace jobber::redis::testing
