// One round of master discovery, as Redis's Sentinel client guidelines describe it: ask the sentinels in turn where
// the master named `master_name` is (SENTINEL get-master-addr-by-name), and accept an address only once that node
// itself says it is master (ROLE), so a sentinel with a stale view cannot send writes to a replica.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "redis_connection.hpp"
#include "redis_settings.hpp"

namespace jobber::redis {

enum class NodeRole { kMaster, kNotMaster, kUnknown };

// ROLE on `connection`. kUnknown when the user may not run ROLE (it is in @dangerous): then only the READONLY
// replies of a demoted master show a failover. `role` receives the role it reported ("slave", "sentinel").
// Throws sdk::Error(UNAVAILABLE) on I/O failure.
NodeRole CheckRole(RedisConnection& connection, std::chrono::milliseconds timeout, std::string* role);

struct DiscoveredMaster {
    RedisAddress address;
    size_t sentinel_index = 0;  // the sentinel that named it, in the order given
};

// Asks the sentinels in the order given and returns the first master that confirms its role. Throws
// sdk::Error(UNAVAILABLE) saying what each sentinel answered when none led to a reachable master, and LoginRefused
// when every sentinel reached refused (wrong sentinel_password, unknown master_name, not a sentinel) or the master
// refused the data login: a configuration mistake rather than an outage.
DiscoveredMaster DiscoverMaster(const RedisSettings& settings, const std::vector<RedisAddress>& sentinels);

}  // namespace jobber::redis
