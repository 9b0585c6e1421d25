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
    std::atomic<int> stop_reason{static_cast<int>(StopReason::kNone)};

    StopReason reason() const { return static_cast<StopReason>(stop_reason.load()); }
};

// Registry of the jobs running in this process. Thread-safe.
class RunningJobs {
public:
    std::shared_ptr<RunningJob> Add(std::string job_id, std::string token, std::string receipt,
                                    plugin::SourceClient* source, uint64_t query_id, int64_t timeout_ms);
    void Remove(const std::shared_ptr<RunningJob>& job);

    // Asks the job's query to stop (first reason wins); true when the job runs here.
    bool Stop(const std::string& job_id, const std::string& token, StopReason reason);
    void StopAll(StopReason reason);

    std::vector<std::shared_ptr<RunningJob>> Snapshot() const;
    size_t size() const;

    // Stops one job: records the reason and cancels its query in the database.
    static void StopJob(RunningJob& job, StopReason reason);

private:
    mutable std::mutex mutex_;
    std::multimap<std::string, std::shared_ptr<RunningJob>> jobs_;
};

}  // namespace jobber::sched
