#include "jobber/config/env_overrides.hpp"

#include <algorithm>
#include <cctype>

#include "jobber/config/config_error.hpp"

extern char** environ;

namespace jobber::config {

namespace {

constexpr const char* kPrefix = "SQL_JOBBER_";

std::string Lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::vector<std::string> SplitPath(const std::string& name) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        const size_t end = name.find("__", start);
        parts.push_back(name.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 2;
    }
    return parts;
}

// The child of `map` whose key equals `segment` ignoring case; a new lower-case key otherwise.
YAML::Node Child(YAML::Node map, const std::string& segment) {
    if (map.IsMap()) {
        for (auto it = map.begin(); it != map.end(); ++it) {
            const std::string key = it->first.as<std::string>("");
            if (Lower(key) == Lower(segment)) return map[key];
        }
    }
    return map[Lower(segment)];
}

}  // namespace

Environment JobberEnvironment() {
    Environment out;
    for (char** env = environ; env != nullptr && *env != nullptr; ++env) {
        const std::string entry(*env);
        if (entry.rfind(kPrefix, 0) != 0) continue;
        const size_t eq = entry.find('=');
        if (eq == std::string::npos) continue;
        out.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
    }
    std::sort(out.begin(), out.end());
    return out;
}

void ApplyEnvironmentOverrides(YAML::Node& root, const Environment& environment) {
    for (const auto& [name, value] : environment) {
        if (name.rfind(kPrefix, 0) != 0) continue;
        const auto parts = SplitPath(name.substr(std::string(kPrefix).size()));
        for (const auto& part : parts) {
            if (part.empty()) {
                throw ConfigError("environment variable " + name +
                                  ": expected SQL_JOBBER_<SECTION>__<KEY>, e.g. SQL_JOBBER_SERVER__ADDRESS");
            }
        }
        if (parts.size() < 2) {
            throw ConfigError("environment variable " + name +
                              ": names a whole section; set a key, e.g. SQL_JOBBER_SERVER__ADDRESS");
        }
        if (!root.IsMap() && !root.IsNull()) continue;  // the loader reports the malformed document
        YAML::Node node;
        node.reset(root);  // reset rebinds; operator= would overwrite what the node refers to
        for (size_t i = 0; i + 1 < parts.size(); ++i) {
            YAML::Node next = Child(node, parts[i]);
            if (next.IsDefined() && !next.IsNull() && !next.IsMap()) {
                throw ConfigError("environment variable " + name + ": '" + Lower(parts[i]) + "' is not a section");
            }
            node.reset(next);
        }
        Child(node, parts.back()) = value;
    }
}

}  // namespace jobber::config
