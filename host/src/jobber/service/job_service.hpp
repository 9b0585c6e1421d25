#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "jobber/jobs/job.hpp"
#include "jobber/jobs/job_request.hpp"
#include "jobber/sched/running_jobs.hpp"
#include "jobber/service/backends.hpp"
#include "jobber/service/service_settings.hpp"
#include "jobber/service/task_catalog.hpp"

namespace jobber::service {

struct GroupStatus {
    jobs::GroupRecord group;
    jobs::JobState state = jobs::JobState::kPending;
    std::vector<jobs::JobRecord> jobs;  // in submission order; missing (expired) ones left out
};

struct QueuedJob {
    jobs::JobRecord record;
    int64_t eta_ms = 0;  // when it becomes deliverable; 0 = ready
};

// The API's logic, free of HTTP: every method takes and returns plain structs and throws ApiError
// for anything the client should hear about.
class JobService {
public:
    using CatalogGetter = std::function<std::shared_ptr<const TaskCatalog>()>;

    JobService(Backends& backends, CatalogGetter catalog, sched::RunningJobs& running, ServiceSettings settings);

    std::shared_ptr<const TaskCatalog> catalog() const { return catalog_(); }

    jobs::JobRecord PostJob(const std::string& task_name, const jobs::JobRequest& request);
    jobs::JobRecord GetJob(const std::string& job_id);
    // Cancels a pending or running job (it ends FAILURE, leaving no table). With purge, also
    // removes the job's state and results table; without, cancelling a finished job is a 409.
    jobs::JobRecord CancelJob(const std::string& job_id, bool purge);

    GroupStatus PostGroup(const jobs::GroupRequest& request);
    GroupStatus GetGroup(const std::string& group_id);
    GroupStatus CancelGroup(const std::string& group_id, bool purge);

    std::vector<QueuedJob> ListQueue(const std::string& queue);

    Backends& backends() { return backends_; }

private:
    struct PreparedJob {
        jobs::JobRecord record;
        std::string token;
        int64_t state_ttl_ms = 0;
    };
    PreparedJob Prepare(const std::string& task_name,
                        const jobs::JobRequest& request,
                        const std::string& group_id,
                        uint32_t group_concurrency);
    void Claim(const PreparedJob& job);
    void Enqueue(PreparedJob& job);
    std::vector<QueuedJob> ListQueueFromState(const std::string& queue);

    Backends& backends_;
    CatalogGetter catalog_;
    sched::RunningJobs& running_;
    ServiceSettings settings_;
};

}  // namespace jobber::service
