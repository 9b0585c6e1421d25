// The SDK's broker conformance suite, run against the built libjobber_amqp.so through the C ABI and a real
// RabbitMQ named by JOBBER_TEST_AMQP_URL (tests/services/rabbitmq.sh starts one), once with quorum job queues (the
// default) and once with classic ones. Without the variable every case skips.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include "jobber/testing/broker_contract.hpp"
#include "jobber/testing/plugin_library.hpp"

namespace jobber::testing {

namespace {

constexpr const char* kUrlVariable = "JOBBER_TEST_AMQP_URL";

std::string TestUrl() {
    const char* url = std::getenv(kUrlVariable);
    return url != nullptr ? url : "";
}

BrokerContractParams AmqpParams(const std::string& name, const std::string& queue_type) {
    BrokerContractParams params = BrokerParamsFromLibrary(name, JOBBER_AMQP_PLUGIN_PATH,
                                                          {{"url", TestUrl()},
                                                           {"queue_type", queue_type},
                                                           {"prefetch", "16"},
                                                           {"connect_timeout", "2000"},
                                                           {"command_timeout", "5000"}});
    if (TestUrl().empty()) {
        params.skip_reason =
            std::string(kUrlVariable) + " is not set; start a RabbitMQ node with tests/services/rabbitmq.sh";
    }
    // Leases are enforced by a thread of the plugin and delays by RabbitMQ's TTL timers (a few ms per hop):
    // the memory broker's timings hold.
    params.short_lease = std::chrono::milliseconds(300);
    params.slack = std::chrono::milliseconds(200);
    return params;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Amqp,
                         BrokerContractTest,
                         ::testing::Values(AmqpParams("amqp_quorum", "quorum"), AmqpParams("amqp_classic", "classic")),
                         ContractParamName());

namespace {

TEST(AmqpPluginLibrary, ManifestDeclaresTheBrokerRoleAndItsKeys) {
    const PluginLibrary& library = LoadPluginLibrary(JOBBER_AMQP_PLUGIN_PATH);
    const jobber_manifest& manifest = *library.manifest;
    EXPECT_STREQ(manifest.name, "amqp");
    EXPECT_EQ(manifest.abi_major, static_cast<uint32_t>(JOBBER_ABI_MAJOR));
    ASSERT_EQ(manifest.role_count, 1u);
    EXPECT_EQ(manifest.roles[0].role, JOBBER_ROLE_BROKER);
    std::vector<std::string> names;
    for (uint32_t f = 0; f < manifest.roles[0].field_count; ++f) {
        names.push_back(manifest.roles[0].fields[f].name);
        if (names.back() == "url") {
            EXPECT_EQ(manifest.roles[0].fields[f].type, JOBBER_FIELD_SECRET) << "the URL holds the password";
        }
    }
    EXPECT_EQ(names,
              (std::vector<std::string>{"url", "prefetch", "heartbeat", "connect_timeout", "command_timeout",
                                        "queue_type", "publisher_connections", "topology_prefix", "tls_ca_file",
                                        "tls_cert_file", "tls_key_file", "tls_verify_peer", "tls_verify_hostname"}));
    for (uint32_t f = 0; f < manifest.roles[0].field_count; ++f) {
        if (names[f].rfind("tls_", 0) == 0) {
            // No declared default: the host then passes only what the YAML sets, and an amqp:// URL with a tls_*
            // key can be refused.
            EXPECT_EQ(manifest.roles[0].fields[f].default_value, nullptr) << names[f];
        }
    }
    EXPECT_NE(library.vtables.broker, nullptr);
    EXPECT_EQ(library.vtables.state, nullptr);
}

// RabbitMQ down is not a config error: the instance opens (the process keeps serving), and every call fails fast
// with UNAVAILABLE (the host answers POST with 503 and its workers back off), naming the address but not the
// password.
TEST(AmqpPluginLibrary, UnreachableRabbitMqOpensAndFailsCallsFastWithUnavailable) {
    const jobber_broker_vtable* broker = LoadPluginLibrary(JOBBER_AMQP_PLUGIN_PATH).vtables.broker;
    ASSERT_NE(broker, nullptr);
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const jobber_kv config[] = {{"url", "amqp://jobber:topsecret@127.0.0.1:1/"}, {"connect_timeout", "500"}};
    const jobber_open_args args{sizeof(jobber_open_args), "down", config, 2};
    jobber_broker* instance = nullptr;
    jobber_error error{};
    ASSERT_EQ(broker->open(&args, &instance, &error), JOBBER_OK);
    ASSERT_NE(instance, nullptr);

    for (int i = 0; i < 3; ++i) {
        const auto start = std::chrono::steady_clock::now();
        jobber_error push_error{};
        EXPECT_EQ(broker->push(instance, "q", "x", 1, 0, &push_error), JOBBER_UNAVAILABLE);
        ASSERT_NE(push_error.message, nullptr);
        EXPECT_NE(std::strstr(push_error.message, "127.0.0.1:1"), nullptr) << push_error.message;
        EXPECT_EQ(std::strstr(push_error.message, "topsecret"), nullptr) << push_error.message;
        if (push_error.release != nullptr) push_error.release(&push_error);
        EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1)) << "fail fast";
    }
    jobber_error ping_error{};
    EXPECT_EQ(broker->ping(instance, &ping_error), JOBBER_UNAVAILABLE);
    if (ping_error.release != nullptr) ping_error.release(&ping_error);

    // A pop waits for the consumer's first connection attempt, then reports it.
    const char* queues[] = {"q"};
    jobber_delivery out{};
    out.struct_size = sizeof(out);
    jobber_error pop_error{};
    const auto start = std::chrono::steady_clock::now();
    const jobber_code popped = broker->pop(instance, queues, 1, 2000, 1000, &out, &pop_error);
    EXPECT_TRUE(popped == JOBBER_UNAVAILABLE || popped == JOBBER_DEADLINE_EXCEEDED) << popped;
    if (pop_error.release != nullptr) pop_error.release(&pop_error);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
    broker->close(instance);
}

TEST(AmqpPluginLibrary, WrongPasswordFailsOpenWithInvalidArgument) {
    if (TestUrl().empty()) GTEST_SKIP() << kUrlVariable << " is not set";
    const jobber_broker_vtable* broker = LoadPluginLibrary(JOBBER_AMQP_PLUGIN_PATH).vtables.broker;
    std::string url = TestUrl();
    const size_t at = url.find('@');
    ASSERT_NE(at, std::string::npos) << "the test URL carries credentials";
    url = "amqp://guest:wrong-topsecret" + url.substr(at);
    const jobber_kv config[] = {{"url", url.c_str()}};
    const jobber_open_args args{sizeof(jobber_open_args), "badpass", config, 1};
    jobber_broker* instance = nullptr;
    jobber_error error{};
    const jobber_code code = broker->open(&args, &instance, &error);
    ASSERT_NE(error.message, nullptr);
    EXPECT_EQ(code, JOBBER_INVALID_ARGUMENT) << error.message;
    EXPECT_NE(std::strstr(error.message, "'url'"), nullptr) << error.message;
    EXPECT_EQ(std::strstr(error.message, "topsecret"), nullptr) << error.message;
    if (error.release != nullptr) error.release(&error);
    EXPECT_EQ(instance, nullptr);
}

}  // namespace
}  // namespace jobber::testing
