#pragma once

#include <string>

#include "jobber/config/config_error.hpp"
#include "jobber/config/plugin_options.hpp"
#include "jobber/config/settings.hpp"

namespace jobber::config {

// Reads and checks the config file at start-up. Throws ConfigError: "config file 'x' not found" when it is missing,
// otherwise "file:line: key.path: what to fix" for YAML syntax errors, unknown keys, wrong types and bad values.
// Plugin options are only checked for shape here (single values or lists of them); their names and types are checked
// by CanonicalPluginOptions once the plugin that declares them is loaded.
Settings LoadSettingsFile(const std::string& path);

// The same, for YAML text already in memory; `origin_name` stands for the file name in messages and origins.
Settings ParseSettings(const std::string& yaml_text, const std::string& origin_name);

}  // namespace jobber::config
