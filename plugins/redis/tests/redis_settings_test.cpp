// Config parsing of the redis plugin: addresses, key prefixes, bounds, the Sentinel keys; and the Sentinel endpoint's
// behaviour when no sentinel can be reached (nothing listens on loopback port 1). No server needed.
#include "redis_settings.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jobber/sdk/error.hpp"
#include "redis_client.hpp"
#include "sentinel_endpoint.hpp"
#include "sentinel_watcher.hpp"

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

TEST(RedisWaitSettingsTest, OffByDefaultWithAOneSecondTimeout) {
    const RedisSettings s = ParseSettings(MakeConfig({{"address", "127.0.0.1:6379"}}));
    EXPECT_EQ(s.wait_replicas, 0);
    EXPECT_FALSE(s.WaitsForReplicas());
    EXPECT_EQ(s.wait_timeout.count(), 1000);
    bool declared_replicas = false, declared_timeout = false;
    for (const auto& field : RedisConfigFields()) {
        const std::string name = field.name;
        if (name == "wait_replicas") {
            declared_replicas = true;
            EXPECT_EQ(field.type, JOBBER_FIELD_INT);
            EXPECT_STREQ(field.default_value, "0");
        }
        if (name == "wait_timeout") {
            declared_timeout = true;
            EXPECT_EQ(field.type, JOBBER_FIELD_DURATION);
            EXPECT_STREQ(field.default_value, "1000");
        }
    }
    EXPECT_TRUE(declared_replicas && declared_timeout) << "both keys must be declared, or the host refuses them";
}

TEST(RedisWaitSettingsTest, ReadsTheKeysAndRejectsOutOfRangeValuesNamingTheKey) {
    const RedisSettings s = ParseSettings(MakeConfig({{"wait_replicas", "2"}, {"wait_timeout", "250"}}));
    EXPECT_EQ(s.wait_replicas, 2);
    EXPECT_TRUE(s.WaitsForReplicas());
    EXPECT_EQ(s.wait_timeout.count(), 250);
    EXPECT_EQ(ParseSettings(MakeConfig({{"wait_replicas", "100"}})).wait_replicas, 100) << "the upper bound";

    const std::vector<std::pair<std::string, std::string>> bad = {
        {"wait_replicas", "-1"}, {"wait_replicas", "101"}, {"wait_timeout", "0"}, {"wait_timeout", "-10"}};
    for (const auto& [key, value] : bad) {
        const std::string message = InvalidArgumentMessage([&] { ParseSettings(MakeConfig({{key, value}})); });
        EXPECT_NE(message.find("'" + key + "'"), std::string::npos) << key << "=" << value << ": " << message;
    }
}

// What decides whether a command is followed by WAIT: a short list of reads, everything else a write.
TEST(RedisWaitSettingsTest, OnlyKnownReadsSkipWait) {
    for (const char* read : {"GET", "HMGET", "PING", "get", "hmget"}) EXPECT_TRUE(IsReadCommand(read)) << read;
    for (const char* write : {"SET", "DEL", "ZREM", "EVALSHA", "EVAL", "set", "HSET", "SOMETHINGNEW"}) {
        EXPECT_FALSE(IsReadCommand(write)) << write;
    }
}

TEST(RedisSettingsTest, KeyPrefixCharacters) {
    EXPECT_TRUE(IsValidKeyPrefix("jobber:"));
    EXPECT_TRUE(IsValidKeyPrefix("app-1.jobs_{x}:"));
    EXPECT_FALSE(IsValidKeyPrefix("a b"));
    EXPECT_FALSE(IsValidKeyPrefix("a\nb"));
    EXPECT_FALSE(IsValidKeyPrefix("a*"));
}

// The message of the INVALID_ARGUMENT ParseSettings throws for `entries`.
std::string SettingsError(const std::vector<std::pair<std::string, std::string>>& entries) {
    return InvalidArgumentMessage([&] { ParseSettings(MakeConfig(entries)); });
}

bool Mentions(const std::string& message, const std::string& key) {
    return message.find("'" + key + "'") != std::string::npos;
}

