#include "query_registry.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"

namespace jobber::mysql {

namespace {
constexpr std::chrono::milliseconds kRecheckUnattached{50};
}  // namespace

QueryControl::QueryControl(uint64_t id, int64_t timeout_ms)
    : id_(id),
      timeout_ms_(timeout_ms),
      deadline_(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : 0)) {}

bool QueryControl::PastDeadline() const {
    return timeout_ms_ > 0 && std::chrono::steady_clock::now() >= deadline_;
}

bool QueryControl::ShouldStop() const {
    return cancelled_.load() || PastDeadline();
}

void QueryControl::Check() const {
    if (ShouldStop()) ThrowStopped();
}

void QueryControl::ThrowStopped() const {
    // An explicit cancel wins over a deadline that passed at about the same time.
    if (!cancelled_.load() && PastDeadline()) {
        throw sdk::Error(JOBBER_DEADLINE_EXCEEDED,
                         "query exceeded its timeout of " + std::to_string(timeout_ms_) + "ms and was killed");
    }
    throw sdk::Error(JOBBER_CANCELLED, "query cancelled (KILL QUERY sent to the MySQL server)");
}

QueryRegistry::QueryRegistry(KillFunction kill) : kill_(std::move(kill)), reaper_([this] { ReaperLoop(); }) {}

QueryRegistry::~QueryRegistry() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    reaper_.join();
}

std::shared_ptr<QueryControl> QueryRegistry::Register(uint64_t id, int64_t timeout_ms) {
    auto control = std::make_shared<QueryControl>(id, timeout_ms);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        running_.emplace(id, control);
        ++generation_;
    }
    if (control->has_deadline()) changed_.notify_all();
    return control;
}

void QueryRegistry::Attach(QueryControl& control, unsigned long thread_id) {
    {
        std::lock_guard<std::mutex> lock(control.kill_mutex_);
        control.thread_id_ = thread_id;
    }
    // A cancel that came while the query waited for a connection found no thread to kill; the
    // caller checks ShouldStop() after attaching, so it does not start the query at all.
}

void QueryRegistry::Detach(QueryControl& control) {
    std::lock_guard<std::mutex> lock(control.kill_mutex_);
    control.thread_id_ = 0;
}

void QueryRegistry::Unregister(const QueryControl& control) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [begin, end] = running_.equal_range(control.id());
    for (auto it = begin; it != end; ++it) {
        if (it->second.get() == &control) {
            running_.erase(it);
            return;
        }
    }
}

void QueryRegistry::Kill(QueryControl& control) {
    std::lock_guard<std::mutex> lock(control.kill_mutex_);
    if (control.thread_id_ == 0 || control.killed_.load()) return;
    control.killed_.store(true);
    try {
        kill_(control.thread_id_);
    } catch (const std::exception& e) {
        // The query keeps running in the server until it ends; the stream still stops at the next
        // row it reads, because the control is marked.
        sdk::Log(sdk::LogLevel::kError, "mysql",
                 "KILL QUERY " + std::to_string(control.thread_id_) + " for query " + std::to_string(control.id()) +
                     " failed: " + e.what());
    }
}

void QueryRegistry::Cancel(uint64_t id) {
    std::vector<std::shared_ptr<QueryControl>> targets;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto [begin, end] = running_.equal_range(id);
        for (auto it = begin; it != end; ++it) targets.push_back(it->second);
    }
    // Outside the registry lock: a KILL is a network round trip.
    for (const auto& control : targets) {
        control->MarkCancelled();
        Kill(*control);
    }
}

void QueryRegistry::ReaperLoop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        const uint64_t seen = generation_;
        const auto now = std::chrono::steady_clock::now();
        auto next = now + std::chrono::hours(1);
        std::vector<std::shared_ptr<QueryControl>> expired;
        for (const auto& [id, control] : running_) {
            if (!control->has_deadline() || control->killed()) continue;
            if (control->deadline() <= now) {
                expired.push_back(control);
            } else if (control->deadline() < next) {
                next = control->deadline();
            }
        }
        if (!expired.empty()) {
            lock.unlock();
            bool waiting = false;
            for (const auto& control : expired) {
                Kill(*control);
                // Still waiting for a connection: nothing to kill yet; it stops itself on its next
                // check, and is looked at again shortly in case it attaches first.
                waiting = waiting || !control->killed();
            }
            lock.lock();
            if (waiting) next = std::min(next, std::chrono::steady_clock::now() + kRecheckUnattached);
        }
        // Registered, or told to stop, while the lock was released for the kills: look again. A stop
        // whose notify came during a KILL round trip would otherwise be slept through (up to an
        // hour), hanging the destructor's join.
        if (generation_ != seen || stopping_) continue;
        changed_.wait_until(lock, next);
    }
}

QueryRegistration::QueryRegistration(std::shared_ptr<QueryRegistry> registry, uint64_t id, int64_t timeout_ms)
    : registry_(std::move(registry)), control_(registry_->Register(id, timeout_ms)) {}

void QueryRegistration::Unregister() {
    if (!registered_) return;
    registered_ = false;
    registry_->Detach(*control_);
    registry_->Unregister(*control_);
}

}  // namespace jobber::mysql
