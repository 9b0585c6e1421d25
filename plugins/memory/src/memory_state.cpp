#include "memory_state.hpp"

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"

namespace jobber::memory {

namespace {

using std::chrono::milliseconds;

// The highest state whose JOBBER_EXPECT_STATE bit fits in the 32-bit mask.
constexpr int32_t kMaxState = 31;

// Keys and holders are C strings, so NUL cannot occur in either and separates them unambiguously.
std::string SlotHolderKey(std::string_view key, std::string_view holder) {
    std::string joined;
    joined.reserve(key.size() + 1 + holder.size());
    joined.append(key).push_back('\0');
    joined.append(holder);
    return joined;
}

std::string_view SlotKeyOf(const std::string& holder_key) {
    return std::string_view(holder_key).substr(0, holder_key.find('\0'));
}

milliseconds CheckedTtl(int64_t ttl_ms, const char* what) {
    if (ttl_ms < 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         std::string(what) + " must be 0 (never expires) or positive, got " + std::to_string(ttl_ms));
    }
    return milliseconds(ttl_ms);
}

bool Matches(const sdk::JobRecord* found, uint32_t expect_mask, const std::optional<std::string_view>& expect_token) {
    if (found == nullptr) return (expect_mask & JOBBER_EXPECT_ABSENT) != 0;
    if (found->state < 1 || found->state > kMaxState) return false;
    if ((expect_mask & JOBBER_EXPECT_STATE(found->state)) == 0) return false;
    return !expect_token || *expect_token == found->token;
}

}  // namespace

MemoryState::MemoryState(const sdk::OpenArgs& args) {
    sdk::Log(sdk::LogLevel::kInfo, args.instance_name, "memory state store opened (records live in this process only)");
}

const std::vector<jobber_config_field>& MemoryState::ConfigFields() {
    static const std::vector<jobber_config_field> fields;
    return fields;
}

bool MemoryState::CasJob(std::string_view job_id,
                         uint32_t expect_mask,
                         std::optional<std::string_view> expect_token,
                         const sdk::JobWrite& record,
                         sdk::JobRecord* current) {
    if (record.state < 1 || record.state > kMaxState) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "cas_job of '" + std::string(job_id) + "' writes invalid state " +
                                                      std::to_string(record.state));
    }
    const milliseconds ttl = CheckedTtl(record.ttl_ms, "a job record's ttl_ms");
    std::lock_guard<std::mutex> lock(mutex_);
    const Clock::time_point now = Clock::now();
    PurgeLocked(now);
    const sdk::JobRecord* found = jobs_.Find(job_id, now);
    if (!Matches(found, expect_mask, expect_token)) {
        if (current != nullptr) *current = found != nullptr ? *found : sdk::JobRecord{};
        return false;
    }
    jobs_.Put(job_id, sdk::JobRecord{record.state, std::string(record.token), std::string(record.body)}, ttl, now);
    const bool waiting = record.state == JOBBER_JOB_PENDING || record.state == JOBBER_JOB_RETRY;
    if (waiting && !record.queue.empty()) {
        queue_index_.List(std::string(job_id), record.queue);
    } else {
        queue_index_.Unlist(std::string(job_id));
    }
    return true;
}

std::optional<sdk::JobRecord> MemoryState::GetJob(std::string_view job_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    const Clock::time_point now = Clock::now();
    PurgeLocked(now);
    const sdk::JobRecord* found = jobs_.Find(job_id, now);
    if (found == nullptr) return std::nullopt;
    return *found;
}

void MemoryState::DeleteJob(std::string_view job_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    PurgeLocked(Clock::now());
    jobs_.Erase(job_id);
    queue_index_.Unlist(std::string(job_id));
}

void MemoryState::PutGroup(std::string_view group_id, std::string_view body, int64_t ttl_ms) {
    const milliseconds ttl = CheckedTtl(ttl_ms, "a group record's ttl_ms");
    std::lock_guard<std::mutex> lock(mutex_);
    const Clock::time_point now = Clock::now();
    PurgeLocked(now);
    groups_.Put(group_id, std::string(body), ttl, now);
}

