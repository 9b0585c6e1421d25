#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jobber/abi/state.h"
#include "jobber/plugin/instance_context.hpp"

namespace jobber::plugin {

struct StoredJob {
    int32_t state = 0;  // JOBBER_JOB_*, 0 when absent
    std::string token;
    std::string body;
};

// A job the store lists under a queue (ABI 1.1 queue index).
struct QueuedRecord {
    std::string job_id;
    int32_t state = 0;
    std::string token;
    std::string body;
};

struct CasResult {
    bool ok = false;
    StoredJob current;  // what was found, when !ok
};

// An open state store instance. Thread-safe.
class StateClient {
public:
    StateClient(std::shared_ptr<PluginLibrary> library, std::string instance_name, OptionList options);
    ~StateClient();
    StateClient(const StateClient&) = delete;
    StateClient& operator=(const StateClient&) = delete;

    // `queue`: where a PENDING or RETRY job waits, so the store can list it (empty: not listed).
    CasResult CasJob(const std::string& job_id,
                     uint32_t expect_mask,
                     const std::string* expect_token,
                     int32_t new_state,
                     const std::string& token,
                     const std::string& body,
                     int64_t ttl_ms,
                     const std::string& queue = {});
    std::optional<StoredJob> GetJob(const std::string& job_id);
    void DeleteJob(const std::string& job_id);
    void PutGroup(const std::string& group_id, const std::string& body, int64_t ttl_ms);
    std::optional<std::string> GetGroup(const std::string& group_id);
    void DeleteGroup(const std::string& group_id);
    bool AcquireSlot(const std::string& key, uint32_t limit, const std::string& holder, int64_t lease_ms);
    void ReleaseSlot(const std::string& key, const std::string& holder);
    void Ping();
    // Jobs still pending or retrying under `queue`, oldest listing first, at most `limit`;
    // nullopt when the store keeps no queue index (an ABI 1.0 plugin, or it says UNIMPLEMENTED).
    std::optional<std::vector<QueuedRecord>> ListQueue(const std::string& queue, size_t limit);

    const std::string& label() const { return context_.label(); }

private:
    InstanceContext context_;
    const jobber_state_vtable* vtable_;
    jobber_state* handle_ = nullptr;
};

}  // namespace jobber::plugin
