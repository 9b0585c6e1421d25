// The broker and state conformance suites, run against the built libjobber_redis.so through the C ABI and a real
// Redis named by JOBBER_TEST_REDIS_ADDRESS (tests/services/redis.sh starts one). Without it every case skips.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include "jobber/testing/broker_contract.hpp"
#include "jobber/testing/plugin_library.hpp"
#include "jobber/testing/state_contract.hpp"

namespace jobber::testing {

namespace {

constexpr const char* kAddressVariable = "JOBBER_TEST_REDIS_ADDRESS";

std::string TestAddress() {
    const char* address = std::getenv(kAddressVariable);
    return address != nullptr ? address : "";
}

// A prefix of its own per test binary run, so runs sharing one server never see each other's keys (the suites
// also randomise queue and job names; this keeps the broker's id counter separate too).
ConfigList RedisConfig() {
    return {{"address", TestAddress()},
            {"key_prefix", UniqueName("redis") + ":"},
            {"connect_timeout", "2000"},
            {"command_timeout", "5000"},
            {"pool_size", "16"}};
}

std::string SkipReason() {
    if (!TestAddress().empty()) return {};
    return std::string(kAddressVariable) + " is not set; start a server with tests/services/redis.sh";
}

// Redis keeps time on the server, a round trip away: leave a little more room than the memory plugin needs.
BrokerContractParams RedisBrokerParams() {
    BrokerContractParams params = BrokerParamsFromLibrary("redis", JOBBER_REDIS_PLUGIN_PATH, RedisConfig());
    params.skip_reason = SkipReason();
    params.short_lease = std::chrono::milliseconds(300);
    params.slack = std::chrono::milliseconds(200);
    return params;
}

StateContractParams RedisStateParams() {
    StateContractParams params = StateParamsFromLibrary("redis", JOBBER_REDIS_PLUGIN_PATH, RedisConfig());
    params.skip_reason = SkipReason();
    params.short_ttl = std::chrono::milliseconds(300);
    params.slack = std::chrono::milliseconds(200);
    return params;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Redis, BrokerContractTest, ::testing::Values(RedisBrokerParams()), ContractParamName());
INSTANTIATE_TEST_SUITE_P(Redis, StateContractTest, ::testing::Values(RedisStateParams()), ContractParamName());

namespace {

TEST(RedisPluginLibrary, ManifestDeclaresBrokerAndStateRolesWithTheSameKeys) {
    const PluginLibrary& library = LoadPluginLibrary(JOBBER_REDIS_PLUGIN_PATH);
    const jobber_manifest& manifest = *library.manifest;
    EXPECT_STREQ(manifest.name, "redis");
    EXPECT_EQ(manifest.abi_major, static_cast<uint32_t>(JOBBER_ABI_MAJOR));
    ASSERT_EQ(manifest.role_count, 2u);
    EXPECT_EQ(manifest.roles[0].role, JOBBER_ROLE_BROKER);
    EXPECT_EQ(manifest.roles[1].role, JOBBER_ROLE_STATE);
    for (uint32_t r = 0; r < 2; ++r) {
        std::vector<std::string> names;
        for (uint32_t f = 0; f < manifest.roles[r].field_count; ++f) names.push_back(manifest.roles[r].fields[f].name);
        EXPECT_EQ(names,
                  (std::vector<std::string>{"address", "password", "username", "db", "key_prefix", "connect_timeout",
                                            "command_timeout", "pool_size", "wait_replicas", "wait_timeout",
                                            "sentinels", "master_name", "sentinel_password", "sentinel_username"}))
            << "role " << manifest.roles[r].role;
    }
    EXPECT_NE(library.vtables.broker, nullptr);
    EXPECT_NE(library.vtables.state, nullptr);
    EXPECT_EQ(library.vtables.source, nullptr);
    EXPECT_EQ(library.vtables.results, nullptr);
}

TEST(RedisPluginLibrary, BadKeyPrefixFailsOpenWithInvalidArgument) {
    const jobber_state_vtable* state = LoadPluginLibrary(JOBBER_REDIS_PLUGIN_PATH).vtables.state;
    ASSERT_NE(state, nullptr);
    const jobber_kv config[] = {{"address", "127.0.0.1:1"}, {"key_prefix", "has space"}};
    const jobber_open_args args{sizeof(jobber_open_args), "bad", config, 2};
    jobber_state* instance = nullptr;
    jobber_error error{};
    EXPECT_EQ(state->open(&args, &instance, &error), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(instance, nullptr);
    ASSERT_NE(error.message, nullptr);
    EXPECT_NE(std::strstr(error.message, "key_prefix"), nullptr) << error.message;
    if (error.release != nullptr) error.release(&error);
}

// Redis down is not a config error: the instance opens (the process keeps serving), and every call fails fast with
// UNAVAILABLE, which the host turns into 503 and worker back-off.
TEST(RedisPluginLibrary, UnreachableRedisOpensAndFailsCallsWithUnavailable) {
    const jobber_broker_vtable* broker = LoadPluginLibrary(JOBBER_REDIS_PLUGIN_PATH).vtables.broker;
    ASSERT_NE(broker, nullptr);
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const jobber_kv config[] = {{"address", "127.0.0.1:1"}, {"connect_timeout", "500"}};
    const jobber_open_args args{sizeof(jobber_open_args), "down", config, 2};
    jobber_broker* instance = nullptr;
    jobber_error error{};
    ASSERT_EQ(broker->open(&args, &instance, &error), JOBBER_OK);
    ASSERT_NE(instance, nullptr);

    const auto start = std::chrono::steady_clock::now();
    jobber_error push_error{};
    EXPECT_EQ(broker->push(instance, "q", "x", 1, 0, &push_error), JOBBER_UNAVAILABLE);
    ASSERT_NE(push_error.message, nullptr);
    EXPECT_NE(std::strstr(push_error.message, "127.0.0.1:1"), nullptr) << push_error.message;
    if (push_error.release != nullptr) push_error.release(&push_error);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1)) << "fail fast";
    broker->close(instance);
}

}  // namespace
}  // namespace jobber::testing
