#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "jobber/plugin/source_client.hpp"

namespace jobber::sched {

enum class StopReason : int { kNone = 0, kCancelled = 1, kTimeout = 2, kShutdown = 3 };

// One job executing in this process: what the watchdog needs to keep its broker lease alive and
// to stop its query from another thread.
struct RunningJob {
    std::string job_id;
    std::string token;
    std::string receipt;
    plugin::SourceClient* source = nullptr;
    uint64_t query_id = 0;
    std::chrono::steady_clock::time_point started;
    int64_t timeout_ms = 0;
    // The run lease (run_lease.hpp) the watchdog refreshes for this run; empty key: none.
    std::string run_lease_key;
    std::string run_lease_holder;
    std::atomic<int> stop_reason{static_cast<int>(StopReason::kNone)};
    // steady_clock ticks of the last cancel sent, so the watchdog can repeat a cancel that raced
    // with the query's start.
    std::atomic<int64_t> cancel_sent_at{0};

    StopReason reason() const { return static_cast<StopReason>(stop_reason.load()); }
};

// Registry of the jobs running in this process. Thread-safe.
class RunningJobs {
public:
    std::shared_ptr<RunningJob> Add(std::string job_id,
                                    std::string token,
                                    std::string receipt,
                                    plugin::SourceClient* source,
                                    uint64_t query_id,
                                    int64_t timeout_ms,
                                    std::string run_lease_key = {},
                                    std::string run_lease_holder = {});
    void Remove(const std::shared_ptr<RunningJob>& job);

    // Asks the job's query to stop (first reason wins); true when the job runs here.
    bool Stop(const std::string& job_id, const std::string& token, StopReason reason);
    // Stops every running job, and every job added from now on (shutdown).
    void StopAll(StopReason reason);

    std::vector<std::shared_ptr<RunningJob>> Snapshot() const;
    size_t size() const;

    // Stops one job: records the reason (first wins) and cancels its query in the database.
    static void StopJob(RunningJob& job, StopReason reason);
    // Sends the cancel again for a job already stopped (the first may have preceded the query).
    static void ResendCancel(RunningJob& job);

private:
    mutable std::mutex mutex_;
    StopReason stop_all_reason_ = StopReason::kNone;
    std::multimap<std::string, std::shared_ptr<RunningJob>> jobs_;
};

}  // namespace jobber::sched
