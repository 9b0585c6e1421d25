#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "jobber/service/backends.hpp"

namespace jobber::sched {

// Drops expired results tables in every results backend, periodically. A backend that is down is
// logged and tried again next round; the sweeper never stops on errors.
class ExpirySweeper {
public:
    ExpirySweeper(service::Backends& backends, std::chrono::milliseconds interval);
    ~ExpirySweeper();
    void Start();
    void Stop();
    // One round now; returns tables dropped.
    uint64_t SweepOnce();

private:
    service::Backends& backends_;
    std::chrono::milliseconds interval_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace jobber::sched
