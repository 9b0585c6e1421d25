// Cancellation and timeouts of running queries: the per-query stop state, the cancel request sent
// to the server, and the registry Cancel(query_id) looks queries up in.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "pg_connection.hpp"

namespace jobber::postgres {

// The stop state of one query. Every method is thread-safe.
class QueryControl {
public:
    QueryControl(uint64_t id, int64_t timeout_ms, std::string component);

    uint64_t id() const { return id_; }
    int64_t timeout_ms() const { return timeout_ms_; }

    // From Source::Cancel, any thread: marks the query cancelled and, when it runs on a connection
    // now, asks the server to cancel it.
    void Cancel();
    // From the query's own thread once ShouldStop(): sends the cancel request if none was sent for
    // the current connection yet (a timeout, or a cancel that came before the query was sent).
    void SendCancelOnce();

    // While attached, cancel requests go to `connection`. Detach waits for a cancel request in
    // flight, so none reaches the connection once it serves another query.
    void Attach(const PgConnection* connection);
    void Detach();
    // Whether a cancel request was sent to the connection attached last: its server session may
    // still see it arrive late, so the connection is checked before reuse.
    bool cancel_sent() const { return cancel_sent_.load(); }

    bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
    // True once the query was cancelled or ran past its deadline.
    bool ShouldStop() const { return cancelled() || PastDeadline(); }
    // Throws Error(CANCELLED) or Error(DEADLINE_EXCEEDED) when ShouldStop().
    void Check() const {
        if (ShouldStop()) ThrowStopped();
    }
    [[noreturn]] void ThrowStopped() const;

private:
    bool PastDeadline() const { return timeout_ms_ > 0 && std::chrono::steady_clock::now() >= deadline_; }
    // Called with mutex_ held.
    void SendCancelLocked();

    const uint64_t id_;
    const int64_t timeout_ms_;
    const std::chrono::steady_clock::time_point deadline_;
    const std::string component_;
    std::atomic<bool> cancelled_{false};
    std::atomic<bool> cancel_sent_{false};
    std::mutex mutex_;  // guards connection_ and serializes cancel requests with Detach
    const PgConnection* connection_ = nullptr;
};

// Running queries by id, so Cancel can find them. Thread-safe.
class QueryRegistry {
public:
    std::shared_ptr<QueryControl> Register(uint64_t id, int64_t timeout_ms, const std::string& component);
    void Unregister(const QueryControl& control);
    // Cancels every running query with this id; no-op when there is none.
    void Cancel(uint64_t id);

private:
    std::mutex mutex_;
    // Multimap: ids are unique per host process, but a duplicate must not unregister another query.
    std::unordered_multimap<uint64_t, std::shared_ptr<QueryControl>> running_;
};

// Registers a query for as long as it lives.
class QueryRegistration {
public:
    QueryRegistration(std::shared_ptr<QueryRegistry> registry,
                      uint64_t id,
                      int64_t timeout_ms,
                      const std::string& component);
    QueryRegistration(const QueryRegistration&) = delete;
    QueryRegistration& operator=(const QueryRegistration&) = delete;
    ~QueryRegistration() { registry_->Unregister(*control_); }

    QueryControl& control() const { return *control_; }

private:
    std::shared_ptr<QueryRegistry> registry_;
    std::shared_ptr<QueryControl> control_;
};

}  // namespace jobber::postgres
