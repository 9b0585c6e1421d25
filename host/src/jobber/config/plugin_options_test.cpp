#include "jobber/config/plugin_options.hpp"

#include <gtest/gtest.h>

#include <string>

#include "jobber/config/config_error.hpp"

namespace jobber::config {
namespace {

#define EXPECT_HAS(text, part) EXPECT_PRED_FORMAT2(::testing::IsSubstring, part, text)

using Pairs = std::vector<std::pair<std::string, std::string>>;

// Modelled on what a SQL source plugin declares.
const jobber_config_field kFields[] = {
    {"dsn", JOBBER_FIELD_STRING, 1, nullptr, "connection string"},
    {"max_connections", JOBBER_FIELD_INT, 0, "4", "pool size"},
    {"read_only", JOBBER_FIELD_BOOL, 0, "true", "open read-only"},
    {"query_timeout", JOBBER_FIELD_DURATION, 0, "30000", "per-query limit"},
    {"password", JOBBER_FIELD_SECRET, 0, nullptr, "password"},
    {"application_name", JOBBER_FIELD_STRING, 0, nullptr, "shown in pg_stat_activity"},
};
constexpr uint32_t kFieldCount = sizeof(kFields) / sizeof(kFields[0]);

PluginInstanceSettings Instance(std::map<std::string, std::string> options) {
    PluginInstanceSettings instance;
    instance.name = "main";
    instance.type = "postgres";
    instance.options = std::move(options);
    instance.origin = "jobber.yaml:12";
    return instance;
}

std::string OptionsError(const std::map<std::string, std::string>& options,
                         const jobber_config_field* fields = kFields,
                         uint32_t count = kFieldCount) {
    try {
        CanonicalPluginOptions(Instance(options), fields, count, "db.main");
    } catch (const ConfigError& error) {
        return error.what();
    }
    ADD_FAILURE() << "options accepted";
    return {};
}

TEST(CanonicalPluginOptionsTest, FillsDefaultsAndSortsByKey) {
    const Pairs canonical =
        CanonicalPluginOptions(Instance({{"dsn", "postgres://x"}}), kFields, kFieldCount, "db.main");
    EXPECT_EQ(
        canonical,
        (Pairs{{"dsn", "postgres://x"}, {"max_connections", "4"}, {"query_timeout", "30000"}, {"read_only", "true"}}));
}

TEST(CanonicalPluginOptionsTest, CanonicalisesEveryType) {
    const Pairs canonical = CanonicalPluginOptions(Instance({{"dsn", " spaced dsn "},
                                                             {"max_connections", "0012"},
                                                             {"read_only", "No"},
                                                             {"query_timeout", "1m30s"},
                                                             {"password", "p@ss: w0rd"},
                                                             {"application_name", "jobber"}}),
                                                   kFields, kFieldCount, "db.main");
    EXPECT_EQ(canonical, (Pairs{{"application_name", "jobber"},
                                {"dsn", " spaced dsn "},
                                {"max_connections", "12"},
                                {"password", "p@ss: w0rd"},
                                {"query_timeout", "90000"},
                                {"read_only", "false"}}));
}

TEST(CanonicalPluginOptionsTest, BooleanSpellings) {
    for (const char* yes : {"true", "TRUE", "True", "yes", "YES", "1"}) {
        const Pairs canonical =
            CanonicalPluginOptions(Instance({{"dsn", "x"}, {"read_only", yes}}), kFields, kFieldCount, "db.main");
        EXPECT_EQ(canonical.back(), (std::pair<std::string, std::string>{"read_only", "true"})) << yes;
    }
    for (const char* no : {"false", "False", "no", "NO", "0"}) {
        const Pairs canonical =
            CanonicalPluginOptions(Instance({{"dsn", "x"}, {"read_only", no}}), kFields, kFieldCount, "db.main");
        EXPECT_EQ(canonical.back(), (std::pair<std::string, std::string>{"read_only", "false"})) << no;
    }
    for (const char* bad : {"on", "off", "y", "2", "truee", " true"}) {
        const std::string message = OptionsError({{"dsn", "x"}, {"read_only", bad}});
        EXPECT_HAS(message, "jobber.yaml:12: db.main.read_only: ") << bad;
        EXPECT_HAS(message, "is not a boolean") << bad;
    }
}

TEST(CanonicalPluginOptionsTest, DurationsBecomeMilliseconds) {
    const auto timeout = [](const char* text) {
        for (const auto& [key, value] :
             CanonicalPluginOptions(Instance({{"dsn", "x"}, {"query_timeout", text}}), kFields, kFieldCount, "db")) {
            if (key == "query_timeout") return value;
        }
        return std::string("missing");
    };
    EXPECT_EQ(timeout("90"), "90000");
    EXPECT_EQ(timeout("250ms"), "250");
    EXPECT_EQ(timeout("1h"), "3600000");
    const std::string message = OptionsError({{"dsn", "x"}, {"query_timeout", "soon"}});
    EXPECT_HAS(message, "jobber.yaml:12: db.main.query_timeout: invalid duration \"soon\"");
}

TEST(CanonicalPluginOptionsTest, IntegersMustParse) {
    for (const char* bad : {"four", "4.0", "+4", "4 ", "0x10", "99999999999999999999", "1e3"}) {
        const std::string message = OptionsError({{"dsn", "x"}, {"max_connections", bad}});
        EXPECT_HAS(message, "jobber.yaml:12: db.main.max_connections: ") << bad;
        EXPECT_HAS(message, "is not a whole number") << bad;
    }
    const Pairs canonical =
        CanonicalPluginOptions(Instance({{"dsn", "x"}, {"max_connections", "-3"}}), kFields, kFieldCount, "db");
    EXPECT_EQ(canonical[1].second, "-3");
}

TEST(CanonicalPluginOptionsTest, UnknownKeyListsValidKeys) {
    const std::string message = OptionsError({{"dsn", "x"}, {"max_conections", "4"}});
    EXPECT_HAS(message, "jobber.yaml:12: db.main: unknown key 'max_conections' for plugin 'postgres'");
    EXPECT_HAS(message, "valid keys: application_name, dsn, max_connections, password, query_timeout, read_only");
}

TEST(CanonicalPluginOptionsTest, UnknownKeyWithNoDeclaredFields) {
    EXPECT_HAS(OptionsError({{"dsn", "x"}}, nullptr, 0), "unknown key 'dsn' for plugin 'postgres'; it takes no keys");
    // A null table with a stale count is treated as empty rather than read.
    EXPECT_HAS(OptionsError({{"dsn", "x"}}, nullptr, 5), "it takes no keys");
    EXPECT_TRUE(CanonicalPluginOptions(Instance({}), nullptr, 0, "job_queue.broker").empty());
}

TEST(CanonicalPluginOptionsTest, MissingRequiredKey) {
    const std::string message = OptionsError({{"max_connections", "4"}});
    EXPECT_HAS(message, "jobber.yaml:12: db.main.dsn: missing required key 'dsn' (connection string)");
    EXPECT_HAS(message, "plugin 'postgres'");
    // `dsn:` with nothing after it arrives as "" and must not satisfy the requirement.
    EXPECT_HAS(OptionsError({{"dsn", ""}}), "missing required key 'dsn'");
}

TEST(CanonicalPluginOptionsTest, EmptyOptionalValueMeansUnset) {
    const Pairs canonical = CanonicalPluginOptions(Instance({{"dsn", "x"}, {"max_connections", ""}, {"password", ""}}),
                                                   kFields, kFieldCount, "db.main");
    EXPECT_EQ(canonical,
              (Pairs{{"dsn", "x"}, {"max_connections", "4"}, {"query_timeout", "30000"}, {"read_only", "true"}}));
}

TEST(CanonicalPluginOptionsTest, SecretsNeverAppearInMessages) {
    const jobber_config_field fields[] = {{"password", JOBBER_FIELD_SECRET, 1, nullptr, "password"}};
    const std::string message = OptionsError({{"password", "hunter2"}, {"pasword", "hunter3"}}, fields, 1);
    EXPECT_HAS(message, "unknown key 'pasword'");
    EXPECT_EQ(message.find("hunter"), std::string::npos) << message;
}

TEST(CanonicalPluginOptionsTest, DefaultsArePassedThroughUntouched) {
    // The ABI says defaults are already canonical: a DURATION default "30000" is 30 s, not 30000 s.
    const jobber_config_field fields[] = {{"wait", JOBBER_FIELD_DURATION, 0, "30000", ""}};
    EXPECT_EQ(CanonicalPluginOptions(Instance({}), fields, 1, "x"), (Pairs{{"wait", "30000"}}));
}

TEST(CanonicalPluginOptionsTest, BrokenDeclarationsAreBlamedOnThePlugin) {
    const jobber_config_field unnamed[] = {{nullptr, JOBBER_FIELD_STRING, 0, nullptr, nullptr}};
    EXPECT_HAS(OptionsError({}, unnamed, 1), "declares config field #0 without a name");
    const jobber_config_field bad_type[] = {{"x", 99, 0, nullptr, nullptr}};
    EXPECT_HAS(OptionsError({{"x", "1"}}, bad_type, 1), "unknown type 99; the plugin is broken");
    // A repeated declaration keeps the first.
    const jobber_config_field twice[] = {{"n", JOBBER_FIELD_INT, 0, "1", nullptr},
                                         {"n", JOBBER_FIELD_STRING, 0, "two", nullptr}};
    EXPECT_EQ(CanonicalPluginOptions(Instance({}), twice, 2, "x"), (Pairs{{"n", "1"}}));
}

TEST(CanonicalPluginOptionsTest, MessagesWithoutOriginStillNameTheSection) {
    PluginInstanceSettings instance = Instance({{"bogus", "1"}});
    instance.origin.clear();
    instance.type.clear();
    try {
        CanonicalPluginOptions(instance, kFields, kFieldCount, "job_queue.broker");
        FAIL();
    } catch (const ConfigError& error) {
        EXPECT_EQ(std::string(error.what()).rfind("job_queue.broker: unknown key 'bogus' for the plugin", 0), 0u)
            << error.what();
    }
}

TEST(CanonicalPluginOptionsTest, HugeValuesAreTruncatedInMessages) {
    const std::string message = OptionsError({{"dsn", "x"}, {"max_connections", std::string(100000, '9') + "x"}});
    EXPECT_LT(message.size(), 300u);
}

}  // namespace
}  // namespace jobber::config
