// Behaviour of MemoryBroker beyond the broker contract: the queue limit, cross-queue ordering,
// where redelivered and requeued messages go, and that nothing is kept once it is consumed.
#include "memory_broker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "jobber/sdk/error.hpp"

namespace jobber::memory {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kLongLease(60000);

std::unique_ptr<MemoryBroker> MakeBroker(const std::vector<std::pair<std::string, std::string>>& config = {}) {
    std::vector<jobber_kv> kvs;
    for (const auto& [key, value] : config) kvs.push_back({key.c_str(), value.c_str()});
    return std::make_unique<MemoryBroker>(
        sdk::OpenArgs{"test", sdk::Config(kvs.data(), static_cast<uint32_t>(kvs.size()))});
}

int64_t NowUnixMs() {
    return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Pops one message that must be there, returning its payload (and acking it unless told not to).
std::string PopPayload(MemoryBroker& broker, const std::vector<std::string>& queues, bool ack = true) {
    auto delivery = broker.Pop(queues, milliseconds(0), kLongLease);
    if (!delivery) return "<nothing>";
    if (ack) broker.Ack(delivery->receipt);
    return delivery->payload;
}

jobber_code CodeOf(const std::function<void()>& call) {
    try {
        call();
    } catch (const sdk::Error& e) {
        return e.code();
    }
    return JOBBER_OK;
}

TEST(MemoryBrokerConfig, DeclaresMaxQueueLength) {
    const auto& fields = MemoryBroker::ConfigFields();
    ASSERT_EQ(fields.size(), 1u);
    EXPECT_STREQ(fields[0].name, "max_queue_length");
    EXPECT_EQ(fields[0].type, JOBBER_FIELD_INT);
    EXPECT_EQ(fields[0].required, 0);
    EXPECT_STREQ(fields[0].default_value, "0");
}

TEST(MemoryBrokerConfig, RejectsANegativeOrNonIntegerLimit) {
    EXPECT_EQ(CodeOf([] { MakeBroker({{"max_queue_length", "-1"}}); }), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(CodeOf([] { MakeBroker({{"max_queue_length", "ten"}}); }), JOBBER_INVALID_ARGUMENT);
}

TEST(MemoryBroker, MaxQueueLengthCountsReadyAndDelayedMessages) {
    auto broker = MakeBroker({{"max_queue_length", "3"}});
    broker->Push("q", "ready 1", 0);
    broker->Push("q", "ready 2", 0);
    broker->Push("q", "delayed", NowUnixMs() + 3600 * 1000);
    try {
        broker->Push("q", "one too many", 0);
        FAIL() << "the fourth push was accepted";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_UNAVAILABLE);
        EXPECT_NE(std::string(e.what()).find("queue 'q' is full (3 messages)"), std::string::npos) << e.what();
    }
    EXPECT_EQ(CodeOf([&] { broker->Push("q", "delayed too", NowUnixMs() + 1000); }), JOBBER_UNAVAILABLE);
    EXPECT_EQ(CodeOf([&] { broker->Push("other", "fine", 0); }), JOBBER_OK) << "the limit is per queue";

    // A leased message no longer counts against the limit.
    auto leased = broker->Pop({"q"}, milliseconds(0), kLongLease);
    ASSERT_TRUE(leased);
    EXPECT_EQ(CodeOf([&] { broker->Push("q", "room again", 0); }), JOBBER_OK);
}

TEST(MemoryBroker, ZeroMaxQueueLengthIsUnlimited) {
    auto broker = MakeBroker({{"max_queue_length", "0"}});
    for (int i = 0; i < 10000; ++i) broker->Push("q", std::to_string(i), 0);
    EXPECT_EQ(PopPayload(*broker, {"q"}), "0");
}

TEST(MemoryBroker, PopIsOldestFirstAcrossQueues) {
    auto broker = MakeBroker();
    broker->Push("b", "b1", 0);
    broker->Push("a", "a1", 0);
    broker->Push("b", "b2", 0);
    EXPECT_EQ(PopPayload(*broker, {"a", "b"}), "b1");
    EXPECT_EQ(PopPayload(*broker, {"a", "b"}), "a1");
    EXPECT_EQ(PopPayload(*broker, {"a", "b"}), "b2");
}

TEST(MemoryBroker, ExpiredLeaseReturnsToTheHeadOfItsQueue) {
    auto broker = MakeBroker();
    broker->Push("q", "m1", 0);
    auto first = broker->Pop({"q"}, milliseconds(0), milliseconds(20));
    ASSERT_TRUE(first);
    broker->Push("q", "m2", 0);
    std::this_thread::sleep_for(milliseconds(40));

    auto again = broker->Pop({"q"}, milliseconds(0), kLongLease);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->payload, "m1");
    EXPECT_EQ(again->delivery_count, 2u);
    EXPECT_EQ(PopPayload(*broker, {"q"}), "m2");
}

TEST(MemoryBroker, RequeueGoesToTheTailAndKeepsTheDeliveryCount) {
    auto broker = MakeBroker();
    broker->Push("q", "m1", 0);
    broker->Push("q", "m2", 0);
    auto first = broker->Pop({"q"}, milliseconds(0), kLongLease);
    ASSERT_TRUE(first);
    broker->Requeue(first->receipt, 0);
    EXPECT_EQ(PopPayload(*broker, {"q"}), "m2");
    auto again = broker->Pop({"q"}, milliseconds(0), kLongLease);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->payload, "m1");
    EXPECT_EQ(again->delivery_count, 2u);
}

