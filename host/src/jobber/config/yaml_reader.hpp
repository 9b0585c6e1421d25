#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace jobber::config {

// Typed reads from yaml-cpp nodes for the config loader. Every failure is a ConfigError that starts with
// "file:line: key.path:", so the operator can jump straight to the spot. Internal to jobber::config: nothing outside
// the loader sees YAML.
class YamlReader {
public:
    struct Entry {
        std::string key;
        YAML::Node key_node;
        YAML::Node value;
    };

    explicit YamlReader(std::string origin_name) : origin_name_(std::move(origin_name)) {}

    // "file:line" of the node, or of `fallback` when yaml-cpp has no position for it (nodes it made up).
    std::string Where(const YAML::Node& node, const YAML::Node& fallback = YAML::Node()) const;

    [[noreturn]] void Fail(const YAML::Node& node, const std::string& path, const std::string& message) const;

    // The entries of a mapping in document order. A null node is an empty mapping; anything else that is not a
    // mapping, a duplicate key or a key that is not a plain scalar is an error. `path` is the parent's key path
    // ("app", "db.main") used in messages.
    std::vector<Entry> Entries(const Entry& parent, const std::string& path) const;
    std::vector<Entry> RootEntries(const YAML::Node& root) const;

    // A scalar's text; YAML null reads as "". A list or mapping is an error.
    std::string Text(const Entry& entry, const std::string& path) const;
    // Text that must not be empty and must be one of `allowed`.
    std::string OneOf(const Entry& entry, const std::string& path, const std::vector<std::string>& allowed) const;
    std::chrono::milliseconds Duration(const Entry& entry, const std::string& path) const;
    uint64_t PositiveInteger(const Entry& entry, const std::string& path) const;
    // A list of non-empty scalars; null is an empty list, a lone scalar is an error.
    std::vector<std::string> TextList(const Entry& entry, const std::string& path) const;

    const std::string& origin_name() const { return origin_name_; }

private:
    std::vector<Entry> MappingEntries(const YAML::Node& map, const YAML::Node& fallback, const std::string& path) const;

    std::string origin_name_;
};

}  // namespace jobber::config
