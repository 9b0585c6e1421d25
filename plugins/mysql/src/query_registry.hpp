// Cancellation and timeouts of running queries. MySQL cannot interrupt a statement from the
// connection that runs it, so Cancel looks the query up by id and sends KILL QUERY <thread id>
// from a side connection; a reaper thread does the same for queries past their deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace jobber::mysql {

// Sends KILL QUERY for a server thread id. Throws on failure.
using KillFunction = std::function<void(unsigned long thread_id)>;

// The stop state of one query. Every member is thread-safe.
class QueryControl {
public:
    QueryControl(uint64_t id, int64_t timeout_ms);

    uint64_t id() const { return id_; }
    bool has_deadline() const { return timeout_ms_ > 0; }
    std::chrono::steady_clock::time_point deadline() const { return deadline_; }

    void MarkCancelled() { cancelled_.store(true); }
    // True once the query was cancelled or ran past its deadline.
    bool ShouldStop() const;
    // Throws Error(CANCELLED) or Error(DEADLINE_EXCEEDED) when ShouldStop().
    void Check() const;
    // Explains an interrupted statement: throws CANCELLED or DEADLINE_EXCEEDED.
    [[noreturn]] void ThrowStopped() const;
    // True once a KILL QUERY was sent for this query: its connection must not be reused.
    bool killed() const { return killed_.load(); }

private:
    friend class QueryRegistry;
    bool PastDeadline() const;

    const uint64_t id_;
    const int64_t timeout_ms_;
    const std::chrono::steady_clock::time_point deadline_;
    std::atomic<bool> cancelled_{false};
    std::atomic<bool> killed_{false};
    // Guards thread_id_, and is held while a KILL for it is in flight, so that Detach waits for
    // that KILL and no KILL can reach the connection after it went back to the pool.
    std::mutex kill_mutex_;
    unsigned long thread_id_ = 0;
};

// Running queries by id. Thread-safe. Owns the reaper thread that kills queries past their deadline.
class QueryRegistry {
public:
    explicit QueryRegistry(KillFunction kill);
    QueryRegistry(const QueryRegistry&) = delete;
    QueryRegistry& operator=(const QueryRegistry&) = delete;
    ~QueryRegistry();

    std::shared_ptr<QueryControl> Register(uint64_t id, int64_t timeout_ms);
    // Records the server thread running `control`, which Cancel and the reaper then kill.
    void Attach(QueryControl& control, unsigned long thread_id);
    // After this returns, no KILL for the query is in flight or will be sent.
    void Detach(QueryControl& control);
    void Unregister(const QueryControl& control);
    // Marks every running query with this id cancelled and kills it in the server.
    void Cancel(uint64_t id);
    // Kills the query in the server without marking it cancelled (to abandon an unread result).
    void Kill(QueryControl& control);

private:
    void ReaperLoop();

    const KillFunction kill_;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool stopping_ = false;
    uint64_t generation_ = 0;  // counts registrations, so the reaper notices ones it slept through
    // Multimap: ids are unique per host process, but a duplicate must not unregister another query.
    std::unordered_multimap<uint64_t, std::shared_ptr<QueryControl>> running_;
    std::thread reaper_;
};

// Registers a query for its lifetime: detaches and unregisters it when destroyed.
class QueryRegistration {
public:
    QueryRegistration(std::shared_ptr<QueryRegistry> registry, uint64_t id, int64_t timeout_ms);
    QueryRegistration(const QueryRegistration&) = delete;
    QueryRegistration& operator=(const QueryRegistration&) = delete;
    ~QueryRegistration() { Unregister(); }

    QueryControl& control() const { return *control_; }
    void Attach(unsigned long thread_id) { registry_->Attach(*control_, thread_id); }
    void Kill() { registry_->Kill(*control_); }
    void Unregister();

private:
    std::shared_ptr<QueryRegistry> registry_;
    std::shared_ptr<QueryControl> control_;
    bool registered_ = true;
};

}  // namespace jobber::mysql
