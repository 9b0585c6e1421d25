#include "jobber/sched/job_watchdog.hpp"

#include <Poco/Logger.h>

namespace jobber::sched {

JobWatchdog::JobWatchdog(plugin::BrokerClient& broker,
                         plugin::StateClient& state,
                         RunningJobs& running,
                         std::chrono::milliseconds lease,
                         std::chrono::milliseconds tick)
    : broker_(broker), state_(state), running_(running), lease_(lease), tick_(tick) {}

JobWatchdog::~JobWatchdog() {
    Stop();
}

void JobWatchdog::Start() {
    thread_ = std::thread([this] { Loop(); });
}

void JobWatchdog::Stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void JobWatchdog::Loop() {
    auto last_extend = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, tick_, [this] { return stopping_; });
        if (stopping_) break;
        lock.unlock();
        const auto now = std::chrono::steady_clock::now();
        const bool extend = now - last_extend >= lease_ / 4;
        if (extend) last_extend = now;
        try {
            Tick(extend);
        } catch (const std::exception& e) {
            Poco::Logger::get("jobber.sched").warning(std::string("watchdog tick failed: ") + e.what());
        }
        lock.lock();
    }
}

void JobWatchdog::Tick(bool extend_leases) {
    const auto now = std::chrono::steady_clock::now();
    for (const auto& job : running_.Snapshot()) {
        if (job->reason() != StopReason::kNone) {
            const auto sent =
                std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(job->cancel_sent_at.load()));
            if (now - sent > std::chrono::seconds(1)) RunningJobs::ResendCancel(*job);
            continue;
        }
        if (job->timeout_ms > 0 &&
            now - job->started > std::chrono::milliseconds(job->timeout_ms) + std::chrono::seconds(1)) {
            RunningJobs::StopJob(*job, StopReason::kTimeout);
            continue;
        }
        auto stored = state_.GetJob(job->job_id);
        // A job is registered just before it is claimed, so PENDING/RETRY with our token means "about
        // to start", not "cancelled"; only a finished, replaced or deleted record stops it.
        const bool ours = stored && stored->token == job->token &&
                          (stored->state == JOBBER_JOB_STARTED || stored->state == JOBBER_JOB_PENDING ||
                           stored->state == JOBBER_JOB_RETRY);
        if (!ours) {
            RunningJobs::StopJob(*job, StopReason::kCancelled);
            continue;
        }
        if (!extend_leases) continue;
        broker_.Extend(job->receipt, lease_);
        if (!job->run_lease_key.empty() &&
            !state_.AcquireSlot(job->run_lease_key, 1, job->run_lease_holder, lease_.count())) {
            // Someone took this run over while we could not refresh it (cut off from the state store
            // for a whole lease). Only one of the two can record the result; the other's is discarded.
            Poco::Logger::get("jobber.sched")
                .warning("run lease lost to another worker job_id=" + job->job_id + " key=" + job->run_lease_key);
        }
    }
}

}  // namespace jobber::sched
