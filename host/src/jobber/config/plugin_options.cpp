#include "jobber/config/plugin_options.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <stdexcept>

#include "jobber/config/config_error.hpp"
#include "jobber/config/duration.hpp"

namespace jobber::config {
namespace {

std::string Where(const PluginInstanceSettings& instance, const std::string& section) {
    std::string where = instance.origin.empty() ? std::string() : instance.origin + ": ";
    return where + section;
}

std::string Lower(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
    return lower;
}

// At most 80 bytes of a value, so a pasted blob does not become the whole message.
std::string Quote(const std::string& value) {
    constexpr size_t kShown = 80;
    return "'" + value.substr(0, kShown) + (value.size() > kShown ? "...'" : "'");
}

std::string PluginLabel(const PluginInstanceSettings& instance) {
    return instance.type.empty() ? std::string("the plugin") : "plugin '" + instance.type + "'";
}

std::string ValidKeys(const std::map<std::string, const jobber_config_field*>& declared) {
    if (declared.empty()) return "it takes no keys";
    std::string list = "valid keys: ";
    bool first = true;
    for (const auto& [name, field] : declared) {
        if (!first) list += ", ";
        list += name;
        first = false;
    }
    return list;
}

std::string CanonicalValue(const jobber_config_field& field,
                           const std::string& value,
                           const std::string& where_key,
                           const std::string& plugin_label) {
    switch (field.type) {
        case JOBBER_FIELD_STRING:
        case JOBBER_FIELD_SECRET:
            return value;
        case JOBBER_FIELD_INT: {
            long long number = 0;
            const char* end = value.data() + value.size();
            const auto [ptr, ec] = std::from_chars(value.data(), end, number);
            if (value.empty() || ec != std::errc() || ptr != end) {
                throw ConfigError(where_key + ": " + Quote(value) + " is not a whole number");
            }
            return std::to_string(number);
        }
        case JOBBER_FIELD_BOOL: {
            const std::string lower = Lower(value);
            if (lower == "true" || lower == "yes" || lower == "1") return "true";
            if (lower == "false" || lower == "no" || lower == "0") return "false";
            throw ConfigError(where_key + ": " + Quote(value) + " is not a boolean; write true or false");
        }
        case JOBBER_FIELD_DURATION:
            try {
                return std::to_string(ParseDuration(value).count());
            } catch (const std::invalid_argument& error) {
                throw ConfigError(where_key + ": " + error.what());
            }
        default:
            // A plugin built against a newer ABI minor is refused before we get here, so this is a plugin bug.
            throw ConfigError(where_key + ": " + plugin_label + " declares this field with unknown type " +
                              std::to_string(field.type) + "; the plugin is broken, report it to its authors");
    }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> CanonicalPluginOptions(const PluginInstanceSettings& instance,
                                                                        const jobber_config_field* fields,
                                                                        uint32_t field_count,
                                                                        const std::string& section) {
    const std::string where = Where(instance, section);
    const std::string plugin_label = PluginLabel(instance);
    if (fields == nullptr) field_count = 0;

    // Ordered so the "valid keys" list in messages is stable. A repeated declaration keeps the first, like a lookup
    // in the plugin's own table would.
    std::map<std::string, const jobber_config_field*> declared;
    for (uint32_t i = 0; i < field_count; ++i) {
        if (fields[i].name == nullptr || fields[i].name[0] == '\0') {
            throw ConfigError(where + ": " + plugin_label + " declares config field #" + std::to_string(i) +
                              " without a name; the plugin is broken, report it to its authors");
        }
        declared.emplace(fields[i].name, &fields[i]);
    }

    for (const auto& [key, value] : instance.options) {
        if (declared.count(key) == 0) {
            throw ConfigError(where + ": unknown key '" + key + "' for " + plugin_label + "; " + ValidKeys(declared));
        }
    }

    std::vector<std::pair<std::string, std::string>> canonical;
    for (const auto& [name, field] : declared) {
        const std::string where_key = where + "." + name;
        const auto option = instance.options.find(name);
        // An empty value (including YAML's `key:` with nothing after it) counts as unset, so `password:` in a
        // template does not silently satisfy a required key or override a default.
        const bool present = option != instance.options.end() && !option->second.empty();
        if (!present) {
            if (field->required != 0) {
                const std::string doc =
                    field->doc != nullptr && field->doc[0] != '\0' ? std::string(" (") + field->doc + ")" : "";
                throw ConfigError(where_key + ": missing required key '" + name + "'" + doc + " for " + plugin_label);
            }
            if (field->default_value != nullptr) canonical.emplace_back(name, field->default_value);
            continue;
        }
        canonical.emplace_back(name, CanonicalValue(*field, option->second, where_key, plugin_label));
    }
    return canonical;
}

}  // namespace jobber::config
