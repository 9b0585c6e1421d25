// Cancellation and timeouts of running queries: the per-query stop state, SQLite's progress
// handler that polls it, and the registry Cancel(query_id) looks queries up in.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace jobber::sqlite {

// The stop state of one query. Cancel and the checks are thread-safe.
class QueryControl {
public:
    QueryControl(uint64_t id, int64_t timeout_ms);

    uint64_t id() const { return id_; }
    void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }

    // True once the query was cancelled or ran past its deadline.
    bool ShouldStop() const;
    // Throws Error(CANCELLED) or Error(DEADLINE_EXCEEDED) when ShouldStop().
    void Check() const;
    // Explains an SQLITE_INTERRUPT: throws CANCELLED or DEADLINE_EXCEEDED.
    [[noreturn]] void ThrowStopped() const;

    // Installs a progress handler polling this object on `db` (removed by Uninstall).
    void Install(sqlite3* db);
    static void Uninstall(sqlite3* db);

private:
    static int ProgressHandler(void* self);
    bool PastDeadline() const;

    const uint64_t id_;
    const int64_t timeout_ms_;
    const std::chrono::steady_clock::time_point deadline_;
    std::atomic<bool> cancelled_{false};
};

// Running queries by id, so Cancel can find them. Thread-safe.
class QueryRegistry {
public:
    std::shared_ptr<QueryControl> Register(uint64_t id, int64_t timeout_ms);
    // Records the connection `control` runs on, for sqlite3_interrupt.
    void Attach(const QueryControl& control, sqlite3* db);
    // After this, Cancel no longer touches the query's connection, which may then be reused.
    void Unregister(const QueryControl& control);
    // Marks every running query with this id cancelled and interrupts its connection.
    void Cancel(uint64_t id);

private:
    struct Entry {
        std::shared_ptr<QueryControl> control;
        sqlite3* db = nullptr;
    };
    std::mutex mutex_;
    // Multimap: ids are unique per host process, but a duplicate must not unregister another query.
    std::unordered_multimap<uint64_t, Entry> running_;
};

// Unregisters a query when the stream (or a failed Execute) lets go of it.
class QueryRegistration {
public:
    QueryRegistration(std::shared_ptr<QueryRegistry> registry, uint64_t id, int64_t timeout_ms);
    QueryRegistration(const QueryRegistration&) = delete;
    QueryRegistration& operator=(const QueryRegistration&) = delete;
    ~QueryRegistration() { Unregister(); }

    QueryControl& control() const { return *control_; }
    void Attach(sqlite3* db) { registry_->Attach(*control_, db); }
    void Unregister();

private:
    std::shared_ptr<QueryRegistry> registry_;
    std::shared_ptr<QueryControl> control_;
    bool registered_ = true;
};

}  // namespace jobber::sqlite
