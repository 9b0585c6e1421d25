// The redis plugin's configuration, shared by its broker and state store roles: where Redis is, how to log in,
// which keys are ours, and how long to wait for it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jobber/abi/common.h"
#include "jobber/sdk/config.hpp"

namespace jobber::redis {

struct RedisAddress {
    // Set for TCP; empty for a unix socket.
    std::string host;
    int port = 6379;
    // Set for a unix socket.
    std::string unix_path;

    // "host:port" or the socket path, for messages.
    std::string Describe() const;

    bool operator==(const RedisAddress& other) const {
        return host == other.host && port == other.port && unix_path == other.unix_path;
    }
    bool operator!=(const RedisAddress& other) const { return !(*this == other); }
};

// Parses "host:port", "host" (port 6379), "[v6addr]:port", "/path/to/redis.sock" or "unix:///path/to/redis.sock".
// Throws sdk::Error(INVALID_ARGUMENT) naming the key (`address` unless told) and the value.
RedisAddress ParseAddress(std::string_view text, std::string_view key = "address");

// Parses the `sentinels` value: addresses as for ParseAddress, separated by "," (the host joins a YAML list that
// way), blanks around them ignored. Throws INVALID_ARGUMENT naming `sentinels` and the entry for an empty, malformed
// or repeated entry.
std::vector<RedisAddress> ParseSentinels(std::string_view text);

// A Sentinel master name: 1-128 printable ASCII characters without spaces, as in `sentinel monitor <name> ...`.
bool IsValidMasterName(std::string_view name);

// A key prefix is 1-64 characters of A-Z a-z 0-9 and _ : . - { } (braces allow a cluster hash tag). Every key the
// plugin writes starts with it, so several deployments can share one Redis database.
bool IsValidKeyPrefix(std::string_view prefix);

// Where to find the master when Sentinel manages it. Empty `sentinels`: no Sentinel, `address` is the server.
struct SentinelSettings {
    std::vector<RedisAddress> sentinels;
    std::string master_name;
    std::string password;  // AUTH for the sentinels; separate from the data nodes' password; empty: no AUTH
    std::string username;  // ACL user on the sentinels; needs password
};

struct RedisSettings {
    RedisAddress address;  // the server; unused with Sentinel
    std::string password;  // empty: no AUTH
    std::string username;  // ACL user; empty: the default user
    int64_t db = 0;
    std::string key_prefix = "jobber:";
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds command_timeout{5000};
    // Most connections for ordinary commands; waiting pops hold their own connection each, outside this pool.
    size_t pool_size = 16;
    // Opt-in synchronous replication: after every write, `WAIT wait_replicas wait_timeout` in the same round trip;
    // fewer acknowledgements fail the call with UNAVAILABLE. 0 = off (writes are acknowledged by the master alone).
    int64_t wait_replicas = 0;
    std::chrono::milliseconds wait_timeout{1000};
    SentinelSettings sentinel;

    bool UsesSentinel() const { return !sentinel.sentinels.empty(); }
    bool WaitsForReplicas() const { return wait_replicas > 0; }
};

// Reads and validates the host-validated key/value config. Throws sdk::Error(INVALID_ARGUMENT) naming the key;
// `address` together with `sentinels` is refused naming both.
RedisSettings ParseSettings(const sdk::Config& config);

// The config fields both roles declare (same keys, same meaning).
const std::vector<jobber_config_field>& RedisConfigFields();

}  // namespace jobber::redis
