// Where a plugin instance's commands go: one fixed server (`address`), or whichever node Sentinel names master
// (`sentinels`). The connection pools ask their endpoint for new connections and report failures back to it, so
// following a failover needs nothing from the broker and state code above the client.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "redis_connection.hpp"
#include "redis_settings.hpp"

namespace jobber::redis {

// A connection to the endpoint's master failed before any command of the call was sent (it could not be reached,
// or it is no longer master). The endpoint has been told; running the call once more is safe.
class MasterMoved : public sdk::Error {
public:
    explicit MasterMoved(const std::string& message) : sdk::Error(JOBBER_UNAVAILABLE, message) {}
};

class Endpoint {
public:
    virtual ~Endpoint() = default;

    // A new connection to the node commands go to, logged in. Throws as RedisConnection does, and MasterMoved.
    virtual std::unique_ptr<RedisConnection> Connect() = 0;
    // Changes when the node commands go to changes: connections made for an older epoch talk to a node that may be
    // a replica now, so the pools drop them.
    virtual uint64_t epoch() const = 0;
    // A connection of `epoch` failed (I/O error, timeout) or was refused as a replica: the next Connect() checks
    // where the master is. No-op for a fixed server.
    virtual void Lost(uint64_t epoch, const std::string& why) = 0;
    // True when Lost() can lead somewhere else, so a call refused by a replica is worth running again.
    virtual bool FollowsFailover() const = 0;
    // The node (and how it was found), for messages: "Redis at " + Describe().
    virtual std::string Describe() const = 0;
};

// `address`: always the same server.
class FixedEndpoint final : public Endpoint {
public:
    explicit FixedEndpoint(RedisSettings settings) : settings_(std::move(settings)) {}

    std::unique_ptr<RedisConnection> Connect() override { return std::make_unique<RedisConnection>(settings_); }
    uint64_t epoch() const override { return 0; }
    void Lost(uint64_t, const std::string&) override {}
    bool FollowsFailover() const override { return false; }
    std::string Describe() const override { return settings_.address.Describe(); }

private:
    const RedisSettings settings_;
};

// The endpoint the settings ask for: Sentinel when `sentinels` is set, the fixed `address` otherwise.
std::unique_ptr<Endpoint> MakeEndpoint(const RedisSettings& settings, const std::string& instance_name);

}  // namespace jobber::redis
