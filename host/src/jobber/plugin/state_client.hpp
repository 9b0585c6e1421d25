#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "jobber/abi/state.h"
#include "jobber/plugin/instance_context.hpp"

namespace jobber::plugin {

struct StoredJob {
    int32_t state = 0;  // JOBBER_JOB_*, 0 when absent
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

    CasResult CasJob(const std::string& job_id,
                     uint32_t expect_mask,
                     const std::string* expect_token,
                     int32_t new_state,
                     const std::string& token,
                     const std::string& body,
                     int64_t ttl_ms);
    std::optional<StoredJob> GetJob(const std::string& job_id);
    void DeleteJob(const std::string& job_id);
    void PutGroup(const std::string& group_id, const std::string& body, int64_t ttl_ms);
    std::optional<std::string> GetGroup(const std::string& group_id);
    void DeleteGroup(const std::string& group_id);
    bool AcquireSlot(const std::string& key, uint32_t limit, const std::string& holder, int64_t lease_ms);
    void ReleaseSlot(const std::string& key, const std::string& holder);
    void Ping();

    const std::string& label() const { return context_.label(); }

private:
    InstanceContext context_;
    const jobber_state_vtable* vtable_;
    jobber_state* handle_ = nullptr;
};

}  // namespace jobber::plugin
