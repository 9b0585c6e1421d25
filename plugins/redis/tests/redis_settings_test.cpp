// Config parsing of the redis plugin: addresses, key prefixes, bounds. No server needed.
#include "redis_settings.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jobber/sdk/error.hpp"

namespace jobber::redis {
namespace {

sdk::Config MakeConfig(const std::vector<std::pair<std::string, std::string>>& entries) {
    static std::vector<std::pair<std::string, std::string>> storage;
    storage = entries;
    std::vector<jobber_kv> kvs;
    for (const auto& [key, value] : storage) kvs.push_back({key.c_str(), value.c_str()});
    return sdk::Config(kvs.data(), static_cast<uint32_t>(kvs.size()));
}

// The message of the INVALID_ARGUMENT `body` throws; fails the test when it throws nothing or another code.
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

TEST(RedisAddressTest, ParsesHostPortIpv6AndUnixSockets) {
    RedisAddress a = ParseAddress("redis.internal:6380");
    EXPECT_EQ(a.host, "redis.internal");
    EXPECT_EQ(a.port, 6380);
    EXPECT_TRUE(a.unix_path.empty());

    a = ParseAddress("10.0.0.5");
    EXPECT_EQ(a.host, "10.0.0.5");
    EXPECT_EQ(a.port, 6379) << "the default port";

    a = ParseAddress("[::1]:7000");
    EXPECT_EQ(a.host, "::1");
    EXPECT_EQ(a.port, 7000);
    EXPECT_EQ(a.Describe(), "[::1]:7000");

    a = ParseAddress("/run/redis/redis.sock");
    EXPECT_EQ(a.unix_path, "/run/redis/redis.sock");
    EXPECT_TRUE(a.host.empty());
    EXPECT_EQ(ParseAddress("unix:///tmp/r.sock").unix_path, "/tmp/r.sock");
}

TEST(RedisAddressTest, RejectsMalformedAddressesNamingTheKey) {
    for (const char* bad : {"", "host:", "host:abc", "host:0", "host:65536", ":6379", "::1:6379", "[::1", "[::1]x"}) {
        const std::string message = InvalidArgumentMessage([&] { ParseAddress(bad); });
        EXPECT_NE(message.find("'address'"), std::string::npos) << bad << ": " << message;
    }
}

TEST(RedisSettingsTest, DefaultsWhenOnlyTheAddressIsGiven) {
    const RedisSettings s = ParseSettings(MakeConfig({{"address", "127.0.0.1:6379"}}));
    EXPECT_EQ(s.address.port, 6379);
    EXPECT_EQ(s.key_prefix, "jobber:");
    EXPECT_EQ(s.db, 0);
    EXPECT_TRUE(s.password.empty());
    EXPECT_EQ(s.connect_timeout.count(), 2000);
    EXPECT_EQ(s.command_timeout.count(), 5000);
    EXPECT_EQ(s.pool_size, 16u);
}

TEST(RedisSettingsTest, ReadsEveryKey) {
    const RedisSettings s = ParseSettings(MakeConfig({{"address", "/tmp/redis.sock"},
                                                      {"password", "secret"},
                                                      {"username", "jobber"},
                                                      {"db", "3"},
                                                      {"key_prefix", "{prod}:jobber:"},
                                                      {"connect_timeout", "250"},
                                                      {"command_timeout", "1500"},
                                                      {"pool_size", "4"}}));
    EXPECT_EQ(s.address.unix_path, "/tmp/redis.sock");
    EXPECT_EQ(s.password, "secret");
    EXPECT_EQ(s.username, "jobber");
    EXPECT_EQ(s.db, 3);
    EXPECT_EQ(s.key_prefix, "{prod}:jobber:");
    EXPECT_EQ(s.connect_timeout.count(), 250);
    EXPECT_EQ(s.command_timeout.count(), 1500);
    EXPECT_EQ(s.pool_size, 4u);
}

TEST(RedisSettingsTest, RejectsOutOfRangeValuesNamingTheKey) {
    const std::vector<std::pair<std::string, std::string>> bad = {{"db", "-1"},
                                                                  {"pool_size", "0"},
                                                                  {"pool_size", "5000"},
                                                                  {"key_prefix", ""},
                                                                  {"key_prefix", "has space"},
                                                                  {"key_prefix", std::string(65, 'a')},
                                                                  {"connect_timeout", "0"},
                                                                  {"command_timeout", "-5"},
                                                                  {"username", "only-user"}};
    for (const auto& [key, value] : bad) {
        const std::string message = InvalidArgumentMessage([&] { ParseSettings(MakeConfig({{key, value}})); });
        EXPECT_NE(message.find("'" + key + "'"), std::string::npos) << key << "=" << value << ": " << message;
    }
}

TEST(RedisSettingsTest, KeyPrefixCharacters) {
    EXPECT_TRUE(IsValidKeyPrefix("jobber:"));
    EXPECT_TRUE(IsValidKeyPrefix("app-1.jobs_{x}:"));
    EXPECT_FALSE(IsValidKeyPrefix("a b"));
    EXPECT_FALSE(IsValidKeyPrefix("a\nb"));
    EXPECT_FALSE(IsValidKeyPrefix("a*"));
}

}  // namespace
}  // namespace jobber::redis
