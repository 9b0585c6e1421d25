// A bounded, thread-safe pool of database connections for plugin code. A lease is an RAII handle
// that gives its connection back when destroyed; callers that find no free connection queue up and
// are served first come, first served. What differs per database (how to open a connection,
// whether an idle one still works, whether a used one may be kept) comes from hooks the plugin
// supplies, so database specifics (pragmas, statement caches, thread ids) stay in the plugin.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "jobber/sdk/error.hpp"

namespace jobber::sdk {

template <class Connection>
class ConnectionPool;

// What the plugin tells the pool about its connections.
template <class Connection>
struct ConnectionPoolHooks {
    // Required. Opens a new connection; throws (Error(UNAVAILABLE) for an unreachable server) when
    // it cannot. Called without any pool lock held, so a slow connect never blocks other leases.
    std::function<std::unique_ptr<Connection>()> open;
    // Optional. Before a connection that sat in the pool is handed out again: false means the server
    // dropped it (restart, idle timeout), so the pool closes it and opens a fresh one in its place.
    std::function<bool(Connection&)> check_idle;
    // Optional. When a lease ends: false means do not keep it (broken, left inside a transaction),
    // so the pool closes it and frees its slot. May update bookkeeping such as a last-used time.
    // An exception counts as false.
    std::function<bool(Connection&)> on_release;
};

// Exclusive use of one pooled connection. Destroying (or assigning over) the lease gives the
// connection back, or closes it when marked broken. Holds the pool alive.
template <class Connection>
class ConnectionLease {
public:
    ConnectionLease() = default;
    ConnectionLease(ConnectionLease&& other) noexcept
        : pool_(std::move(other.pool_)),
          connection_(std::move(other.connection_)),
          reused_(other.reused_),
          broken_(other.broken_) {}
    ConnectionLease& operator=(ConnectionLease&& other) noexcept {
        if (this != &other) {
            Return();
            pool_ = std::move(other.pool_);
            connection_ = std::move(other.connection_);
            reused_ = other.reused_;
            broken_ = other.broken_;
        }
        return *this;
    }
    ConnectionLease(const ConnectionLease&) = delete;
    ConnectionLease& operator=(const ConnectionLease&) = delete;
    ~ConnectionLease() { Return(); }

    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }
    Connection* get() const { return connection_.get(); }
    explicit operator bool() const { return connection_ != nullptr; }

    // True when the connection waited in the pool before this lease: it may have died unnoticed
    // meanwhile, so a connection failure on its first statement is worth a retry on another one.
    bool reused() const { return reused_; }

    // The connection is closed, not kept, when the lease ends.
    void MarkBroken() { broken_ = true; }
    // Closes the connection now and frees its slot; the lease is empty afterwards.
    void Discard() {
        broken_ = true;
        Return();
    }

private:
    friend class ConnectionPool<Connection>;
    ConnectionLease(std::shared_ptr<ConnectionPool<Connection>> pool,
                    std::unique_ptr<Connection> connection,
                    bool reused)
        : pool_(std::move(pool)), connection_(std::move(connection)), reused_(reused) {}

    void Return() noexcept {
        if (connection_ != nullptr && pool_ != nullptr) pool_->Release(std::move(connection_), broken_);
        connection_.reset();
        pool_.reset();
        broken_ = false;
    }

    std::shared_ptr<ConnectionPool<Connection>> pool_;
    std::unique_ptr<Connection> connection_;
    bool reused_ = false;
    bool broken_ = false;
};

// At most max_connections connections, opened lazily. Thread-safe. Create it with std::make_shared
// (leases keep a reference to it); a plugin may derive from it to keep its own settings at hand.
template <class Connection>
class ConnectionPool : public std::enable_shared_from_this<ConnectionPool<Connection>> {
public:
    using Lease = ConnectionLease<Connection>;
    using Hooks = ConnectionPoolHooks<Connection>;
    using Clock = std::chrono::steady_clock;

