// The broker and state conformance suites, run against the built libjobber_memory.so through the
// C ABI, plus a check of what its manifest declares.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>

#include "jobber/testing/broker_contract.hpp"
#include "jobber/testing/plugin_library.hpp"
#include "jobber/testing/state_contract.hpp"

namespace jobber::testing {

namespace {

// The memory plugin keeps time exactly, so the timing tests can run on shorter leases and TTLs
// than the suites' defaults, which leave room for network brokers.
BrokerContractParams MemoryBrokerParams() {
    BrokerContractParams params = BrokerParamsFromLibrary("memory", JOBBER_MEMORY_PLUGIN_PATH);
    params.short_lease = std::chrono::milliseconds(200);
    params.slack = std::chrono::milliseconds(100);
    return params;
}

StateContractParams MemoryStateParams() {
    StateContractParams params = StateParamsFromLibrary("memory", JOBBER_MEMORY_PLUGIN_PATH);
    params.short_ttl = std::chrono::milliseconds(200);
    params.slack = std::chrono::milliseconds(100);
    return params;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Memory, BrokerContractTest, ::testing::Values(MemoryBrokerParams()), ContractParamName());
INSTANTIATE_TEST_SUITE_P(Memory, StateContractTest, ::testing::Values(MemoryStateParams()), ContractParamName());

namespace {

TEST(MemoryPluginLibrary, ManifestDeclaresBrokerAndStateRoles) {
    const PluginLibrary& library = LoadPluginLibrary(JOBBER_MEMORY_PLUGIN_PATH);
    const jobber_manifest& manifest = *library.manifest;
    EXPECT_STREQ(manifest.name, "memory");
    EXPECT_EQ(manifest.abi_major, static_cast<uint32_t>(JOBBER_ABI_MAJOR));
    ASSERT_EQ(manifest.role_count, 2u);
    EXPECT_EQ(manifest.roles[0].role, JOBBER_ROLE_BROKER);
    ASSERT_EQ(manifest.roles[0].field_count, 1u);
    EXPECT_STREQ(manifest.roles[0].fields[0].name, "max_queue_length");
    EXPECT_EQ(manifest.roles[0].fields[0].type, JOBBER_FIELD_INT);
    EXPECT_STREQ(manifest.roles[0].fields[0].default_value, "0");
    EXPECT_EQ(manifest.roles[1].role, JOBBER_ROLE_STATE);
    EXPECT_EQ(manifest.roles[1].field_count, 0u);

    EXPECT_NE(library.vtables.broker, nullptr);
    EXPECT_NE(library.vtables.state, nullptr);
    EXPECT_EQ(library.vtables.source, nullptr);
    EXPECT_EQ(library.vtables.results, nullptr);
}

TEST(MemoryPluginLibrary, BadConfigFailsOpenWithInvalidArgument) {
    const jobber_broker_vtable* broker = LoadPluginLibrary(JOBBER_MEMORY_PLUGIN_PATH).vtables.broker;
    ASSERT_NE(broker, nullptr);
    const jobber_kv config[] = {{"max_queue_length", "lots"}};
    const jobber_open_args args{sizeof(jobber_open_args), "bad", config, 1};
    jobber_broker* instance = nullptr;
    jobber_error error{};
    EXPECT_EQ(broker->open(&args, &instance, &error), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(instance, nullptr);
    ASSERT_NE(error.message, nullptr);
    EXPECT_NE(std::strstr(error.message, "max_queue_length"), nullptr) << error.message;
    if (error.release != nullptr) error.release(&error);
}

}  // namespace
}  // namespace jobber::testing
