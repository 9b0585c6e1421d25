#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "jobber/plugin/broker_client.hpp"
#include "jobber/plugin/state_client.hpp"
#include "jobber/sched/running_jobs.hpp"

namespace jobber::sched {

// Looks after the jobs running in this process once per tick: extends their broker leases (so a
// long job is not redelivered while its worker lives), stops those whose state record says they
// were cancelled elsewhere, and stops those past their timeout in case a source ignores it.
class JobWatchdog {
public:
    JobWatchdog(plugin::BrokerClient& broker,
                plugin::StateClient& state,
                RunningJobs& running,
                std::chrono::milliseconds lease,
                std::chrono::milliseconds tick = std::chrono::milliseconds(250));
    ~JobWatchdog();
    void Start();
    void Stop();

private:
    void Loop();
    void Tick(bool extend_leases);

    plugin::BrokerClient& broker_;
    plugin::StateClient& state_;
    RunningJobs& running_;
    std::chrono::milliseconds lease_;
    std::chrono::milliseconds tick_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace jobber::sched