    // `name` appears in the pool's own errors, e.g. "postgres pool 'host=db port=5432 ...'".
    // A max_connections of 0 is taken as 1.
    ConnectionPool(std::string name, size_t max_connections, Hooks hooks)
        : name_(std::move(name)),
          max_connections_(max_connections == 0 ? 1 : max_connections),
          hooks_(std::move(hooks)) {
        if (!hooks_.open) throw Error(JOBBER_INTERNAL, "connection pool '" + name_ + "' needs an open hook");
        idle_.reserve(max_connections_);  // so giving a connection back never allocates
    }
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    // Waits as long as it takes for a free connection, opening a new one while fewer than
    // max_connections exist. While waiting it calls `check` every check_interval() and on
    // WakeWaiters(); `check` throws to give up (cancel, the query's own deadline) and its exception
    // propagates. Errors of the open hook propagate too; neither keeps a slot.
    Lease Acquire(const std::function<void()>& check = {}) { return AcquireUntil(std::nullopt, std::nullopt, check); }

    // As Acquire, but gives up after `max_wait` with Error(DEADLINE_EXCEEDED) naming the pool, the
    // wait and the pool size.
    Lease AcquireFor(std::chrono::milliseconds max_wait, const std::function<void()>& check = {}) {
        return AcquireUntil(Clock::now() + max_wait, max_wait, check);
    }

    // A free connection without waiting (it may still open one), or an empty lease when all are
    // in use or others are already waiting.
    Lease TryAcquire() {
        auto self = this->shared_from_this();
        std::unique_lock<std::mutex> lock(mutex_);
        std::unique_ptr<Connection> connection;
        if (!TakeFreeSlotLocked(connection)) return Lease();
        lock.unlock();
        return Ready(std::move(self), std::move(connection));
    }

    // Runs fn(Connection&) on a free pooled connection, or, when all are in use, on a spare one from
    // the open hook that is closed afterwards: a health check must never queue behind long queries.
    template <class Fn>
    void WithFreeOrSpare(Fn&& fn) {
        Lease lease = TryAcquire();
        if (lease) {
            fn(*lease);
            return;
        }
        std::unique_ptr<Connection> spare = hooks_.open();
        fn(*spare);
    }

    // Makes every waiting Acquire run its `check` now, e.g. right after a cancel was recorded, so
    // the waiter need not wait for the next check_interval.
    void WakeWaiters() {
        std::lock_guard<std::mutex> lock(mutex_);
        for (Waiter* waiter : waiters_) waiter->wake.notify_one();
    }

    // How often a waiting Acquire with a `check` re-runs it when nothing wakes it (default 20 ms).
    void set_check_interval(std::chrono::milliseconds interval) {
        std::lock_guard<std::mutex> lock(mutex_);
        check_interval_ = interval;
    }
    std::chrono::milliseconds check_interval() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return check_interval_;
    }

    const std::string& name() const { return name_; }
    size_t max_connections() const { return max_connections_; }
    // Connections open right now: idle, leased, or being opened or checked.
    size_t open_count() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return open_count_;
    }
    size_t idle_count() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return idle_.size();
    }
    // Callers queued in Acquire right now.
    size_t waiting_count() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return waiters_.size();
    }

