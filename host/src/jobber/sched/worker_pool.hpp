#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "jobber/sched/job_runner.hpp"

namespace jobber::sched {

struct WorkerPoolSettings {
    std::vector<std::string> queues;
    int concurrency = 10;
    std::chrono::milliseconds poll_wait{1000};
    std::chrono::milliseconds lease{60000};
};

// A fixed number of worker threads pulling jobs from the broker; the fixed count is what keeps the
// load on the source databases bounded.
class WorkerPool {
public:
    WorkerPool(plugin::BrokerClient& broker, JobRunner& runner, WorkerPoolSettings settings);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void Start();
    // Stops taking new jobs; returns once idle or after `grace` (then running jobs are still going).
    bool StopAccepting(std::chrono::milliseconds grace);
    // Joins every thread and sends the acks still queued; call after running jobs were stopped.
    void Join();

    int busy() const { return busy_.load(); }

private:
    void Loop(int index);

    plugin::BrokerClient& broker_;
    JobRunner& runner_;
    WorkerPoolSettings settings_;
    std::atomic<bool> stopping_{false};
    std::atomic<int> busy_{0};
    std::mutex mutex_;
    std::condition_variable idle_;
    std::vector<std::thread> threads_;
};

}  // namespace jobber::sched
