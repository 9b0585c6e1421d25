#include "jobber/sched/deferred_work.hpp"

#include <Poco/Logger.h>

namespace jobber::sched {

DeferredWork::DeferredWork(size_t threads, size_t capacity) : capacity_(capacity) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

DeferredWork::~DeferredWork() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    work_ready_.notify_all();
    for (auto& t : threads_) t.join();
}

bool DeferredWork::Post(std::function<void()>& work) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_ || threads_.empty() || queue_.size() >= capacity_) return false;
        queue_.push_back(std::move(work));
    }
    work_ready_.notify_one();
    return true;
}

void DeferredWork::Flush() {
    std::unique_lock<std::mutex> lock(mutex_);
    drained_.wait(lock, [this] { return queue_.empty() && running_ == 0; });
}

void DeferredWork::Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and nothing left to run
        auto work = std::move(queue_.front());
        queue_.pop_front();
        ++running_;
        lock.unlock();
        try {
            work();
        } catch (const std::exception& e) {
            // Each task handles its own failures; this is the last line, so the thread survives.
            Poco::Logger::get("jobber.sched").error(std::string("deferred job work failed: ") + e.what());
        }
        lock.lock();
        --running_;
        if (queue_.empty() && running_ == 0) drained_.notify_all();
    }
}

}  // namespace jobber::sched
