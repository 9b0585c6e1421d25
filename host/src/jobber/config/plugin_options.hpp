#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "jobber/abi/common.h"
#include "jobber/config/settings.hpp"

namespace jobber::config {

// Checks one plugin instance's options against the fields its plugin declares and returns them in the canonical text
// form the ABI promises plugins (jobber_kv), sorted by key:
//  - a key the plugin does not declare is an error that names the key and lists the valid ones;
//  - an empty value counts as unset (YAML `key:` arrives as ""): a required field that is unset is an error; an
//    unset optional field takes its declared default (already canonical, so passed through untouched) or is left
//    out when it has none;
//  - INT must be a whole number (re-printed, so "+0012" is refused and "0012" becomes "12");
//  - BOOL accepts true/false/yes/no/1/0 in any case and becomes "true"/"false";
//  - DURATION goes through ParseDuration and becomes milliseconds as text ("90s" -> "90000");
//  - STRING and SECRET pass unchanged. SECRET values never appear in error messages.
// `fields` is borrowed for the call and may be null when `field_count` is 0. `section` is the key path used in
// messages, e.g. "db.main". Throws ConfigError "origin: section.key: what to fix".
std::vector<std::pair<std::string, std::string>> CanonicalPluginOptions(const PluginInstanceSettings& instance,
                                                                        const jobber_config_field* fields,
                                                                        uint32_t field_count,
                                                                        const std::string& section);

}  // namespace jobber::config