TEST(RedisSentinelSettingsTest, ReadsTheSentinelKeysAndKeepsTheDataLoginSeparate) {
    const RedisSettings s = ParseSettings(MakeConfig({{"sentinels", "10.0.0.1:26379, sentinel-b:26380 ,[::1]:26381"},
                                                      {"master_name", "jobs-master"},
                                                      {"sentinel_password", "sentinel-secret"},
                                                      {"sentinel_username", "watcher"},
                                                      {"password", "data-secret"},
                                                      {"db", "2"}}));
    ASSERT_TRUE(s.UsesSentinel());
    ASSERT_EQ(s.sentinel.sentinels.size(), 3u);
    EXPECT_EQ(s.sentinel.sentinels[0].Describe(), "10.0.0.1:26379");
    EXPECT_EQ(s.sentinel.sentinels[1].Describe(), "sentinel-b:26380") << "blanks around entries are dropped";
    EXPECT_EQ(s.sentinel.sentinels[2].Describe(), "[::1]:26381");
    EXPECT_EQ(s.sentinel.master_name, "jobs-master");
    EXPECT_EQ(s.sentinel.password, "sentinel-secret");
    EXPECT_EQ(s.sentinel.username, "watcher");
    EXPECT_EQ(s.password, "data-secret") << "the data nodes keep their own password";
    EXPECT_EQ(s.db, 2);
}

TEST(RedisSentinelSettingsTest, WithoutSentinelsTheAddressIsUsedAndDefaults) {
    EXPECT_FALSE(ParseSettings(MakeConfig({})).UsesSentinel());
    EXPECT_EQ(ParseSettings(MakeConfig({})).address.Describe(), "127.0.0.1:6379");
    EXPECT_EQ(ParseSentinels("h:1").size(), 1u);
    EXPECT_EQ(ParseSentinels("h").front().port, 6379) << "a sentinel without a port: the default, as for address";
}

TEST(RedisSentinelSettingsTest, AddressAndSentinelsTogetherAreRefusedNamingBoth) {
    const std::string message =
        SettingsError({{"address", "10.0.0.1:6379"}, {"sentinels", "10.0.0.1:26379"}, {"master_name", "mymaster"}});
    EXPECT_TRUE(Mentions(message, "address")) << message;
    EXPECT_TRUE(Mentions(message, "sentinels")) << message;
}

TEST(RedisSentinelSettingsTest, TheAddressKeyHasNoDeclaredDefaultSoTheHostCannotFillItIn) {
    for (const auto& field : RedisConfigFields()) {
        if (std::string(field.name) == "address") EXPECT_EQ(field.default_value, nullptr);
        if (std::string(field.name) == "sentinel_password") EXPECT_EQ(field.type, JOBBER_FIELD_SECRET);
    }
}

TEST(RedisSentinelSettingsTest, SentinelsNeedAMasterNameAndTheOtherKeysNeedSentinels) {
    EXPECT_TRUE(Mentions(SettingsError({{"sentinels", "h:26379"}}), "master_name"));
    for (const char* key : {"master_name", "sentinel_password", "sentinel_username"}) {
        const std::string message = SettingsError({{key, "x"}});
        EXPECT_TRUE(Mentions(message, key)) << key << ": " << message;
        EXPECT_TRUE(Mentions(message, "sentinels")) << key << ": " << message;
    }
    EXPECT_TRUE(Mentions(SettingsError({{"sentinels", "h:26379"}, {"master_name", "m"}, {"sentinel_username", "u"}}),
                         "sentinel_password"));
    for (const std::string& name : {std::string("has space"), std::string("tab\there"), std::string(129, 'm')}) {
        const std::string message = SettingsError({{"sentinels", "h:26379"}, {"master_name", name}});
        EXPECT_TRUE(Mentions(message, "master_name")) << name << ": " << message;
    }
}

