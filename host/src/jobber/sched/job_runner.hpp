#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "jobber/plugin/broker_client.hpp"
#include "jobber/sched/db_admission.hpp"
#include "jobber/sched/running_jobs.hpp"
#include "jobber/service/backends.hpp"
#include "jobber/service/task_catalog.hpp"

namespace jobber::sched {

struct RunnerSettings {
    std::string worker_name = "sqljobber";
    std::chrono::milliseconds lease{60000};
    // How often a group job that found its group at its concurrency limit looks again.
    std::chrono::milliseconds group_wait{500};
    int64_t batch_rows = 10000;
};

// Runs one delivered job from start to final state: claims it in the state store, runs the query,
// streams the rows into the results backend, publishes the table, records the outcome and acks.
// Every failure path ends in a recorded state and a broker ack or requeue; nothing escapes.
class JobRunner {
public:
    using CatalogGetter = std::function<std::shared_ptr<const service::TaskCatalog>()>;

    JobRunner(service::Backends& backends,
              CatalogGetter catalog,
              RunningJobs& running,
              DbAdmission& admission,
              RunnerSettings settings);

    void Run(const plugin::Delivery& delivery);

private:
    service::Backends& backends_;
    CatalogGetter catalog_;
    RunningJobs& running_;
    DbAdmission& admission_;
    RunnerSettings settings_;
    std::atomic<uint64_t> next_query_id_{1};
};

}  // namespace jobber::sched