TEST(MemoryBroker, DelayedMessagesWithOneEtaKeepPushOrder) {
    auto broker = MakeBroker();
    const int64_t eta = NowUnixMs() + 30;
    for (const char* payload : {"d1", "d2", "d3"}) broker->Push("q", payload, eta);
    std::this_thread::sleep_for(milliseconds(50));
    for (const char* expected : {"d1", "d2", "d3"}) EXPECT_EQ(PopPayload(*broker, {"q"}), expected);
}

TEST(MemoryBroker, ForgetsQueuesAndLeasesOnceConsumed) {
    auto broker = MakeBroker();
    for (int i = 0; i < 100; ++i) broker->Push("q" + std::to_string(i), "m", 0);
    EXPECT_EQ(broker->QueueCount(), 100u);
    for (int i = 0; i < 100; ++i) {
        auto delivery = broker->Pop({"q" + std::to_string(i)}, milliseconds(0), kLongLease);
        ASSERT_TRUE(delivery);
        if (i % 2 == 0) {
            broker->Ack(delivery->receipt);
        } else {
            broker->Requeue(delivery->receipt, 0);
        }
    }
    for (int i = 1; i < 100; i += 2) PopPayload(*broker, {"q" + std::to_string(i)});
    EXPECT_EQ(broker->QueueCount(), 0u);
    EXPECT_EQ(broker->LeaseCount(), 0u);
}

TEST(MemoryBroker, RejectsInvalidArguments) {
    auto broker = MakeBroker();
    EXPECT_EQ(CodeOf([&] { broker->Push("", "m", 0); }), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(CodeOf([&] { broker->Pop({}, milliseconds(0), kLongLease); }), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(CodeOf([&] { broker->Pop({"q"}, milliseconds(0), milliseconds(0)); }), JOBBER_INVALID_ARGUMENT);
    broker->Push("q", "m", 0);
    auto delivery = broker->Pop({"q"}, milliseconds(0), kLongLease);
    ASSERT_TRUE(delivery);
    EXPECT_EQ(CodeOf([&] { broker->Extend(delivery->receipt, milliseconds(-5)); }), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(CodeOf([&] { broker->Ack(delivery->receipt); }), JOBBER_OK);
}

TEST(MemoryBroker, ExtremeWaitsEtasAndLeasesDoNotOverflow) {
    auto broker = MakeBroker();
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    broker->Push("far", "never", kMax);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(broker->Pop({"far"}, milliseconds(10), kLongLease));
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));

    std::thread producer([&] {
        std::this_thread::sleep_for(milliseconds(20));
        broker->Push("q", "m", 0);
    });
    auto delivery = broker->Pop({"q"}, milliseconds(kMax), milliseconds(kMax));
    producer.join();
    ASSERT_TRUE(delivery);
    broker->Extend(delivery->receipt, milliseconds(kMax));
    EXPECT_FALSE(broker->Pop({"q"}, milliseconds(0), kLongLease));
    broker->Ack(delivery->receipt);
}

TEST(MemoryBroker, ListPendingVisitorMayCallBackIntoTheBroker) {
    auto broker = MakeBroker();
    broker->Push("q", "m1", 0);
    broker->Push("q", "m2", 0);
    std::vector<std::string> seen;
    broker->ListPending("q", [&](const sdk::PendingMessage& message) {
        seen.emplace_back(message.payload);
        broker->Push("other", "from the visitor", 0);
        return true;
    });
    EXPECT_EQ(seen, (std::vector<std::string>{"m1", "m2"}));
    EXPECT_EQ(PopPayload(*broker, {"other"}), "from the visitor");
}

TEST(MemoryBroker, WaitingPopWakesForALeaseThatRunsOut) {
    auto broker = MakeBroker();
    broker->Push("q", "m", 0);
    ASSERT_TRUE(broker->Pop({"q"}, milliseconds(0), milliseconds(50)));
    const auto start = std::chrono::steady_clock::now();
    auto again = broker->Pop({"q"}, milliseconds(5000), kLongLease);
    ASSERT_TRUE(again);
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
    EXPECT_EQ(again->delivery_count, 2u);
}

}  // namespace
}  // namespace jobber::memory
