#include "redis_settings.hpp"

#include <cctype>

#include "jobber/sdk/error.hpp"

namespace jobber::redis {

namespace {

constexpr size_t kMaxPrefixLength = 64;

constexpr size_t kMaxMasterNameLength = 128;

// More replicas than any sane deployment has; a typo like 1000 fails at open instead of failing every write.
constexpr int64_t kMaxWaitReplicas = 100;

[[noreturn]] void Invalid(const std::string& message) {
    throw sdk::Error(JOBBER_INVALID_ARGUMENT, message);
}

[[noreturn]] void BadAddress(std::string_view key, std::string_view text, const std::string& why) {
    Invalid("config key '" + std::string(key) + "': '" + std::string(text) + "' " + why +
            "; use host:port, [ipv6]:port or a unix socket path");
}

int ParsePort(std::string_view key, std::string_view text, std::string_view port) {
    if (port.empty() || port.size() > 5) BadAddress(key, text, "has no valid port");
    int value = 0;
    for (char c : port) {
        if (c < '0' || c > '9') BadAddress(key, text, "has a port that is not a number");
        value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) BadAddress(key, text, "has a port outside 1-65535");
    return value;
}

std::string_view Trimmed(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.remove_suffix(1);
    return text;
}

// The Sentinel keys, checked together: they only mean something as a set, and never beside `address`.
SentinelSettings ParseSentinelSettings(const sdk::Config& config) {
    SentinelSettings sentinel;
    const std::string sentinels = config.GetString("sentinels");
    sentinel.master_name = config.GetString("master_name");
    sentinel.password = config.GetString("sentinel_password");
    sentinel.username = config.GetString("sentinel_username");
    if (sentinels.empty()) {
        for (const char* key : {"master_name", "sentinel_password", "sentinel_username"}) {
            if (!config.GetString(key).empty()) {
                Invalid(std::string("config key '") + key +
                        "' only applies with 'sentinels'; list the sentinels too, or remove it");
            }
        }
        return sentinel;
    }
    if (config.Has("address")) {
        Invalid(
            "config keys 'address' and 'sentinels' are mutually exclusive: 'address' names one fixed server, "
            "'sentinels' asks Sentinel for the current master; set only one");
    }
    sentinel.sentinels = ParseSentinels(sentinels);
    if (sentinel.master_name.empty()) {
        Invalid(
            "config key 'sentinels' needs 'master_name': the name the sentinels monitor the master under "
            "(`sentinel monitor <name> ...`)");
    }
    if (!IsValidMasterName(sentinel.master_name)) {
        Invalid("config key 'master_name': '" + sentinel.master_name + "' must be 1-" +
                std::to_string(kMaxMasterNameLength) + " printable characters without spaces");
    }
    if (!sentinel.username.empty() && sentinel.password.empty()) {
        Invalid("config key 'sentinel_username' needs 'sentinel_password' as well");
    }
    return sentinel;
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

RedisAddress ParseAddress(std::string_view text, std::string_view key) {
    RedisAddress address;
    if (text.empty()) BadAddress(key, text, "is empty");
    constexpr std::string_view kUnixScheme = "unix://";
    if (text.substr(0, kUnixScheme.size()) == kUnixScheme) text.remove_prefix(kUnixScheme.size());
    if (text.front() == '/' || text.front() == '.') {
        address.unix_path = std::string(text);
        return address;
    }
    if (text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string_view::npos || close == 1) BadAddress(key, text, "has an unterminated [ipv6] host");
        address.host = std::string(text.substr(1, close - 1));
        const std::string_view rest = text.substr(close + 1);
        if (rest.empty()) return address;
        if (rest.front() != ':') BadAddress(key, text, "has text after the ]");
        address.port = ParsePort(key, text, rest.substr(1));
        return address;
    }
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        address.host = std::string(text);
        return address;
    }
    if (text.find(':') != colon) BadAddress(key, text, "looks like an IPv6 address without [brackets]");
    if (colon == 0) BadAddress(key, text, "has no host");
    address.host = std::string(text.substr(0, colon));
    address.port = ParsePort(key, text, text.substr(colon + 1));
    return address;
}

std::vector<RedisAddress> ParseSentinels(std::string_view text) {
    std::vector<RedisAddress> sentinels;
    size_t start = 0;
    for (;;) {
        const size_t comma = text.find(',', start);
        const std::string_view entry =
            Trimmed(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
        const std::string position = "entry " + std::to_string(sentinels.size() + 1);
        if (entry.empty()) {
            Invalid("config key 'sentinels': " + position + " of '" + std::string(text) +
                    "' is empty; list host:port of each sentinel");
        }
        RedisAddress address = ParseAddress(entry, "sentinels");
        for (const auto& known : sentinels) {
            if (known == address) Invalid("config key 'sentinels' lists " + address.Describe() + " twice");
        }
        sentinels.push_back(std::move(address));
        if (comma == std::string_view::npos) return sentinels;
        start = comma + 1;
    }
}

bool IsValidMasterName(std::string_view name) {
    if (name.empty() || name.size() > kMaxMasterNameLength) return false;
    for (unsigned char c : name) {
        if (c <= ' ' || c >= 0x7f) return false;
    }
    return true;
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
    settings.sentinel = ParseSentinelSettings(config);
    if (!settings.UsesSentinel()) settings.address = ParseAddress(config.GetString("address", "127.0.0.1:6379"));
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
    settings.wait_replicas = config.GetInt("wait_replicas", 0);
    if (settings.wait_replicas < 0 || settings.wait_replicas > kMaxWaitReplicas) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'wait_replicas' must be 0 (off) to " +
                                                      std::to_string(kMaxWaitReplicas) + ", got " +
                                                      std::to_string(settings.wait_replicas));
    }
    // Positive: `WAIT n 0` would block forever.
    settings.wait_timeout = PositiveDuration(config, "wait_timeout", 1000);
    return settings;
}

const std::vector<jobber_config_field>& RedisConfigFields() {
    static const std::vector<jobber_config_field> fields = {
        // No declared default: the host would fill it in, and `address` beside `sentinels` must stay detectable.
        {"address", JOBBER_FIELD_STRING, 0, nullptr,
         "Redis server: host:port, [ipv6]:port, or a unix socket path; default 127.0.0.1:6379; not with sentinels"},
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
        {"wait_replicas", JOBBER_FIELD_INT, 0, "0",
         "after every write, WAIT until this many replicas have it, else fail with UNAVAILABLE; 0 = off"},
        {"wait_timeout", JOBBER_FIELD_DURATION, 0, "1000",
         "with wait_replicas: how long WAIT waits for the replicas' acknowledgements"},
        {"sentinels", JOBBER_FIELD_STRING, 0, nullptr,
         "Redis Sentinel: list of host:port of the sentinels that know the master; instead of address"},
        {"master_name", JOBBER_FIELD_STRING, 0, nullptr, "with sentinels: the monitored master's name"},
        {"sentinel_password", JOBBER_FIELD_SECRET, 0, nullptr,
         "AUTH password of the sentinels (not of the data nodes: that is password); unset = no AUTH"},
        {"sentinel_username", JOBBER_FIELD_STRING, 0, nullptr, "ACL user on the sentinels; needs sentinel_password"},
    };
    return fields;
}

}  // namespace jobber::redis
