#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace jobber::sched {

// Per-database cap on concurrent queries across all queues of this process (db.NAME.max_concurrency),
// so the primary database is protected however many workers and queues there are. Thread-safe.
class DbAdmission {
public:
    // A held slot; released on destruction.
    class Permit {
    public:
        Permit(DbAdmission* owner, std::string db) : owner_(owner), db_(std::move(db)) {}
        ~Permit();
        Permit(const Permit&) = delete;
        Permit& operator=(const Permit&) = delete;

    private:
        DbAdmission* owner_;
        std::string db_;
    };

    // 0 = unlimited (the default for unconfigured dbs).
    void SetLimit(const std::string& db, uint32_t limit);

    // Waits for a slot of `db`. Every `tick` while waiting it calls `keep_waiting`; when that returns
    // false (the job was cancelled, say) it gives up and returns nullptr.
    std::unique_ptr<Permit> Acquire(const std::string& db,
                                    std::chrono::milliseconds tick,
                                    const std::function<bool()>& keep_waiting);

    uint32_t in_use(const std::string& db) const;

private:
    void Release(const std::string& db);

    struct Slot {
        uint32_t limit = 0;
        uint32_t used = 0;
    };
    mutable std::mutex mutex_;
    std::condition_variable freed_;
    std::map<std::string, Slot> slots_;
};

}  // namespace jobber::sched
