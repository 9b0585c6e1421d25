#include "jobber/sdk/config.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "sdk_test_support.hpp"

namespace jobber::sdk {
namespace {

using testing::ExpectError;

Config MakeConfig(const std::vector<jobber_kv>& entries) {
    return Config(entries.data(), static_cast<uint32_t>(entries.size()));
}

TEST(ConfigTest, ReadsStringsAndFallsBackWhenAbsent) {
    const Config config = MakeConfig({{"dsn", "file:test.db"}, {"empty", ""}});
    EXPECT_TRUE(config.Has("dsn"));
    EXPECT_TRUE(config.Has("empty"));
    EXPECT_FALSE(config.Has("missing"));
    EXPECT_EQ(config.Find("dsn"), "file:test.db");
    EXPECT_EQ(config.Find("missing"), std::nullopt);
    EXPECT_EQ(config.GetString("dsn", "x"), "file:test.db");
    EXPECT_EQ(config.GetString("empty", "x"), "");  // present but empty is not absent
    EXPECT_EQ(config.GetString("missing", "fallback"), "fallback");
    EXPECT_EQ(config.GetString("missing"), "");
}

TEST(ConfigTest, SkipsEntriesWithANullKeyOrValue) {
    const Config config = MakeConfig({{nullptr, "v"}, {"k", nullptr}, {"ok", "1"}});
    EXPECT_FALSE(config.Has("k"));
    EXPECT_TRUE(config.Has("ok"));
}

TEST(ConfigTest, AnEmptyTableIsAnEmptyConfig) {
    const Config from_null(nullptr, 0);
    EXPECT_FALSE(from_null.Has(""));
    EXPECT_EQ(Config().GetInt("n", 5), 5);
}

TEST(ConfigTest, RequireStringNamesTheMissingOrEmptyKey) {
    const Config config = MakeConfig({{"dsn", "x"}, {"empty", ""}});
    EXPECT_EQ(config.RequireString("dsn"), "x");
    ExpectError([&] { config.RequireString("missing"); }, JOBBER_INVALID_ARGUMENT, {"'missing'", "required"});
    ExpectError([&] { config.RequireString("empty"); }, JOBBER_INVALID_ARGUMENT, {"'empty'", "required"});
}

TEST(ConfigTest, ReadsIntegers) {
    const Config config = MakeConfig({{"pos", "42"},
                                      {"neg", "-7"},
                                      {"zero", "0"},
                                      {"max", "9223372036854775807"},
                                      {"min", "-9223372036854775808"},
                                      {"empty", ""}});
    EXPECT_EQ(config.GetInt("pos", 0), 42);
    EXPECT_EQ(config.GetInt("neg", 0), -7);
    EXPECT_EQ(config.GetInt("zero", 9), 0);
    EXPECT_EQ(config.GetInt("max", 0), std::numeric_limits<int64_t>::max());
    EXPECT_EQ(config.GetInt("min", 0), std::numeric_limits<int64_t>::min());
    EXPECT_EQ(config.GetInt("empty", 11), 11);
    EXPECT_EQ(config.GetInt("missing", 12), 12);
}

TEST(ConfigTest, BadIntegersThrowNamingKeyAndValue) {
    for (const char* bad : {"12abc", "abc", "1.5", "0x10", "1e3", "--1", "99999999999999999999",
                            "-99999999999999999999", "12 ", "true"}) {
        SCOPED_TRACE(bad);
        const Config config = MakeConfig({{"pool_size", bad}});
        ExpectError([&] { config.GetInt("pool_size", 1); }, JOBBER_INVALID_ARGUMENT,
                    {"'pool_size'", "must be an integer", "'" + std::string(bad) + "'"});
        ExpectError([&] { config.GetDurationMs("pool_size", 1); }, JOBBER_INVALID_ARGUMENT, {"'pool_size'"});
    }
}

TEST(ConfigTest, DurationsAreMilliseconds) {
    const Config config = MakeConfig({{"timeout", "90000"}});
    EXPECT_EQ(config.GetDurationMs("timeout", 1), 90000);
    EXPECT_EQ(config.GetDurationMs("missing", 2500), 2500);
}

TEST(ConfigTest, ReadsBooleansInTheHostsCanonicalForm) {
    const Config config = MakeConfig({{"yes", "true"}, {"no", "false"}, {"empty", ""}});
    EXPECT_TRUE(config.GetBool("yes", false));
    EXPECT_FALSE(config.GetBool("no", true));
    EXPECT_TRUE(config.GetBool("empty", true));
    EXPECT_FALSE(config.GetBool("missing", false));
    EXPECT_TRUE(config.GetBool("missing", true));
}

TEST(ConfigTest, NonCanonicalBooleansThrowNamingKeyAndValue) {
    for (const char* bad : {"TRUE", "True", "1", "0", "yes", "no", "on", " true", "false "}) {
        SCOPED_TRACE(bad);
        const Config config = MakeConfig({{"verbose", bad}});
        ExpectError([&] { config.GetBool("verbose", false); }, JOBBER_INVALID_ARGUMENT,
                    {"'verbose'", "true or false", "'" + std::string(bad) + "'"});
    }
}

}  // namespace
}  // namespace jobber::sdk
