// What the contract suite cannot see from outside the ABI: no head-of-line blocking at the scale (1 s
// behind 1 h), redelivery when a consumer's connection goes away (a dead worker process), and a RabbitMQ restart
// (on a private node): push fails fast with UNAVAILABLE while it is down, and nothing accepted is lost.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "amqp_broker.hpp"
#include "jobber/sdk/error.hpp"
#include "private_rabbitmq_node.hpp"

namespace jobber::amqp {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::string RandomQueue(const std::string& label) {
    static std::mt19937_64 rng{std::random_device{}()};
    return "jobber_behaviour_" + label + "_" + std::to_string(rng());
}

int64_t NowUnixMs() {
    return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

AmqpSettings SettingsFor(const std::string& url) {
    AmqpSettings settings;
    settings.endpoint = ParseUrl(url);
    settings.connect_timeout = 1000ms;
    settings.command_timeout = 3000ms;
    settings.heartbeat = std::chrono::seconds(2);
    return settings;
}

class AmqpBehaviourTest : public ::testing::Test {
protected:
    void SetUp() override {
        const char* url = std::getenv("JOBBER_TEST_AMQP_URL");
        if (url == nullptr || *url == '\0') {
            GTEST_SKIP() << "JOBBER_TEST_AMQP_URL is not set; start a node with tests/services/rabbitmq.sh";
        }
        url_ = url;
    }
    std::string url_;
};

TEST_F(AmqpBehaviourTest, AJobDueInOneSecondPostedAfterOneDueInAnHourRunsInAboutOneSecond) {
    AmqpBroker broker(SettingsFor(url_), "hol");
    const std::string queue = RandomQueue("hol");
    broker.Push(queue, "in an hour", NowUnixMs() + 3600 * 1000);
    const int64_t due = NowUnixMs() + 1000;
    const auto pushed = Clock::now();
    broker.Push(queue, "in a second", due);
    auto delivery = broker.Pop({queue}, 5000ms, 60000ms);
    const auto took = Clock::now() - pushed;
    ASSERT_TRUE(delivery.has_value()) << "the 1 s job waited behind the 1 h job";
    EXPECT_EQ(delivery->payload, "in a second");
    EXPECT_GE(NowUnixMs(), due) << "delivered before its eta";
    EXPECT_LT(took, 1500ms) << "a 1 s delay took " << std::chrono::duration_cast<milliseconds>(took).count() << " ms";
    broker.Ack(delivery->receipt);
    EXPECT_FALSE(broker.Pop({queue}, 0ms, 60000ms).has_value()) << "the other job is due in an hour";
}

// A worker process that dies takes its connection with it; RabbitMQ hands its unacked messages to the next
// consumer, and the delivery count says so (the host takes over a STARTED job only when it is above 1).
TEST_F(AmqpBehaviourTest, MessagesOfAConsumerWhoseConnectionIsGoneAreRedeliveredToAnother) {
    const std::string queue = RandomQueue("gone");
    auto first = std::make_unique<AmqpBroker>(SettingsFor(url_), "first");
    first->Push(queue, "job", 0);
    auto leased = first->Pop({queue}, 5000ms, 600000ms);
    ASSERT_TRUE(leased.has_value());
    EXPECT_EQ(leased->delivery_count, 1u);

    AmqpBroker second(SettingsFor(url_), "second");
    EXPECT_FALSE(second.Pop({queue}, 300ms, 60000ms).has_value()) << "leased for ten minutes by the first";
    first.reset();  // its connection closes, as a killed process's would
    auto again = second.Pop({queue}, 5000ms, 60000ms);
    ASSERT_TRUE(again.has_value()) << "RabbitMQ did not redeliver the unacked message";
    EXPECT_EQ(again->payload, "job");
    EXPECT_EQ(again->delivery_count, 2u);
    second.Ack(again->receipt);
}

// Requeue for later: the copy waits in the delay tree, the original is acked, the count goes on.
TEST_F(AmqpBehaviourTest, DelayedRequeueCountsOnAndIsNotDeliveredEarly) {
    AmqpBroker broker(SettingsFor(url_), "requeue");
    const std::string queue = RandomQueue("requeue");
    broker.Push(queue, "retry me", 0);
    uint32_t expected = 1;
    for (int round = 0; round < 3; ++round) {
        auto delivery = broker.Pop({queue}, 5000ms, 60000ms);
        ASSERT_TRUE(delivery.has_value()) << "round " << round;
        EXPECT_EQ(delivery->delivery_count, expected);
        const int64_t eta = NowUnixMs() + 200;
        broker.Requeue(delivery->receipt, eta);
        EXPECT_THROW(broker.Ack(delivery->receipt), sdk::Error);
        auto next = broker.Pop({queue}, 5000ms, 60000ms);
        ASSERT_TRUE(next.has_value());
        EXPECT_GE(NowUnixMs(), eta);
        EXPECT_EQ(next->delivery_count, expected + 1);
        broker.Requeue(next->receipt, 0);  // and once straight back
        expected += 2;
    }
}

TEST(AmqpRestartTest, PushFailsFastWhileRabbitMqIsDownAndNothingAcceptedIsLost) {
    if (std::getenv("JOBBER_TEST_AMQP_URL") == nullptr) GTEST_SKIP() << "JOBBER_TEST_AMQP_URL is not set";
    testing::PrivateRabbitMqNode node;
    if (!node.unavailable_reason().empty()) GTEST_SKIP() << node.unavailable_reason();
    AmqpBroker broker(SettingsFor(node.url()), "restart");
    const std::string queue = RandomQueue("restart");

    std::set<std::string> accepted;
    for (int i = 0; i < 20; ++i) {
        broker.Push(queue, "ready" + std::to_string(i), 0);
        accepted.insert("ready" + std::to_string(i));
    }
    // Delayed past the restart: it sits in the delay tree while RabbitMQ is down.
    broker.Push(queue, "delayed", NowUnixMs() + 2000);
    accepted.insert("delayed");
    // Two leased and never acked: RabbitMQ takes them back with the connection.
    auto leased = broker.Pop({queue}, 5000ms, 600000ms);
    ASSERT_TRUE(leased.has_value());

    node.Stop();
    for (int i = 0; i < 3; ++i) {
        const auto start = Clock::now();
        try {
            broker.Push(queue, "while down", 0);
            ADD_FAILURE() << "a push succeeded with RabbitMQ down";
        } catch (const sdk::Error& e) {
            EXPECT_EQ(e.code(), JOBBER_UNAVAILABLE) << e.what();
        }
        EXPECT_LT(Clock::now() - start, 1500ms) << "push must fail fast while RabbitMQ is down";
    }
    EXPECT_THROW(broker.Ping(), sdk::Error);
    node.Start();

    // Back: pushes succeed again within the reconnect backoff, and every accepted message arrives once it is due.
    const auto give_up_at = Clock::now() + 30s;
    bool pushed = false;
    while (!pushed && Clock::now() < give_up_at) {
        try {
            broker.Push(queue, "after", 0);
            pushed = true;
        } catch (const sdk::Error&) {
            std::this_thread::sleep_for(200ms);
        }
    }
    ASSERT_TRUE(pushed) << "push did not recover after the restart";
    accepted.insert("after");
    EXPECT_THROW(broker.Ack(leased->receipt), sdk::Error) << "a lease of the old connection is void";

    std::set<std::string> received;
    while (received.size() < accepted.size() && Clock::now() < give_up_at) {
        try {
            auto delivery = broker.Pop({queue}, 1000ms, 60000ms);
            if (!delivery) continue;
            received.insert(delivery->payload);
            broker.Ack(delivery->receipt);
        } catch (const sdk::Error&) {
            std::this_thread::sleep_for(200ms);  // the consumer is still reconnecting
        }
    }
    EXPECT_EQ(received, accepted);
}

}  // namespace
}  // namespace jobber::amqp
