#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>
#include <vector>

namespace jobber::config {

using Environment = std::vector<std::pair<std::string, std::string>>;

// The process environment's SQL_JOBBER_* variables.
Environment JobberEnvironment();

// Applies SQL_JOBBER_<SECTION>__<KEY>[__<KEY>...]=value overrides to the parsed config before it is
// validated, so an override is checked exactly like a value from the file. Path segments match
// existing keys case-insensitively (SQL_JOBBER_DB__MAIN__DSN sets db.main.dsn), new ones are
// lower-cased. Examples: SQL_JOBBER_SERVER__ADDRESS=0.0.0.0:6060, SQL_JOBBER_SERVER__AUTH_TOKEN=...,
// SQL_JOBBER_APP__LOG_LEVEL=debug. Throws ConfigError for a malformed variable name.
void ApplyEnvironmentOverrides(YAML::Node& root, const Environment& environment);

}  // namespace jobber::config
