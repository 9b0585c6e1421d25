#include "query_control.hpp"

#include <string>
#include <utility>

#include "jobber/sdk/error.hpp"

namespace jobber::sqlite {

namespace {
// VM instructions between progress-handler calls: frequent enough to stop a query within
// milliseconds, rare enough to cost nothing measurable.
constexpr int kProgressInstructions = 1000;
}  // namespace

QueryControl::QueryControl(uint64_t id, int64_t timeout_ms)
    : id_(id),
      timeout_ms_(timeout_ms),
      deadline_(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : 0)) {}

bool QueryControl::PastDeadline() const {
    return timeout_ms_ > 0 && std::chrono::steady_clock::now() >= deadline_;
}

bool QueryControl::ShouldStop() const {
    return cancelled_.load(std::memory_order_relaxed) || PastDeadline();
}

void QueryControl::Check() const {
    if (ShouldStop()) ThrowStopped();
}

void QueryControl::ThrowStopped() const {
    // An explicit cancel wins over a deadline that passed at about the same time.
    if (!cancelled_.load(std::memory_order_relaxed) && PastDeadline()) {
        throw sdk::Error(JOBBER_DEADLINE_EXCEEDED,
                         "query exceeded its timeout of " + std::to_string(timeout_ms_) + "ms");
    }
    throw sdk::Error(JOBBER_CANCELLED, "query cancelled");
}

int QueryControl::ProgressHandler(void* self) {
    return static_cast<QueryControl*>(self)->ShouldStop() ? 1 : 0;
}

void QueryControl::Install(sqlite3* db) {
    sqlite3_progress_handler(db, kProgressInstructions, &ProgressHandler, this);
}

void QueryControl::Uninstall(sqlite3* db) {
    sqlite3_progress_handler(db, 0, nullptr, nullptr);
}

std::shared_ptr<QueryControl> QueryRegistry::Register(uint64_t id, int64_t timeout_ms) {
    auto control = std::make_shared<QueryControl>(id, timeout_ms);
    std::lock_guard<std::mutex> lock(mutex_);
    running_.emplace(id, Entry{control, nullptr});
    return control;
}

void QueryRegistry::Attach(const QueryControl& control, sqlite3* db) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [begin, end] = running_.equal_range(control.id());
    for (auto it = begin; it != end; ++it) {
        if (it->second.control.get() == &control) it->second.db = db;
    }
}

void QueryRegistry::Unregister(const QueryControl& control) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [begin, end] = running_.equal_range(control.id());
    for (auto it = begin; it != end; ++it) {
        if (it->second.control.get() == &control) {
            running_.erase(it);
            return;
        }
    }
}

void QueryRegistry::Cancel(uint64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [begin, end] = running_.equal_range(id);
    for (auto it = begin; it != end; ++it) {
        it->second.control->Cancel();
        // Safe from any thread; holding the lock guarantees the connection is still this query's.
        if (it->second.db != nullptr) sqlite3_interrupt(it->second.db);
    }
}

QueryRegistration::QueryRegistration(std::shared_ptr<QueryRegistry> registry, uint64_t id, int64_t timeout_ms)
    : registry_(std::move(registry)), control_(registry_->Register(id, timeout_ms)) {}

void QueryRegistration::Unregister() {
    if (!registered_) return;
    registered_ = false;
    registry_->Unregister(*control_);
}

}  // namespace jobber::sqlite
