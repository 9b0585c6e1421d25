// Skeleton state store: job records with compare-and-set, group bodies, leased slots. Replace
// every TODO and check it with the state contract suite (jobber/testing/state_contract.hpp).
#include "jobber/sdk/plugin.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using jobber::sdk::Error;

class SkeletonState : public jobber::sdk::StateStore {
public:
    explicit SkeletonState(const jobber::sdk::OpenArgs& args) : url_(args.config.RequireString("url")) {}

    static const std::vector<jobber_config_field>& ConfigFields() {
        static const std::vector<jobber_config_field> fields = {
            {"url", JOBBER_FIELD_STRING, 1, nullptr, "where the store listens"},
        };
        return fields;
    }

    // Atomically: write `record` only if the current state is in `expect_mask` (JOBBER_EXPECT_ABSENT
    // for "no record") and, when given, the token matches. Otherwise return false and fill *current.
    bool CasJob(std::string_view /*job_id*/,
                uint32_t /*expect_mask*/,
                std::optional<std::string_view> /*expect_token*/,
                const jobber::sdk::JobWrite& /*record*/,
                jobber::sdk::JobRecord* /*current*/) override {
        throw Error(JOBBER_UNIMPLEMENTED, "TODO: cas_job");
    }
    std::optional<jobber::sdk::JobRecord> GetJob(std::string_view /*job_id*/) override {
        throw Error(JOBBER_UNIMPLEMENTED, "TODO: get_job");
    }
    void DeleteJob(std::string_view /*job_id*/) override { throw Error(JOBBER_UNIMPLEMENTED, "TODO: delete_job"); }
    void PutGroup(std::string_view /*group_id*/, std::string_view /*body*/, int64_t /*ttl_ms*/) override {
        throw Error(JOBBER_UNIMPLEMENTED, "TODO: put_group");
    }
    std::optional<std::string> GetGroup(std::string_view /*group_id*/) override {
        throw Error(JOBBER_UNIMPLEMENTED, "TODO: get_group");
    }
    void DeleteGroup(std::string_view /*group_id*/) override {
        throw Error(JOBBER_UNIMPLEMENTED, "TODO: delete_group");
    }
    bool AcquireSlot(std::string_view /*key*/,
                     uint32_t /*limit*/,
                     std::string_view /*holder*/,
                     int64_t /*lease_ms*/) override {
        throw Error(JOBBER_UNIMPLEMENTED, "TODO: acquire_slot");
    }
    void ReleaseSlot(std::string_view /*key*/, std::string_view /*holder*/) override {
        throw Error(JOBBER_UNIMPLEMENTED, "TODO: release_slot");
    }
    // Optional (ABI 1.1): list PENDING/RETRY jobs written with JobWrite::queue, for brokers that
    // cannot browse. Leaving it out keeps the SDK's default, UNIMPLEMENTED.
    void ListQueue(std::string_view /*queue*/,
                   uint32_t /*limit*/,
                   const std::function<bool(const jobber::sdk::QueuedJob&)>& /*visit*/) override {
        throw Error(JOBBER_UNIMPLEMENTED, "TODO: list_queue (optional)");
    }

private:
    std::string url_;
};

}  // namespace

JOBBER_PLUGIN("skeleton_state", "0.1.0", "Skeleton state store (replace me)", jobber::sdk::StateRole<SkeletonState>)
