#include "identifiers.hpp"

#include <cstdint>
#include <cstdio>
#include <unordered_set>

#include "jobber/sdk/error.hpp"
#include "results_catalog.hpp"

namespace jobber::postgres {

namespace {

// Cuts `name` to at most `limit` bytes without splitting a UTF-8 character.
std::string CutUtf8(std::string_view name, size_t limit) {
    if (name.size() <= limit) return std::string(name);
    size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(name[end]) & 0xC0) == 0x80) --end;
    return std::string(name.substr(0, end));
}

// FNV-1a: stable across runs and builds, which std::hash is not required to be.
uint32_t Fnv1a(std::string_view text) {
    uint32_t hash = 2166136261u;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 16777619u;
    }
    return hash;
}

std::string Shorten(std::string_view name) {
    if (name.size() <= kMaxIdentifierBytes) return std::string(name);
    char suffix[10];
    std::snprintf(suffix, sizeof(suffix), "_%08x", Fnv1a(name));
    return CutUtf8(name, kMaxIdentifierBytes - 9) + suffix;
}

}  // namespace

std::string QuoteIdentifier(std::string_view name) {
    std::string quoted;
    quoted.reserve(name.size() + 2);
    quoted.push_back('"');
    for (char c : name) {
        if (c == '"') quoted.push_back('"');
        quoted.push_back(c);
    }
    quoted.push_back('"');
    return quoted;
}

void CheckTableName(std::string_view table_name) {
    const std::string shown(table_name);
    if (table_name.empty()) throw sdk::Error(JOBBER_INVALID_ARGUMENT, "result table name is empty");
    if (table_name.size() > kMaxIdentifierBytes) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "result table name '" + shown + "' is " +
                                                      std::to_string(table_name.size()) +
                                                      " bytes long; PostgreSQL keeps at most 63");
    }
    if (table_name.find('\0') != std::string_view::npos) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "result table name holds a NUL byte");
    }
    if (table_name == kCatalogTable || table_name.substr(0, kTempPrefix.size()) == kTempPrefix) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "result table name '" + shown + "' is reserved");
    }
}

std::vector<std::string> ResultColumnNames(const sdk::Schema& schema) {
    std::vector<std::string> names;
    names.reserve(schema.size());
    std::unordered_set<std::string> taken;
    for (size_t i = 0; i < schema.size(); ++i) {
        std::string name = schema[i].name.empty() ? "column_" + std::to_string(i + 1) : Shorten(schema[i].name);
        if (taken.count(name) != 0) {
            for (int n = 2;; ++n) {
                const std::string suffix = "_" + std::to_string(n);
                std::string candidate = CutUtf8(name, kMaxIdentifierBytes - suffix.size()) + suffix;
                if (taken.count(candidate) == 0) {
                    name = std::move(candidate);
                    break;
                }
            }
        }
        taken.insert(name);
        names.push_back(std::move(name));
    }
    return names;
}

}  // namespace jobber::postgres
