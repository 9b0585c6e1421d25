#include "query_control.hpp"

#include <string>
#include <utility>
#include <vector>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"

namespace jobber::postgres {

QueryControl::QueryControl(uint64_t id, int64_t timeout_ms, std::string component)
    : id_(id),
      timeout_ms_(timeout_ms),
      deadline_(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : 0)),
      component_(std::move(component)) {}

void QueryControl::Cancel() {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_.store(true);
    SendCancelLocked();
}

void QueryControl::SendCancelOnce() {
    std::lock_guard<std::mutex> lock(mutex_);
    SendCancelLocked();
}

void QueryControl::SendCancelLocked() {
    if (connection_ == nullptr || cancel_sent_.load()) return;
    cancel_sent_.store(true);
    std::string error;
    if (!connection_->SendCancel(&error)) {
        // The query's own thread notices the stop flag too and gives the connection up if the
        // server never answers; log why the request failed.
        sdk::Log(sdk::LogLevel::kWarning, component_,
                 "cannot send a cancel request for query " + std::to_string(id_) + " to PostgreSQL at " +
                     connection_->description() + ": " + error);
    }
}

void QueryControl::Attach(const PgConnection* connection) {
    std::lock_guard<std::mutex> lock(mutex_);
    connection_ = connection;
    cancel_sent_.store(false);
}

void QueryControl::Detach() {
    std::lock_guard<std::mutex> lock(mutex_);
    connection_ = nullptr;
}

void QueryControl::ThrowStopped() const {
    // An explicit cancel wins over a deadline that passed at about the same time.
    if (!cancelled() && PastDeadline()) {
        throw sdk::Error(JOBBER_DEADLINE_EXCEEDED,
                         "query exceeded its timeout of " + std::to_string(timeout_ms_) + "ms and was cancelled");
    }
    throw sdk::Error(JOBBER_CANCELLED, "query cancelled");
}

std::shared_ptr<QueryControl> QueryRegistry::Register(uint64_t id, int64_t timeout_ms, const std::string& component) {
    auto control = std::make_shared<QueryControl>(id, timeout_ms, component);
    std::lock_guard<std::mutex> lock(mutex_);
    running_.emplace(id, control);
    return control;
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

void QueryRegistry::Cancel(uint64_t id) {
    std::vector<std::shared_ptr<QueryControl>> targets;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto [begin, end] = running_.equal_range(id);
        for (auto it = begin; it != end; ++it) targets.push_back(it->second);
    }
    // Outside the registry lock: a cancel request is a round trip to the server, and other
    // queries must not wait for it to start or finish.
    for (const auto& control : targets) control->Cancel();
}

QueryRegistration::QueryRegistration(std::shared_ptr<QueryRegistry> registry,
                                     uint64_t id,
                                     int64_t timeout_ms,
                                     const std::string& component)
    : registry_(std::move(registry)), control_(registry_->Register(id, timeout_ms, component)) {}

}  // namespace jobber::postgres
