// Sentinel failover, end to end through the real module: a private master, replica and sentinel (private_sentinel.hpp),
// the plugin's broker and state opened with `sentinels` + `master_name` exactly as the host opens them, then a
// failover (SENTINEL FAILOVER, or kill -9 of the master). Needs only a redis-server binary; skips without one.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "jobber/abi/broker.h"
#include "jobber/abi/state.h"
#include "jobber/testing/contract_support.hpp"
#include "jobber/testing/plugin_library.hpp"
#include "private_sentinel.hpp"

namespace jobber::redis::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using jobber::testing::CallResult;
using jobber::testing::ConfigList;
namespace detail = jobber::testing::detail;

constexpr int64_t kLongLeaseMs = 60000;
constexpr int32_t kPending = 1;
constexpr int32_t kStarted = 2;

// The module's broker and state instances, called through the C ABI like the host calls them.
class Module {
public:
    explicit Module(const ConfigList& config) : library_(jobber::testing::LoadPluginLibrary(JOBBER_REDIS_PLUGIN_PATH)) {
        detail::OpenArgsHolder broker_args("sentinel-broker", config);
        detail::CallError broker_error;
        broker_open_ =
            broker_error.Result(library_.vtables.broker->open(broker_args.get(), &broker_, broker_error.get()));
        detail::OpenArgsHolder state_args("sentinel-state", config);
        detail::CallError state_error;
        state_open_ = state_error.Result(library_.vtables.state->open(state_args.get(), &state_, state_error.get()));
    }
    ~Module() {
        if (broker_ != nullptr) library_.vtables.broker->close(broker_);
        if (state_ != nullptr) library_.vtables.state->close(state_);
    }

    const CallResult& broker_open() const { return broker_open_; }
    const CallResult& state_open() const { return state_open_; }

    CallResult Push(const std::string& queue, const std::string& payload) {
        detail::CallError error;
        return error.Result(
            library_.vtables.broker->push(broker_, queue.c_str(), payload.data(), payload.size(), 0, error.get()));
    }
    // The payload and receipt on OK.
    CallResult Pop(const std::string& queue, int64_t wait_ms, std::string* payload, std::string* receipt) {
        const char* queues[] = {queue.c_str()};
        jobber_delivery out{};
        out.struct_size = sizeof(out);
        detail::CallError error;
        const jobber_code code =
            library_.vtables.broker->pop(broker_, queues, 1, wait_ms, kLongLeaseMs, &out, error.get());
        if (code == JOBBER_OK) {
            *payload = std::string(out.payload, out.payload_size);
            *receipt = out.receipt;
            if (out.release != nullptr) out.release(&out);
        }
        return error.Result(code);
    }
    CallResult Ack(const std::string& receipt) {
        detail::CallError error;
        return error.Result(library_.vtables.broker->ack(broker_, receipt.c_str(), error.get()));
    }
    CallResult Cas(
        const std::string& job_id, uint32_t mask, const char* expect_token, int32_t state, const std::string& token) {
        jobber_job_write write{};
        write.struct_size = sizeof(write);
        write.state = state;
        write.token = token.c_str();
        write.body = "{}";
        write.body_size = 2;
        write.ttl_ms = 600000;
        detail::CallError error;
        return error.Result(
            library_.vtables.state->cas_job(state_, job_id.c_str(), mask, expect_token, &write, nullptr, error.get()));
    }
    // The record's state, 0 when absent; -code on error.
    int32_t StateOf(const std::string& job_id) {
        jobber_job_record out{};
        out.struct_size = sizeof(out);
        detail::CallError error;
        const jobber_code code = library_.vtables.state->get_job(state_, job_id.c_str(), &out, error.get());
        if (code == JOBBER_NOT_FOUND) return 0;
        if (code != JOBBER_OK) return -code;
        const int32_t state = out.state;
        if (out.release != nullptr) out.release(&out);
        return state;
    }

private:
    const jobber::testing::PluginLibrary& library_;
    jobber_broker* broker_ = nullptr;
    jobber_state* state_ = nullptr;
    CallResult broker_open_;
    CallResult state_open_;
};

class RedisSentinelTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!setup_.unavailable_reason().empty()) GTEST_SKIP() << setup_.unavailable_reason();
        setup_.Start();
        prefix_ = jobber::testing::UniqueName("sentinel") + ":";
    }

    ConfigList Config(const std::string& master_name = SentinelSetup::kMasterName) {
        return {{"sentinels", "127.0.0.1:1, " + setup_.sentinel().address()},  // the first is down: tried, skipped
                {"master_name", master_name},
                {"key_prefix", prefix_},
                {"connect_timeout", "500"},
                {"command_timeout", "2000"},
                {"pool_size", "4"}};
    }

    // Makes sure every write so far is on the replica.
    void WaitForReplication() {
        // WAIT waits for this connection's own writes; replication is in order, so one write of its own covers the
        // plugin's earlier ones.
        timeval tv{2, 0};
        redisContext* c = redisConnectWithTimeout("127.0.0.1", setup_.master().port(), tv);
        ASSERT_TRUE(c != nullptr && c->err == 0);
        freeReplyObject(redisCommand(c, "SET %s %s", (prefix_ + "marker").c_str(), "1"));
        auto* wait = static_cast<redisReply*>(redisCommand(c, "WAIT 1 3000"));
        ASSERT_NE(wait, nullptr);
        EXPECT_EQ(wait->type, REDIS_REPLY_INTEGER);
        EXPECT_EQ(wait->integer, 1) << "the replica did not acknowledge the writes within 3 s";
        freeReplyObject(wait);
        redisFree(c);
    }

    static int64_t ListLength(int port, const std::string& key) {
        RawReply reply = CommandOn(port, {"LLEN", key});
        return reply != nullptr && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
    }
    static bool Exists(int port, const std::string& key) {
        RawReply reply = CommandOn(port, {"EXISTS", key});
        return reply != nullptr && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
    }

    SentinelSetup setup_;
    std::string prefix_;
};

// SENTINEL FAILOVER with the old master still up: the plugin moves to the new master (the +switch-master
// announcement, or the old master's refusals), keeps what was replicated (queued messages, a live lease, a job
// record), and writes nothing more to the old one.
TEST_F(RedisSentinelTest, FollowsAFailoverAndKeepsWhatWasReplicated) {
    Module module(Config());
    ASSERT_TRUE(module.broker_open().ok()) << module.broker_open();
    ASSERT_TRUE(module.state_open().ok()) << module.state_open();
    const std::string queue = "q";
    for (const char* payload : {"m1", "m2", "m3"}) ASSERT_TRUE(module.Push(queue, payload).ok());
    std::string payload, receipt;
    ASSERT_TRUE(module.Pop(queue, 0, &payload, &receipt).ok());
    EXPECT_EQ(payload, "m1");
    ASSERT_TRUE(module.Cas("before", JOBBER_EXPECT_ABSENT, nullptr, kPending, "tok").ok());
    WaitForReplication();

    const int old_port = setup_.master().port();
    const int new_port = setup_.replica().port();
    const auto failover_at = Clock::now();
    setup_.Failover();
    SentinelSetup::WaitFor("the sentinel to name the replica master", 20s,
                           [&] { return setup_.SentinelMasterPort() == new_port; });

    // Writes from the plugin reach the new master within a bounded time, and from then on only the new master.
    int landed_at = -1;
    int refused = 0;
    const auto deadline = Clock::now() + 15s;
    for (int i = 0; Clock::now() < deadline; ++i) {
        const std::string job = "after" + std::to_string(i);
        const CallResult result = module.Cas(job, JOBBER_EXPECT_ABSENT, nullptr, kPending, "t");
        if (result.ok() && Exists(new_port, prefix_ + "job:" + job)) {
            landed_at = i;
            break;
        }
        if (!result.ok()) {
            EXPECT_EQ(result.code, JOBBER_UNAVAILABLE) << result;
            ++refused;
        }
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_GE(landed_at, 0) << "no write reached the new master within 15 s of the switch";
    const auto followed_after = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - failover_at);
    // Writes before that one were refused (UNAVAILABLE) or taken by the old master before the announcement.
    std::printf("followed the failover %lld ms after SENTINEL FAILOVER (before: %d refused, %d on the old master)\n",
                static_cast<long long>(followed_after.count()), refused, landed_at - refused);

    for (int i = 0; i < 10; ++i) {
        const std::string job = "later" + std::to_string(i);
        ASSERT_TRUE(module.Cas(job, JOBBER_EXPECT_ABSENT, nullptr, kPending, "t").ok());
        EXPECT_TRUE(Exists(new_port, prefix_ + "job:" + job)) << job << " did not go to the new master";
        EXPECT_FALSE(Exists(old_port, prefix_ + "job:" + job) && RoleOf(old_port) == "master")
            << job << " went to the old master";
    }

    // What was replicated before the failover is all there, and usable: the job record's CAS, the live lease's
    // ack, the queued messages; and pushes after the failover (scripts reloaded on NOSCRIPT) come out too.
    EXPECT_EQ(module.StateOf("before"), kPending);
    EXPECT_TRUE(module.Cas("before", JOBBER_EXPECT_STATE(kPending), "tok", kStarted, "tok").ok());
    EXPECT_TRUE(module.Ack(receipt).ok()) << "the lease taken before the failover is gone";
    ASSERT_TRUE(module.Push(queue, "m4").ok());
    std::vector<std::string> rest;
    for (int i = 0; i < 3; ++i) {
        const CallResult popped = module.Pop(queue, 1000, &payload, &receipt);
        ASSERT_TRUE(popped.ok()) << popped;
        rest.push_back(payload);
        EXPECT_TRUE(module.Ack(receipt).ok());
    }
    EXPECT_EQ(rest, (std::vector<std::string>{"m2", "m3", "m4"}));
    EXPECT_EQ(ListLength(new_port, prefix_ + "q:" + queue), 0);
}

