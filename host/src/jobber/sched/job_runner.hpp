#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "jobber/jobs/job.hpp"
#include "jobber/jobs/job_id.hpp"
#include "jobber/plugin/broker_client.hpp"
#include "jobber/sched/db_admission.hpp"
#include "jobber/sched/deferred_work.hpp"
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
    // Threads finishing jobs off the workers' path (final state write, ack; see DeferredWork), and how many
    // finished jobs may wait for them before workers finish their own.
    size_t finisher_threads = 2;
    size_t finisher_backlog = 64;
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
    // Finishes what is still deferred; call once no worker runs jobs any more, before the backends close.
    void FlushDeferred() { deferred_.Flush(); }

private:
    enum class Outcome { kDone, kReadState };
    struct Success;
    // One try at running the delivery: from the record the message carries, or from the state store's.
    Outcome Attempt(const plugin::Delivery& delivery, const jobs::JobMessage& message, bool from_message);
    // Records SUCCESS (or, when a cancel won, drops the published table) and acks.
    void FinishSuccess(const Success& done);
    // Acks a message whose outcome is recorded, on a finisher thread when one is free.
    void Ack(const std::string& receipt);

    service::Backends& backends_;
    CatalogGetter catalog_;
    RunningJobs& running_;
    DbAdmission& admission_;
    RunnerSettings settings_;
    std::atomic<uint64_t> next_query_id_{1};
    // Makes run-lease holders unique across processes whatever their worker names.
    const std::string run_nonce_ = jobs::GenerateId();
    DeferredWork deferred_;
};

}  // namespace jobber::sched
