#include "redis_settings.hpp"

#include <cctype>

#include "jobber/sdk/error.hpp"

namespace jobber::redis {

namespace {

constexpr size_t kMaxPrefixLength = 64;

[[noreturn]] void BadAddress(std::string_view text, const std::string& why) {
    throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'address': '" + std::string(text) + "' " + why +
                                                  "; use host:port, [ipv6]:port or a unix socket path");
}

int ParsePort(std::string_view text, std::string_view port) {
    if (port.empty() || port.size() > 5) BadAddress(text, "has no valid port");
    int value = 0;
    for (char c : port) {
        if (c < '0' || c > '9') BadAddress(text, "has a port that is not a number");
        value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) BadAddress(text, "has a port outside 1-65535");
    return value;
}

std::chrono::milliseconds PositiveDuration(const sdk::Config& config, const std::string& key, int64_t fallback_ms) {
    const int64_t ms = config.GetDurationMs(key, fallback_ms);
    if (ms <= 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         "config key '" + key + "' must be a positive duration, got " + std::to_string(ms) + " ms");
    }
    return std::chrono::milliseconds(ms);
}

}  // namespace

std::string RedisAddress::Describe() const {
    if (!unix_path.empty()) return unix_path;
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

RedisAddress ParseAddress(std::string_view text) {
    RedisAddress address;
    if (text.empty()) BadAddress(text, "is empty");
    constexpr std::string_view kUnixScheme = "unix://";
    if (text.substr(0, kUnixScheme.size()) == kUnixScheme) text.remove_prefix(kUnixScheme.size());
    if (text.front() == '/' || text.front() == '.') {
        address.unix_path = std::string(text);
        return address;
    }
    if (text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string_view::npos || close == 1) BadAddress(text, "has an unterminated [ipv6] host");
        address.host = std::string(text.substr(1, close - 1));
        const std::string_view rest = text.substr(close + 1);
        if (rest.empty()) return address;
        if (rest.front() != ':') BadAddress(text, "has text after the ]");
        address.port = ParsePort(text, rest.substr(1));
        return address;
    }
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        address.host = std::string(text);
        return address;
    }
    if (text.find(':') != colon) BadAddress(text, "looks like an IPv6 address without [brackets]");
    if (colon == 0) BadAddress(text, "has no host");
    address.host = std::string(text.substr(0, colon));
    address.port = ParsePort(text, text.substr(colon + 1));
    return address;
}

bool IsValidKeyPrefix(std::string_view prefix) {
    if (prefix.empty() || prefix.size() > kMaxPrefixLength) return false;
    for (unsigned char c : prefix) {
        if (std::isalnum(c) == 0 && c != '_' && c != ':' && c != '.' && c != '-' && c != '{' && c != '}') return false;
    }
    return true;
}

RedisSettings ParseSettings(const sdk::Config& config) {
    RedisSettings settings;
    settings.address = ParseAddress(config.GetString("address", "127.0.0.1:6379"));
    settings.password = config.GetString("password");
    settings.username = config.GetString("username");
    if (!settings.username.empty() && settings.password.empty()) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'username' needs 'password' as well");
    }
    settings.db = config.GetInt("db", 0);
    if (settings.db < 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         "config key 'db' must be 0 or a positive database number, got " + std::to_string(settings.db));
    }
    settings.key_prefix = config.GetString("key_prefix", "jobber:");
    if (!IsValidKeyPrefix(settings.key_prefix)) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'key_prefix': '" + settings.key_prefix +
                                                      "' must be 1-64 characters of A-Z a-z 0-9 _ : . - { }");
    }
    settings.connect_timeout = PositiveDuration(config, "connect_timeout", 2000);
    settings.command_timeout = PositiveDuration(config, "command_timeout", 5000);
    const int64_t pool_size = config.GetInt("pool_size", 16);
    if (pool_size < 1 || pool_size > 1024) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         "config key 'pool_size' must be 1-1024, got " + std::to_string(pool_size));
    }
    settings.pool_size = static_cast<size_t>(pool_size);
    return settings;
}

const std::vector<jobber_config_field>& RedisConfigFields() {
    static const std::vector<jobber_config_field> fields = {
        {"address", JOBBER_FIELD_STRING, 0, "127.0.0.1:6379",
         "Redis server: host:port, [ipv6]:port, or a unix socket path (/run/redis/redis.sock)"},
        {"password", JOBBER_FIELD_SECRET, 0, nullptr, "AUTH password; unset = no AUTH"},
        {"username", JOBBER_FIELD_STRING, 0, nullptr, "ACL user name (Redis 6+); unset = the default user"},
        {"db", JOBBER_FIELD_INT, 0, "0", "database number (SELECT)"},
        {"key_prefix", JOBBER_FIELD_STRING, 0,
         "jobber:", "prefix of every key written; deployments sharing one Redis database need different prefixes"},
        {"connect_timeout", JOBBER_FIELD_DURATION, 0, "2000", "how long to wait for a connection to Redis"},
        {"command_timeout", JOBBER_FIELD_DURATION, 0, "5000",
         "how long to wait for one reply; past it the call fails with UNAVAILABLE"},
        {"pool_size", JOBBER_FIELD_INT, 0, "16",
         "most connections for ordinary commands per instance; each waiting pop uses one more of its own"},
    };
    return fields;
}

}  // namespace jobber::redis
