// Read-only view of the validated key/value config the host passes to `open`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "jobber/abi/common.h"
#include "jobber/sdk/error.hpp"

namespace jobber::sdk {

class Config {
public:
    Config() = default;
    Config(const jobber_kv* entries, uint32_t count) {
        for (uint32_t i = 0; i < count; ++i) {
            if (entries[i].key != nullptr && entries[i].value != nullptr) values_[entries[i].key] = entries[i].value;
        }
    }

    bool Has(const std::string& key) const { return values_.count(key) != 0; }

    std::optional<std::string> Find(const std::string& key) const {
        auto it = values_.find(key);
        if (it == values_.end()) return std::nullopt;
        return it->second;
    }

    std::string GetString(const std::string& key, const std::string& fallback = {}) const {
        return Find(key).value_or(fallback);
    }

    std::string RequireString(const std::string& key) const {
        auto value = Find(key);
        if (!value || value->empty()) throw Error(JOBBER_INVALID_ARGUMENT, "config key '" + key + "' is required");
        return *value;
    }

    int64_t GetInt(const std::string& key, int64_t fallback) const {
        auto value = Find(key);
        if (!value || value->empty()) return fallback;
        try {
            size_t used = 0;
            const long long parsed = std::stoll(*value, &used);
            if (used != value->size()) throw std::invalid_argument(key);
            return parsed;
        } catch (const std::logic_error&) {
            throw Error(JOBBER_INVALID_ARGUMENT, "config key '" + key + "' must be an integer, got '" + *value + "'");
        }
    }

    // Durations arrive from the host in milliseconds.
    int64_t GetDurationMs(const std::string& key, int64_t fallback_ms) const { return GetInt(key, fallback_ms); }

    bool GetBool(const std::string& key, bool fallback) const {
        auto value = Find(key);
        if (!value || value->empty()) return fallback;
        if (*value == "true") return true;
        if (*value == "false") return false;
        throw Error(JOBBER_INVALID_ARGUMENT, "config key '" + key + "' must be true or false, got '" + *value + "'");
    }

private:
    std::map<std::string, std::string> values_;
};

}  // namespace jobber::sdk
