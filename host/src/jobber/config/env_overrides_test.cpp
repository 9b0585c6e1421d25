#include "jobber/config/env_overrides.hpp"

#include <gtest/gtest.h>

#include "jobber/config/config_error.hpp"

namespace jobber::config {
namespace {

TEST(EnvOverridesTest, SetsNestedKeysMatchingExistingOnesIgnoringCase) {
    YAML::Node root = YAML::Load("server: { address: '127.0.0.1:6060' }\ndb: { Main: { type: sqlite, dsn: a.db } }\n");
    ApplyEnvironmentOverrides(root, {{"SQL_JOBBER_SERVER__ADDRESS", "0.0.0.0:7070"},
                                     {"SQL_JOBBER_DB__MAIN__DSN", "/srv/b.db"},
                                     {"SQL_JOBBER_APP__LOG_LEVEL", "debug"}});
    EXPECT_EQ(root["server"]["address"].as<std::string>(), "0.0.0.0:7070");
    EXPECT_EQ(root["db"]["Main"]["dsn"].as<std::string>(), "/srv/b.db");
    EXPECT_FALSE(root["db"]["main"].IsDefined() && root["db"]["main"].IsMap());
    EXPECT_EQ(root["app"]["log_level"].as<std::string>(), "debug");
}

TEST(EnvOverridesTest, RejectsMalformedNames) {
    YAML::Node root = YAML::Load("server: { address: 'x' }\n");
    EXPECT_THROW(ApplyEnvironmentOverrides(root, {{"SQL_JOBBER_SERVER", "x"}}), ConfigError);
    EXPECT_THROW(ApplyEnvironmentOverrides(root, {{"SQL_JOBBER_SERVER____ADDRESS", "x"}}), ConfigError);
    EXPECT_THROW(ApplyEnvironmentOverrides(root, {{"SQL_JOBBER_SERVER__ADDRESS__X", "x"}}), ConfigError);
}

TEST(EnvOverridesTest, IgnoresOtherVariables) {
    YAML::Node root = YAML::Load("server: { address: 'x' }\n");
    ApplyEnvironmentOverrides(root, {{"PATH", "/bin"}, {"SQL_JOBBERX", "y"}});
    EXPECT_EQ(root["server"]["address"].as<std::string>(), "x");
}

}  // namespace
}  // namespace jobber::config