private:
    friend class ConnectionLease<Connection>;

    // One queued Acquire. Another thread fills it in when it hands over a connection, or a free
    // slot (granted with no connection: the waiter opens one itself).
    struct Waiter {
        std::condition_variable wake;
        bool granted = false;
        std::unique_ptr<Connection> connection;
    };

    // With the lock held: an idle connection, or a new slot to open one in. Waiters exist only
    // while every slot is taken and nothing is idle, so this never overtakes a waiter.
    bool TakeFreeSlotLocked(std::unique_ptr<Connection>& connection) {
        if (!idle_.empty()) {
            // Most recently used first: the one least likely to have been dropped by the server.
            connection = std::move(idle_.back());
            idle_.pop_back();
            return true;
        }
        if (open_count_ < max_connections_) {
            ++open_count_;
            return true;
        }
        return false;
    }

    Lease AcquireUntil(std::optional<Clock::time_point> deadline,
                       std::optional<std::chrono::milliseconds> max_wait,
                       const std::function<void()>& check) {
        auto self = this->shared_from_this();  // before taking a slot: throws when not owned by a shared_ptr
        std::unique_lock<std::mutex> lock(mutex_);
        std::unique_ptr<Connection> connection;
        if (!TakeFreeSlotLocked(connection)) connection = Wait(lock, deadline, max_wait, check);
        lock.unlock();
        return Ready(std::move(self), std::move(connection));
    }

    // Queues the caller until it is handed a connection or a slot; returns the connection (null
    // for a bare slot). Called with the lock held; returns with it held.
    std::unique_ptr<Connection> Wait(std::unique_lock<std::mutex>& lock,
                                     std::optional<Clock::time_point> deadline,
                                     std::optional<std::chrono::milliseconds> max_wait,
                                     const std::function<void()>& check) {
        Waiter waiter;
        waiters_.push_back(&waiter);
        for (;;) {
            if (!waiter.granted) {
                std::optional<Clock::time_point> wake_at = deadline;
                if (check) {
                    const Clock::time_point next_check = Clock::now() + check_interval_;
                    if (!wake_at || next_check < *wake_at) wake_at = next_check;
                }
                if (wake_at) {
                    waiter.wake.wait_until(lock, *wake_at);
                } else {
                    waiter.wake.wait(lock);
                }
            }
            if (waiter.granted) return std::move(waiter.connection);
            if (check) {
                lock.unlock();
                try {
                    check();
                } catch (...) {
                    lock.lock();
                    AbandonLocked(waiter);
                    throw;
                }
                lock.lock();
                if (waiter.granted) return std::move(waiter.connection);
            }
            if (deadline && Clock::now() >= *deadline) {
                AbandonLocked(waiter);
                throw Error(JOBBER_DEADLINE_EXCEEDED, "connection pool '" + name_ +
                                                          "': no connection became free within " +
                                                          std::to_string(max_wait ? max_wait->count() : 0) +
                                                          "ms (all " + std::to_string(max_connections_) + " in use)");
            }
        }
    }

    // A waiter giving up: whatever it was handed meanwhile goes to the next one.
    void AbandonLocked(Waiter& waiter) {
        if (waiter.granted) {
            HandOverLocked(std::move(waiter.connection));
        } else {
            waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &waiter));
        }
    }

    // Turns a claimed slot into a lease: checks a reused connection, opens one when there is none
    // (or the check failed). Called without the lock; frees the slot when anything throws.
    Lease Ready(std::shared_ptr<ConnectionPool> self, std::unique_ptr<Connection> connection) {
        if (connection != nullptr) {
            bool usable = true;
            try {
                if (hooks_.check_idle) usable = hooks_.check_idle(*connection);
            } catch (...) {
                connection.reset();
                FreeSlot();
                throw;
            }
            if (usable) return Lease(std::move(self), std::move(connection), true);
            connection.reset();  // the server dropped it: close it and reconnect in its slot
        }
        try {
            connection = hooks_.open();
        } catch (...) {
            FreeSlot();
            throw;
        }
        if (connection == nullptr) {
            FreeSlot();
            throw Error(JOBBER_INTERNAL, "connection pool '" + name_ + "': the open hook returned no connection");
        }
        return Lease(std::move(self), std::move(connection), false);
    }

    void FreeSlot() {
        std::lock_guard<std::mutex> lock(mutex_);
        HandOverLocked(nullptr);
    }

    // From a lease: keep the connection or close it, then serve the oldest waiter first.
    void Release(std::unique_ptr<Connection> connection, bool broken) noexcept {
        bool keep = !broken;
        if (keep && hooks_.on_release) {
            try {
                keep = hooks_.on_release(*connection);
            } catch (...) {
                keep = false;
            }
        }
        if (!keep) connection.reset();  // closes it before taking the lock
        std::lock_guard<std::mutex> lock(mutex_);
        HandOverLocked(std::move(connection));
    }

    // With the lock held: a connection (or, when null, its freed slot) goes to the oldest waiter,
    // else back to the pool.
    void HandOverLocked(std::unique_ptr<Connection> connection) {
        if (!waiters_.empty()) {
            Waiter* waiter = waiters_.front();
            waiters_.pop_front();
            waiter->granted = true;
            waiter->connection = std::move(connection);
            waiter->wake.notify_one();  // under the lock: the waiter cannot leave before we are done
            return;
        }
        if (connection != nullptr) {
            idle_.push_back(std::move(connection));
        } else {
            --open_count_;
        }
    }

    const std::string name_;
    const size_t max_connections_;
    const Hooks hooks_;
    mutable std::mutex mutex_;
    std::chrono::milliseconds check_interval_{20};
    std::vector<std::unique_ptr<Connection>> idle_;
    std::deque<Waiter*> waiters_;  // oldest first
    size_t open_count_ = 0;        // idle + leased + being opened or checked + handed to a waiter
};

}  // namespace jobber::sdk