TEST(RedisSentinelSettingsTest, RejectsBadSentinelEntriesNamingTheKeyAndTheEntry) {
    const std::vector<std::pair<std::string, std::string>> bad = {{"h:26379,,h2:26379", "entry 2"},
                                                                  {"h:26379,", "entry 2"},
                                                                  {" ", "entry 1"},
                                                                  {"h:abc", "'h:abc'"},
                                                                  {"h:0", "'h:0'"},
                                                                  {"::1:26379", "'::1:26379'"},
                                                                  {"h:26379,h:26379", "twice"},
                                                                  {"[::1", "'[::1'"}};
    for (const auto& [value, detail] : bad) {
        const std::string message = SettingsError({{"sentinels", value}, {"master_name", "mymaster"}});
        EXPECT_TRUE(Mentions(message, "sentinels")) << value << ": " << message;
        EXPECT_NE(message.find(detail), std::string::npos) << value << ": " << message;
    }
}

TEST(RedisSentinelWatcherTest, ParsesTheAnnouncementsOfANewMaster) {
    auto master = ParseAnnouncement("+switch-master", "jobs 10.0.0.1 6379 10.0.0.2 6380", "jobs");
    ASSERT_TRUE(master.has_value());
    EXPECT_EQ(master->Describe(), "10.0.0.2:6380");
    master = ParseAnnouncement("+promoted-slave", "slave 10.0.0.2:6380 10.0.0.2 6380 @ jobs 10.0.0.1 6379", "jobs");
    ASSERT_TRUE(master.has_value());
    EXPECT_EQ(master->Describe(), "10.0.0.2:6380");

    EXPECT_FALSE(ParseAnnouncement("+switch-master", "other 10.0.0.1 6379 10.0.0.2 6380", "jobs")) << "other master";
    EXPECT_FALSE(ParseAnnouncement("+promoted-slave", "slave a:1 a 1 @ other b 2", "jobs")) << "other master";
    EXPECT_FALSE(ParseAnnouncement("+sdown", "master jobs 10.0.0.1 6379", "jobs")) << "other channel";
    EXPECT_FALSE(ParseAnnouncement("+switch-master", "jobs 10.0.0.1 6379", "jobs")) << "truncated";
    EXPECT_FALSE(ParseAnnouncement("+switch-master", "jobs 10.0.0.1 6379 10.0.0.2 x", "jobs")) << "bad port";
}

TEST(RedisSentinelEndpointTest, BacksOffFrom100msDoublingTo1s) {
    EXPECT_EQ(SentinelEndpoint::Backoff(1).count(), 100);
    EXPECT_EQ(SentinelEndpoint::Backoff(2).count(), 200);
    EXPECT_EQ(SentinelEndpoint::Backoff(4).count(), 800);
    EXPECT_EQ(SentinelEndpoint::Backoff(5).count(), 1000);
    EXPECT_EQ(SentinelEndpoint::Backoff(1000).count(), 1000);
}

// No sentinel reachable: UNAVAILABLE naming every sentinel; the next try within the back-off fails without
// connecting again, and says so.
TEST(RedisSentinelEndpointTest, UnreachableSentinelsFailWithUnavailableNamingEachAndBackOff) {
    RedisSettings settings = ParseSettings(MakeConfig(
        {{"sentinels", "127.0.0.1:1,127.0.0.1:2"}, {"master_name", "mymaster"}, {"connect_timeout", "500"}}));
    SentinelEndpoint endpoint(settings, "test");
    std::string first;
    try {
        endpoint.Connect();
        ADD_FAILURE() << "connected with no sentinel up";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_UNAVAILABLE) << e.what();
        first = e.what();
    }
    EXPECT_NE(first.find("127.0.0.1:1"), std::string::npos) << first;
    EXPECT_NE(first.find("127.0.0.1:2"), std::string::npos) << first;
    EXPECT_NE(first.find("'mymaster'"), std::string::npos) << first;
    try {
        endpoint.Connect();
        ADD_FAILURE() << "connected with no sentinel up";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_UNAVAILABLE);
        EXPECT_NE(std::string(e.what()).find("asking the sentinels again in"), std::string::npos) << e.what();
    }
    EXPECT_NE(endpoint.Describe().find("no master found yet"), std::string::npos) << endpoint.Describe();
}

}  // namespace
}  // namespace jobber::redis
