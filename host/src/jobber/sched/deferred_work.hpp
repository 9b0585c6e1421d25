#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace jobber::sched {

// The tail of a finished job (its final state write, its broker ack) run on threads of its own, so a worker takes
// its next job without waiting for those round trips. Only work whose loss a crash makes harmless belongs here:
// a job whose final state is not written yet is taken over after its lease, and a message whose ack is not sent
// comes back and is dropped as stale, so nothing is lost and nothing runs twice beyond what at-least-once allows.
// When `capacity` tasks are already waiting, Post() refuses and the caller runs the work itself (back-pressure: a
// slow state store or broker slows the workers rather than growing a backlog). Thread-safe.
class DeferredWork {
public:
    DeferredWork(size_t threads, size_t capacity);
    ~DeferredWork();  // runs what is queued, then joins
    DeferredWork(const DeferredWork&) = delete;
    DeferredWork& operator=(const DeferredWork&) = delete;

    // False (and `work` untouched) when full or stopping: run it yourself.
    bool Post(std::function<void()>& work);
    // Returns once everything posted so far has run.
    void Flush();

private:
    void Loop();

    const size_t capacity_;
    std::mutex mutex_;
    std::condition_variable work_ready_;
    std::condition_variable drained_;
    std::deque<std::function<void()>> queue_;
    size_t running_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace jobber::sched
