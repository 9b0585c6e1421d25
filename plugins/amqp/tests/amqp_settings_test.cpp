// Config parsing of the amqp plugin: the URL (and that its password never shows in messages), bounds. No server.
#include "amqp_settings.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jobber/sdk/error.hpp"

namespace jobber::amqp {
namespace {

sdk::Config MakeConfig(const std::vector<std::pair<std::string, std::string>>& entries) {
    static std::vector<std::pair<std::string, std::string>> storage;
    storage = entries;
    std::vector<jobber_kv> kvs;
    for (const auto& [key, value] : storage) kvs.push_back({key.c_str(), value.c_str()});
    return sdk::Config(kvs.data(), static_cast<uint32_t>(kvs.size()));
}

template <class Body>
std::string InvalidArgumentMessage(Body&& body) {
    try {
        body();
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT) << e.what();
        return e.what();
    }
    ADD_FAILURE() << "no error thrown";
    return {};
}

TEST(AmqpUrlTest, ParsesUserPasswordHostPortAndVhost) {
    const AmqpEndpoint e = ParseUrl("amqp://jobber:s3cret@mq.internal:5673/prod");
    EXPECT_EQ(e.user, "jobber");
    EXPECT_EQ(e.password, "s3cret");
    EXPECT_EQ(e.host, "mq.internal");
    EXPECT_EQ(e.port, 5673);
    EXPECT_EQ(e.vhost, "prod");
    EXPECT_EQ(e.Describe(), "amqp://jobber@mq.internal:5673/prod") << "no password in descriptions";
}

TEST(AmqpUrlTest, DefaultsAndPercentEncoding) {
    AmqpEndpoint e = ParseUrl("amqp://localhost");
    EXPECT_EQ(e.user, "guest");
    EXPECT_EQ(e.password, "guest");
    EXPECT_EQ(e.port, 5672);
    EXPECT_EQ(e.vhost, "/");
    EXPECT_EQ(ParseUrl("amqp://localhost/").vhost, "/");
    EXPECT_EQ(ParseUrl("amqp://localhost/%2F").vhost, "/");
    EXPECT_EQ(ParseUrl("amqp://localhost/%2fjobs").vhost, "/jobs");

    e = ParseUrl("amqp://u%40corp:p%3Aw%2Fd@[::1]:5600/v");
    EXPECT_EQ(e.user, "u@corp");
    EXPECT_EQ(e.password, "p:w/d");
    EXPECT_EQ(e.host, "::1");
    EXPECT_EQ(e.port, 5600);
    EXPECT_EQ(e.Describe(), "amqp://u@corp@[::1]:5600/v");
}

TEST(AmqpUrlTest, RejectsMalformedUrlsWithoutEchoingThePassword) {
    for (const char* bad : {"", "http://h", "amqps://h", "amqp://", "amqp://u:topsecret@", "amqp://u:topsecret@h:0",
                            "amqp://u:topsecret@h:99999", "amqp://u:topsecret@h:x", "amqp://u:top%zzsecret@h",
                            "amqp://:topsecret@h", "amqp://u:topsecret@[::1", "amqp://h/%2"}) {
        const std::string message = InvalidArgumentMessage([&] { ParseUrl(bad); });
        EXPECT_NE(message.find("'url'"), std::string::npos) << bad << ": " << message;
        EXPECT_EQ(message.find("topsecret"), std::string::npos) << bad << ": " << message;
        EXPECT_EQ(message.find("top%zz"), std::string::npos) << bad << ": " << message;
    }
}

TEST(AmqpSettingsTest, Defaults) {
    const AmqpSettings s = ParseSettings(MakeConfig({}));
    EXPECT_EQ(s.endpoint.host, "127.0.0.1");
    EXPECT_EQ(s.prefetch, 10);
    EXPECT_EQ(s.heartbeat.count(), 10);
    EXPECT_EQ(s.connect_timeout.count(), 2000);
    EXPECT_EQ(s.command_timeout.count(), 5000);
    EXPECT_EQ(s.queue_type, QueueType::kQuorum);
    EXPECT_EQ(s.publisher_connections, 4u);
    EXPECT_EQ(s.topology_prefix, "jobber");
}

TEST(AmqpSettingsTest, ReadsEveryKey) {
    const AmqpSettings s = ParseSettings(MakeConfig({{"url", "amqp://a:b@h:1234/v"},
                                                     {"prefetch", "32"},
                                                     {"heartbeat", "30000"},
                                                     {"connect_timeout", "250"},
                                                     {"command_timeout", "1500"},
                                                     {"queue_type", "classic"},
                                                     {"publisher_connections", "2"},
                                                     {"topology_prefix", "app1.jobs"}}));
    EXPECT_EQ(s.endpoint.port, 1234);
    EXPECT_EQ(s.prefetch, 32);
    EXPECT_EQ(s.heartbeat.count(), 30);
    EXPECT_EQ(s.connect_timeout.count(), 250);
    EXPECT_EQ(s.command_timeout.count(), 1500);
    EXPECT_EQ(s.queue_type, QueueType::kClassic);
    EXPECT_EQ(s.publisher_connections, 2u);
    EXPECT_EQ(s.topology_prefix, "app1.jobs");
}

TEST(AmqpSettingsTest, RejectsOutOfRangeValuesNamingTheKey) {
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"prefetch", "0"},          {"prefetch", "70000"},          {"heartbeat", "500"},
        {"heartbeat", "0"},         {"connect_timeout", "0"},       {"command_timeout", "-1"},
        {"queue_type", "stream"},   {"publisher_connections", "0"}, {"publisher_connections", "65"},
        {"topology_prefix", "a b"}, {"topology_prefix", ""},        {"topology_prefix", "x*"}};
    for (const auto& [key, value] : bad) {
        const std::string message = InvalidArgumentMessage([&] { ParseSettings(MakeConfig({{key, value}})); });
        EXPECT_NE(message.find("'" + key + "'"), std::string::npos) << key << "=" << value << ": " << message;
    }
}

TEST(AmqpSettingsTest, QueueNames) {
    EXPECT_TRUE(IsValidQueueName("sqljob_queue"));
    EXPECT_TRUE(IsValidQueueName("a.b:c-d_9"));
    EXPECT_TRUE(IsValidQueueName(std::string(128, 'q')));
    EXPECT_FALSE(IsValidQueueName(std::string(129, 'q')));
    EXPECT_FALSE(IsValidQueueName(""));
    EXPECT_FALSE(IsValidQueueName("a*"));
    EXPECT_FALSE(IsValidQueueName("a#"));
    EXPECT_FALSE(IsValidQueueName("a b"));
}

}  // namespace
}  // namespace jobber::amqp
