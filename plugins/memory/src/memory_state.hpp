// In-process state store: job records, group records and counting semaphores (slots) for a single
// sql-jobber process. Nothing survives a restart and nothing is shared with other processes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "expiring_map.hpp"
#include "jobber/sdk/roles.hpp"
#include "queue_index.hpp"

namespace jobber::memory {

// All methods are thread-safe: one mutex guards everything, so every compare-and-set is atomic.
//
// Expiry uses the steady clock, so TTLs and slot leases are immune to wall-clock jumps. Every call
// first purges what has expired (jobs, groups, lapsed slot holders) through an index of expiry
// times, so memory tracks the live records and the purge costs O(log n) per expired entry.
class MemoryState final : public sdk::StateStore {
public:
    explicit MemoryState(const sdk::OpenArgs& args);

    static const std::vector<jobber_config_field>& ConfigFields();

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
    void ListQueue(std::string_view queue,
                   uint32_t limit,
                   const std::function<bool(const sdk::QueuedJob&)>& visit) override;

    // What is held in memory, expired-but-not-yet-purged entries included; for tests and diagnostics.
    struct Footprint {
        size_t jobs = 0;
        size_t groups = 0;
        size_t slot_keys = 0;
        size_t slot_holders = 0;
        size_t queue_listings = 0;
        // Entries in the expiry indexes; never more than the entries above.
        size_t expiring = 0;
    };
    Footprint Measure();

private:
    using Clock = std::chrono::steady_clock;

    void PurgeLocked(Clock::time_point now);

    std::mutex mutex_;
    ExpiringMap<sdk::JobRecord> jobs_;
    // PENDING and RETRY jobs by queue; updated with every job write, delete and expiry.
    QueueIndex queue_index_;
    ExpiringMap<std::string> groups_;
    // Keyed by SlotHolderKey(key, holder); the value is unused.
    ExpiringMap<char> slot_holders_;
    // Live holders per slot key; a key with none is erased.
    std::unordered_map<std::string, uint32_t> slot_counts_;
};

}  // namespace jobber::memory
