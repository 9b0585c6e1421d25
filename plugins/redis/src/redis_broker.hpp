// Broker on Redis: named FIFO queues with leases, delayed delivery and redelivery, shared by every sql-jobber
// process that points at the same Redis database and key prefix.
//
// Every operation is one Lua script (one round trip, atomic): a message is always in exactly one of its queue's
// ready list, delayed set or lease set, so no crash between two commands can lose or duplicate it. A pop with
// nothing ready blocks in BLPOP on its queues' wake-up lists, for no longer than the next delayed message or lease
// deadline. See plugins/redis/README.md and docs/redis.md for the keys and why this design.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobber/sdk/roles.hpp"
#include "redis_client.hpp"

namespace jobber::redis {

class RedisBroker final : public sdk::Broker {
public:
    // A message comes back only once its lease lapsed (the reaper), so the host needs no run lease.
    static constexpr bool kRedeliversOnlyAfterLease = true;

    explicit RedisBroker(const sdk::OpenArgs& args);
    RedisBroker(RedisSettings settings, const std::string& instance_name);

    static const std::vector<jobber_config_field>& ConfigFields() { return RedisConfigFields(); }

    void Push(std::string_view queue, std::string_view payload, int64_t eta_unix_ms) override;
    std::optional<sdk::Delivery> Pop(const std::vector<std::string>& queues,
                                     std::chrono::milliseconds wait,
                                     std::chrono::milliseconds lease) override;
    void Ack(std::string_view receipt) override;
    void Requeue(std::string_view receipt, int64_t eta_unix_ms) override;
    void Extend(std::string_view receipt, std::chrono::milliseconds lease) override;
    // Pages through the queue (500 messages a round trip): a snapshot per page, not of the whole queue.
    void ListPending(std::string_view queue, const std::function<bool(const sdk::PendingMessage&)>& visit) override;
    void Ping() override;

    RedisClient& client() { return client_; }

private:
    // Throws Error(NOT_FOUND) when the script reports no live lease for `receipt`.
    void Settle(std::string_view op, std::string_view receipt, int64_t argument);

    RedisClient client_;
};

}  // namespace jobber::redis
