#include "jobber/plugin/state_client.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace jobber::plugin {

using jobber::sdk::ErrorSlot;

namespace {
StoredJob TakeRecord(jobber_job_record& raw) {
    StoredJob job;
    job.state = raw.state;
    job.token = raw.token != nullptr ? raw.token : "";
    job.body.assign(raw.body != nullptr ? raw.body : "", raw.body_size);
    if (raw.release != nullptr) raw.release(&raw);
    return job;
}
}  // namespace

StateClient::StateClient(std::shared_ptr<PluginLibrary> library, std::string instance_name, OptionList options)
    : context_(library, "state", std::move(instance_name), std::move(options)), vtable_(library->state()) {
    if (vtable_ == nullptr) throw PluginError(JOBBER_INVALID_ARGUMENT, context_.label() + " is not a state store");
    ErrorSlot error;
    context_.Check("open", vtable_->open(context_.open_args(), &handle_, error.get()), error);
}

StateClient::~StateClient() {
    if (handle_ != nullptr) vtable_->close(handle_);
}

CasResult StateClient::CasJob(const std::string& job_id,
                              uint32_t expect_mask,
                              const std::string* expect_token,
                              int32_t new_state,
                              const std::string& token,
                              const std::string& body,
                              int64_t ttl_ms,
                              const std::string& queue) {
    jobber_job_write write{sizeof(jobber_job_write),
                           new_state,
                           token.c_str(),
                           body.data(),
                           body.size(),
                           ttl_ms,
                           queue.empty() ? nullptr : queue.c_str()};
    jobber_job_record current{};
    current.struct_size = sizeof(current);
    ErrorSlot error;
    const jobber_code code =
        vtable_->cas_job(handle_, job_id.c_str(), expect_mask,
                         expect_token != nullptr ? expect_token->c_str() : nullptr, &write, &current, error.get());
    CasResult result;
    if (code == JOBBER_FAILED_PRECONDITION) {
        result.current = TakeRecord(current);
        return result;
    }
    context_.Check("compare-and-set job", code, error);
    result.ok = true;
    return result;
}

std::optional<StoredJob> StateClient::GetJob(const std::string& job_id) {
    jobber_job_record raw{};
    raw.struct_size = sizeof(raw);
    ErrorSlot error;
    const jobber_code code = vtable_->get_job(handle_, job_id.c_str(), &raw, error.get());
    if (code == JOBBER_NOT_FOUND) return std::nullopt;
    context_.Check("get job", code, error);
    return TakeRecord(raw);
}

void StateClient::DeleteJob(const std::string& job_id) {
    ErrorSlot error;
    context_.Check("delete job", vtable_->delete_job(handle_, job_id.c_str(), error.get()), error);
}

void StateClient::PutGroup(const std::string& group_id, const std::string& body, int64_t ttl_ms) {
    ErrorSlot error;
    context_.Check("put group",
                   vtable_->put_group(handle_, group_id.c_str(), body.data(), body.size(), ttl_ms, error.get()), error);
}

std::optional<std::string> StateClient::GetGroup(const std::string& group_id) {
    jobber_buffer raw{};
    ErrorSlot error;
    const jobber_code code = vtable_->get_group(handle_, group_id.c_str(), &raw, error.get());
    if (code == JOBBER_NOT_FOUND) return std::nullopt;
    context_.Check("get group", code, error);
    std::string body(raw.data != nullptr ? raw.data : "", raw.size);
    if (raw.release != nullptr) raw.release(&raw);
    return body;
}

void StateClient::DeleteGroup(const std::string& group_id) {
    ErrorSlot error;
    context_.Check("delete group", vtable_->delete_group(handle_, group_id.c_str(), error.get()), error);
}

bool StateClient::AcquireSlot(const std::string& key, uint32_t limit, const std::string& holder, int64_t lease_ms) {
    int32_t acquired = 0;
    ErrorSlot error;
    context_.Check("acquire slot",
                   vtable_->acquire_slot(handle_, key.c_str(), limit, holder.c_str(), lease_ms, &acquired, error.get()),
                   error);
    return acquired != 0;
}

void StateClient::ReleaseSlot(const std::string& key, const std::string& holder) {
    ErrorSlot error;
    context_.Check("release slot", vtable_->release_slot(handle_, key.c_str(), holder.c_str(), error.get()), error);
}

void StateClient::Ping() {
    ErrorSlot error;
    context_.Check("ping", vtable_->ping(handle_, error.get()), error);
}

std::optional<std::vector<QueuedRecord>> StateClient::ListQueue(const std::string& queue, size_t limit) {
    // A 1.0 store's vtable ends before list_queue.
    if (vtable_->struct_size < offsetof(jobber_state_vtable, list_queue) + sizeof(vtable_->list_queue) ||
        vtable_->list_queue == nullptr) {
        return std::nullopt;
    }
    std::vector<QueuedRecord> jobs;
    auto visit = [](void* ctx, const jobber_queued_job* job) -> int32_t {
        auto* out = static_cast<std::vector<QueuedRecord>*>(ctx);
        out->push_back(QueuedRecord{job->job_id != nullptr ? job->job_id : "", job->state,
                                    job->token != nullptr ? job->token : "",
                                    std::string(job->body != nullptr ? job->body : "", job->body_size)});
        return 0;
    };
    const auto capped = static_cast<uint32_t>(std::min<size_t>(limit, UINT32_MAX));
    ErrorSlot error;
    const jobber_code code = vtable_->list_queue(handle_, queue.c_str(), capped, visit, &jobs, error.get());
    if (code == JOBBER_UNIMPLEMENTED) return std::nullopt;
    context_.Check("list queue", code, error);
    return jobs;
}

}  // namespace jobber::plugin