std::optional<std::string> MemoryState::GetGroup(std::string_view group_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    const Clock::time_point now = Clock::now();
    PurgeLocked(now);
    const std::string* found = groups_.Find(group_id, now);
    if (found == nullptr) return std::nullopt;
    return *found;
}

void MemoryState::DeleteGroup(std::string_view group_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    PurgeLocked(Clock::now());
    groups_.Erase(group_id);
}

bool MemoryState::AcquireSlot(std::string_view key, uint32_t limit, std::string_view holder, int64_t lease_ms) {
    if (lease_ms <= 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "acquire_slot of '" + std::string(key) +
                                                      "' needs a positive lease_ms, got " + std::to_string(lease_ms));
    }
    const std::string holder_key = SlotHolderKey(key, holder);
    std::lock_guard<std::mutex> lock(mutex_);
    const Clock::time_point now = Clock::now();
    PurgeLocked(now);
    if (slot_holders_.Find(holder_key, now) != nullptr) {
        slot_holders_.Put(holder_key, 0, milliseconds(lease_ms), now);
        return true;
    }
    auto count = slot_counts_.find(std::string(key));
    const uint32_t held = count == slot_counts_.end() ? 0 : count->second;
    if (held >= limit) return false;
    slot_holders_.Put(holder_key, 0, milliseconds(lease_ms), now);
    if (count == slot_counts_.end()) {
        slot_counts_.emplace(std::string(key), 1);
    } else {
        ++count->second;
    }
    return true;
}

void MemoryState::ReleaseSlot(std::string_view key, std::string_view holder) {
    const std::string holder_key = SlotHolderKey(key, holder);
    std::lock_guard<std::mutex> lock(mutex_);
    const Clock::time_point now = Clock::now();
    PurgeLocked(now);
    if (slot_holders_.Find(holder_key, now) == nullptr) return;
    slot_holders_.Erase(holder_key);
    auto count = slot_counts_.find(std::string(key));
    if (--count->second == 0) slot_counts_.erase(count);
}

void MemoryState::ListQueue(std::string_view queue,
                            uint32_t limit,
                            const std::function<bool(const sdk::QueuedJob&)>& visit) {
    std::lock_guard<std::mutex> lock(mutex_);
    const Clock::time_point now = Clock::now();
    PurgeLocked(now);
    uint32_t visited = 0;
    queue_index_.ForEach(queue, [&](const std::string& job_id) {
        if (visited >= limit) return false;
        const sdk::JobRecord* found = jobs_.Find(job_id, now);
        if (found == nullptr) return true;  // purged above; cannot happen, but never hand out a stale listing
        ++visited;
        return visit(sdk::QueuedJob{job_id, found->state, found->token, found->body});
    });
}

MemoryState::Footprint MemoryState::Measure() {
    std::lock_guard<std::mutex> lock(mutex_);
    Footprint footprint;
    footprint.jobs = jobs_.size();
    footprint.groups = groups_.size();
    footprint.slot_keys = slot_counts_.size();
    footprint.slot_holders = slot_holders_.size();
    footprint.queue_listings = queue_index_.size();
    footprint.expiring = jobs_.expiring_count() + groups_.expiring_count() + slot_holders_.expiring_count();
    return footprint;
}

void MemoryState::PurgeLocked(Clock::time_point now) {
    jobs_.PurgeDue(now, [&](const std::string& job_id) { queue_index_.Unlist(job_id); });
    groups_.PurgeDue(now);
    slot_holders_.PurgeDue(now, [&](const std::string& holder_key) {
        auto count = slot_counts_.find(std::string(SlotKeyOf(holder_key)));
        if (--count->second == 0) slot_counts_.erase(count);
    });
}

}  // namespace jobber::memory
