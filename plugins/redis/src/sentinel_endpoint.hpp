// The endpoint of `sentinels` + `master_name`: connections go to the master the sentinels name, checked with ROLE.
// A connection failure, a READONLY reply, a node that no longer reports itself master, or a +switch-master
// announcement (SentinelWatcher) marks the master lost: the epoch changes, so the pools drop every connection made
// before, and the next connection asks the sentinels again (one discovery at a time; after a failed one the next
// waits 100 ms, doubling to 1 s, and calls fail fast with UNAVAILABLE meanwhile). Discovery runs in the calls that
// need a connection; the watcher thread only listens.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "redis_endpoint.hpp"
#include "sentinel_watcher.hpp"

namespace jobber::redis {

class SentinelEndpoint final : public Endpoint {
public:
    SentinelEndpoint(RedisSettings settings, std::string instance_name);

    std::unique_ptr<RedisConnection> Connect() override;
    uint64_t epoch() const override { return epoch_.load(); }
    void Lost(uint64_t epoch, const std::string& why) override;
    bool FollowsFailover() const override { return true; }
    std::string Describe() const override;

    // The wait before the next discovery after `failures` failed ones in a row.
    static std::chrono::milliseconds Backoff(int failures);

private:
    // The master to connect to and its epoch: the one found last, or a fresh discovery when it was lost.
    std::pair<RedisAddress, uint64_t> Master();
    void Discovered(const RedisAddress& master, size_t sentinel_index);
    // What the watcher heard: a master other than ours means a failover happened.
    void Announced(const RedisAddress& master, const std::string& how);
    // Marks the master lost and starts a new epoch. Called with mutex_ held.
    void MarkLost(const std::string& why);

    const RedisSettings settings_;
    const std::string instance_name_;
    std::mutex discovery_mutex_;           // one discovery at a time; the others wait for its result
    mutable std::mutex mutex_;             // the fields below
    std::vector<RedisAddress> sentinels_;  // the one that answered last first, as the client guidelines advise
    std::optional<RedisAddress> master_;
    std::atomic<uint64_t> epoch_{1};
    bool lost_ = true;
    int failures_ = 0;
    std::chrono::steady_clock::time_point next_discovery_{};
    std::string last_error_;
    SentinelWatcher watcher_;  // last: its thread calls Announced, so it must stop before the rest goes
};

}  // namespace jobber::redis
