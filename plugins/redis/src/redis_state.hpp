// State store on Redis: job records, group records and slot semaphores shared by every sql-jobber process that
// points at the same Redis database and key prefix. Every call is one round trip; compare-and-set and slot
// acquisition are Lua scripts, so they are atomic across processes and machines.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobber/sdk/roles.hpp"
#include "redis_client.hpp"

namespace jobber::redis {

class RedisState final : public sdk::StateStore {
public:
    explicit RedisState(const sdk::OpenArgs& args);
    RedisState(RedisSettings settings, const std::string& instance_name);

    static const std::vector<jobber_config_field>& ConfigFields() { return RedisConfigFields(); }

    bool CasJob(std::string_view job_id,
                uint32_t expect_mask,
                std::optional<std::string_view> expect_token,
                const sdk::JobWrite& record,
                sdk::JobRecord* current) override;
    std::optional<sdk::JobRecord> GetJob(std::string_view job_id) override;
    void DeleteJob(std::string_view job_id) override;
    void PutGroup(std::string_view group_id, std::string_view body, int64_t ttl_ms) override;
    std::optional<std::string> GetGroup(std::string_view group_id) override;
    void DeleteGroup(std::string_view group_id) override;
    bool AcquireSlot(std::string_view key, uint32_t limit, std::string_view holder, int64_t lease_ms) override;
    void ReleaseSlot(std::string_view key, std::string_view holder) override;
    void Ping() override;
    void ListQueue(std::string_view queue,
                   uint32_t limit,
                   const std::function<bool(const sdk::QueuedJob&)>& visit) override;

    RedisClient& client() { return client_; }
    std::string JobKey(std::string_view job_id) const;
    std::string GroupKey(std::string_view group_id) const;
    std::string SlotKey(std::string_view key) const;

private:
    RedisClient client_;
};

}  // namespace jobber::redis
