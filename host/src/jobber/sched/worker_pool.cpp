#include "jobber/sched/worker_pool.hpp"

#include <Poco/Logger.h>

#include <algorithm>

namespace jobber::sched {

namespace {
Poco::Logger& Log() {
    return Poco::Logger::get("jobber.sched");
}
}  // namespace

WorkerPool::WorkerPool(plugin::BrokerClient& broker, JobRunner& runner, WorkerPoolSettings settings)
    : broker_(broker), runner_(runner), settings_(std::move(settings)) {}

WorkerPool::~WorkerPool() {
    stopping_ = true;
    Join();
}

void WorkerPool::Start() {
    for (int i = 0; i < settings_.concurrency; ++i) threads_.emplace_back([this, i] { Loop(i); });
    std::string queues;
    for (const auto& q : settings_.queues) queues += (queues.empty() ? "" : ",") + q;
    Log().information("workers started concurrency=" + std::to_string(settings_.concurrency) + " queues=" + queues);
}

bool WorkerPool::StopAccepting(std::chrono::milliseconds grace) {
    stopping_ = true;
    std::unique_lock<std::mutex> lock(mutex_);
    return idle_.wait_for(lock, grace, [this] { return busy_.load() == 0; });
}

void WorkerPool::Join() {
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
    threads_.clear();
    // Finished jobs may still be recording their state or acking; that must happen before the backends close.
    runner_.FlushDeferred();
}

void WorkerPool::Loop(int index) {
    auto backoff = std::chrono::milliseconds(100);
    while (!stopping_) {
        std::optional<plugin::Delivery> delivery;
        try {
            delivery = broker_.Pop(settings_.queues, settings_.poll_wait, settings_.lease);
            backoff = std::chrono::milliseconds(100);
        } catch (const std::exception& e) {
            // Broker unreachable: keep the thread, back off, try again.
            Log().warning("worker " + std::to_string(index) + " cannot reach the broker: " + e.what());
            std::this_thread::sleep_for(backoff);
            backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
            continue;
        }
        if (!delivery) continue;
        busy_.fetch_add(1);
        try {
            runner_.Run(*delivery);
        } catch (const std::exception& e) {
            // Infrastructure failed around the job (state store down, say). The broker lease
            // brings the job back; requeueing just makes that sooner.
            Log().error(std::string("job run aborted, will be redelivered queue=") + delivery->queue + " error=\"" +
                        e.what() + "\"");
            try {
                broker_.Requeue(delivery->receipt, 0);
            } catch (const std::exception& requeue_error) {
                Log().warning(std::string("requeue failed; the lease will expire instead: ") + requeue_error.what());
            }
            std::this_thread::sleep_for(backoff);
            backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
        }
        if (busy_.fetch_sub(1) == 1) {
            std::lock_guard<std::mutex> lock(mutex_);
            idle_.notify_all();
        }
    }
}

}  // namespace jobber::sched
