#include "jobber/sched/running_jobs.hpp"

#include <Poco/Logger.h>

namespace jobber::sched {

std::shared_ptr<RunningJob> RunningJobs::Add(std::string job_id,
                                             std::string token,
                                             std::string receipt,
                                             plugin::SourceClient* source,
                                             uint64_t query_id,
                                             int64_t timeout_ms,
                                             std::string run_lease_key,
                                             std::string run_lease_holder) {
    auto job = std::make_shared<RunningJob>();
    job->job_id = std::move(job_id);
    job->token = std::move(token);
    job->receipt = std::move(receipt);
    job->source = source;
    job->query_id = query_id;
    job->started = std::chrono::steady_clock::now();
    job->timeout_ms = timeout_ms;
    job->run_lease_key = std::move(run_lease_key);
    job->run_lease_holder = std::move(run_lease_holder);
    std::lock_guard<std::mutex> lock(mutex_);
    if (stop_all_reason_ != StopReason::kNone) job->stop_reason = static_cast<int>(stop_all_reason_);
    jobs_.emplace(job->job_id, job);
    return job;
}

void RunningJobs::Remove(const std::shared_ptr<RunningJob>& job) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto range = jobs_.equal_range(job->job_id);
    for (auto it = range.first; it != range.second; ++it) {
        if (it->second == job) {
            jobs_.erase(it);
            return;
        }
    }
}

void RunningJobs::StopJob(RunningJob& job, StopReason reason) {
    int expected = static_cast<int>(StopReason::kNone);
    if (!job.stop_reason.compare_exchange_strong(expected, static_cast<int>(reason))) return;
    ResendCancel(job);
}

void RunningJobs::ResendCancel(RunningJob& job) {
    job.cancel_sent_at = std::chrono::steady_clock::now().time_since_epoch().count();
    try {
        job.source->Cancel(job.query_id);
    } catch (const std::exception& e) {
        // The job still ends (the runner checks stop_reason between batches); the operator
        // should know the database kept running the query.
        Poco::Logger::get("jobber.sched").error("cancel failed job_id=" + job.job_id + " error=\"" + e.what() + "\"");
    }
}

bool RunningJobs::Stop(const std::string& job_id, const std::string& token, StopReason reason) {
    std::vector<std::shared_ptr<RunningJob>> matches;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto range = jobs_.equal_range(job_id);
        for (auto it = range.first; it != range.second; ++it) {
            if (token.empty() || it->second->token == token) matches.push_back(it->second);
        }
    }
    for (auto& job : matches) StopJob(*job, reason);
    return !matches.empty();
}

void RunningJobs::StopAll(StopReason reason) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_all_reason_ = reason;
    }
    for (auto& job : Snapshot()) StopJob(*job, reason);
}

std::vector<std::shared_ptr<RunningJob>> RunningJobs::Snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::shared_ptr<RunningJob>> out;
    out.reserve(jobs_.size());
    for (const auto& [id, job] : jobs_) out.push_back(job);
    return out;
}

size_t RunningJobs::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return jobs_.size();
}

}  // namespace jobber::sched