// kill -9 of the master: calls fail with UNAVAILABLE (503 in the host) while the sentinel fails over, a waiting pop
// is not left hanging, and once the replica is promoted the plugin finds it by itself.
TEST_F(RedisSentinelTest, FindsTheNewMasterAfterTheOldOneIsKilled) {
    Module module(Config());
    ASSERT_TRUE(module.broker_open().ok()) << module.broker_open();
    ASSERT_TRUE(module.state_open().ok()) << module.state_open();
    ASSERT_TRUE(module.Push("q", "before").ok());
    ASSERT_TRUE(module.Cas("before", JOBBER_EXPECT_ABSENT, nullptr, kPending, "tok").ok());
    WaitForReplication();

    // A pop waiting on an empty queue when the master dies.
    auto waiting = std::async(std::launch::async, [&] {
        std::string payload, receipt;
        return module.Pop("empty", 30000, &payload, &receipt);
    });
    std::this_thread::sleep_for(300ms);
    const auto killed_at = Clock::now();
    setup_.master().Kill();
    ASSERT_EQ(waiting.wait_for(10s), std::future_status::ready) << "a waiting pop hung on the dead master";
    const CallResult popped = waiting.get();
    EXPECT_EQ(popped.code, JOBBER_UNAVAILABLE) << popped;

    std::vector<jobber_code> codes;
    bool followed = false;
    const auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
        const CallResult result = module.Push("q", "after");
        codes.push_back(result.code);
        if (result.ok()) {
            followed = true;
            break;
        }
        EXPECT_EQ(result.code, JOBBER_UNAVAILABLE) << result;
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(followed) << "no push succeeded within 30 s of the kill";
    std::printf(
        "pushes succeed again %lld ms after kill -9 of the master (%zu refused meanwhile)\n",
        static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed_at).count()),
        codes.size() - 1);
    EXPECT_EQ(setup_.SentinelMasterPort(), setup_.replica().port());
    EXPECT_EQ(RoleOf(setup_.replica().port()), "master");

    EXPECT_EQ(module.StateOf("before"), kPending);
    EXPECT_TRUE(module.Cas("before", JOBBER_EXPECT_STATE(kPending), "tok", kStarted, "tok").ok());
    std::string payload, receipt;
    ASSERT_TRUE(module.Pop("q", 1000, &payload, &receipt).ok());
    EXPECT_EQ(payload, "before");
    ASSERT_TRUE(module.Pop("q", 1000, &payload, &receipt).ok());
    EXPECT_EQ(payload, "after");
}

// A master name no sentinel monitors is a configuration mistake: open fails with INVALID_ARGUMENT naming the key,
// like a wrong password, instead of starting a process whose every call fails.
TEST_F(RedisSentinelTest, AnUnknownMasterNameFailsOpenNamingTheKey) {
    ConfigList config = Config("nosuchmaster");
    config[0].second = setup_.sentinel().address();  // only reachable sentinels: every one of them refuses
    Module module(config);
    EXPECT_EQ(module.broker_open().code, JOBBER_INVALID_ARGUMENT) << module.broker_open();
    EXPECT_NE(module.broker_open().message.find("master_name"), std::string::npos) << module.broker_open();
    EXPECT_NE(module.broker_open().message.find("nosuchmaster"), std::string::npos) << module.broker_open();
    EXPECT_EQ(module.state_open().code, JOBBER_INVALID_ARGUMENT) << module.state_open();
}

}  // namespace
}  // namespace jobber::redis::testing
