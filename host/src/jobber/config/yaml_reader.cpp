#include "jobber/config/yaml_reader.hpp"

#include <charconv>
#include <set>
#include <stdexcept>

#include "jobber/config/config_error.hpp"
#include "jobber/config/duration.hpp"

namespace jobber::config {
namespace {

std::string Join(const std::vector<std::string>& items) {
    std::string joined;
    for (const std::string& item : items) {
        if (!joined.empty()) joined += ", ";
        joined += item;
    }
    return joined;
}

// At most 80 bytes of a value for messages; config values can be pasted blobs.
std::string Quote(const std::string& text) {
    constexpr size_t kShown = 80;
    return "'" + text.substr(0, kShown) + (text.size() > kShown ? "...'" : "'");
}

const char* KindName(const YAML::Node& node) {
    if (node.IsSequence()) return "a list";
    if (node.IsMap()) return "a mapping";
    if (node.IsNull()) return "empty";
    return "a single value";
}

}  // namespace

std::string YamlReader::Where(const YAML::Node& node, const YAML::Node& fallback) const {
    YAML::Mark mark = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
    if (mark.is_null() && fallback.IsDefined()) mark = fallback.Mark();
    if (mark.is_null()) return origin_name_;
    return origin_name_ + ":" + std::to_string(mark.line + 1);
}

void YamlReader::Fail(const YAML::Node& node, const std::string& path, const std::string& message) const {
    throw ConfigError(Where(node) + ": " + (path.empty() ? std::string() : path + ": ") + message);
}

std::vector<YamlReader::Entry> YamlReader::MappingEntries(const YAML::Node& map,
                                                          const YAML::Node& fallback,
                                                          const std::string& path) const {
    std::vector<Entry> entries;
    if (map.IsNull()) return entries;
    if (!map.IsMap()) {
        throw ConfigError(Where(map, fallback) + ": " + (path.empty() ? "the config" : path) +
                          " must be a mapping of " + "keys, not " + KindName(map));
    }
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
        const YAML::Node key_node = it->first;
        const std::string parent = path.empty() ? std::string() : path + ".";
        if (!key_node.IsScalar() || key_node.Scalar().empty()) {
            throw ConfigError(Where(key_node, map) + ": " + (path.empty() ? "top level" : path) +
                              ": keys must be plain names, not " + KindName(key_node));
        }
        const std::string key = key_node.Scalar();
        if (!seen.insert(key).second) {
            // yaml-cpp keeps both copies and lookups see only the first; refuse rather than guess which was meant.
            throw ConfigError(Where(key_node, map) + ": " + parent + key + ": duplicate key; remove one of them");
        }
        entries.push_back(Entry{key, key_node, it->second});
    }
    return entries;
}

std::vector<YamlReader::Entry> YamlReader::Entries(const Entry& parent, const std::string& path) const {
    return MappingEntries(parent.value, parent.key_node, path);
}

std::vector<YamlReader::Entry> YamlReader::RootEntries(const YAML::Node& root) const {
    return MappingEntries(root, YAML::Node(), "");
}

std::string YamlReader::Text(const Entry& entry, const std::string& path) const {
    if (entry.value.IsNull()) return "";
    if (!entry.value.IsScalar()) {
        Fail(entry.key_node, path, std::string("expected a single value, not ") + KindName(entry.value));
    }
    return entry.value.Scalar();
}

std::string YamlReader::OneOf(const Entry& entry,
                              const std::string& path,
                              const std::vector<std::string>& allowed) const {
    const std::string text = Text(entry, path);
    for (const std::string& candidate : allowed) {
        if (text == candidate) return text;
    }
    Fail(entry.key_node, path, Quote(text) + " is not one of " + Join(allowed));
}

std::chrono::milliseconds YamlReader::Duration(const Entry& entry, const std::string& path) const {
    const std::string text = Text(entry, path);
    try {
        return ParseDuration(text);
    } catch (const std::invalid_argument& error) {
        Fail(entry.key_node, path, error.what());
    }
}

uint64_t YamlReader::PositiveInteger(const Entry& entry, const std::string& path) const {
    const std::string text = Text(entry, path);
    uint64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || value == 0) {
        Fail(entry.key_node, path, Quote(text) + " is not a positive whole number");
    }
    return value;
}

std::vector<std::string> YamlReader::TextList(const Entry& entry, const std::string& path) const {
    std::vector<std::string> items;
    if (entry.value.IsNull()) return items;
    if (!entry.value.IsSequence()) {
        Fail(entry.key_node, path, std::string("expected a list like [a, b], not ") + KindName(entry.value));
    }
    for (const YAML::Node& item : entry.value) {
        if (!item.IsScalar() || item.Scalar().empty()) {
            throw ConfigError(Where(item, entry.key_node) + ": " + path + ": list items must be non-empty single " +
                              "values, not " + (item.IsScalar() ? "empty" : KindName(item)));
        }
        items.push_back(item.Scalar());
    }
    return items;
}

}  // namespace jobber::config
