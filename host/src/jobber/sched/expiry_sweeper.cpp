#include "jobber/sched/expiry_sweeper.hpp"

#include <Poco/Logger.h>

namespace jobber::sched {

ExpirySweeper::ExpirySweeper(service::Backends& backends, std::chrono::milliseconds interval)
    : backends_(backends), interval_(interval) {}

ExpirySweeper::~ExpirySweeper() {
    Stop();
}

void ExpirySweeper::Start() {
    thread_ = std::thread([this] {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            SweepOnce();
            lock.lock();
            wake_.wait_for(lock, interval_, [this] { return stopping_; });
        }
    });
}

void ExpirySweeper::Stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

uint64_t ExpirySweeper::SweepOnce() {
    uint64_t total = 0;
    const int64_t now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    for (auto& [name, entry] : backends_.results) {
        try {
            const uint64_t dropped = entry.client->Sweep(now);
            total += dropped;
            if (dropped > 0) {
                Poco::Logger::get("jobber.sched")
                    .information("expired results tables dropped results=" + name +
                                 " count=" + std::to_string(dropped));
            }
        } catch (const std::exception& e) {
            Poco::Logger::get("jobber.sched")
                .warning("expiry sweep failed results=" + name + " error=\"" + e.what() + "\"");
        }
    }
    return total;
}

}  // namespace jobber::sched
