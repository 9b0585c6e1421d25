// A bounded pool of PostgreSQL connections, opened lazily, checked before reuse and replaced when
// broken.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "pg_connection.hpp"

namespace jobber::postgres {

class ConnectionPool;

// Exclusive use of one pooled connection; gives it back when destroyed, or closes it when it is no
// longer usable (broken, or left inside a transaction). Holds the pool alive.
class Lease {
public:
    Lease() = default;
    Lease(std::shared_ptr<ConnectionPool> pool, std::unique_ptr<PgConnection> connection, bool reused);
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    PgConnection& operator*() const { return *connection_; }
    PgConnection* operator->() const { return connection_.get(); }
    explicit operator bool() const { return connection_ != nullptr; }
    // True when the connection was idle in the pool before: it may have died meanwhile unnoticed,
    // so a connection failure on its first statement is worth one retry on another connection.
    bool reused() const { return reused_; }

    // Closes the connection instead of returning it.
    void Discard();

private:
    void Return();

    std::shared_ptr<ConnectionPool> pool_;
    std::unique_ptr<PgConnection> connection_;
    bool reused_ = false;
};

// Thread-safe. Create it with std::make_shared: leases keep a reference to it.
class ConnectionPool : public std::enable_shared_from_this<ConnectionPool> {
public:
    ConnectionPool(ConnectionSettings settings, size_t max_connections);

    // Waits for a free connection, opening a new one while fewer than max_connections exist. Idle
    // connections the server closed are dropped here and replaced. While waiting it calls `check`
    // every few milliseconds; `check` throws to give up (cancel, deadline). Connect errors
    // (UNAVAILABLE) propagate.
    Lease Acquire(const std::function<void()>& check);

    // A free connection without waiting, or an empty lease when all are in use.
    Lease TryAcquire();

    const ConnectionSettings& settings() const { return settings_; }
    // Connections open right now (idle, leased or being opened).
    size_t open_count();

private:
    friend class Lease;
    void Release(std::unique_ptr<PgConnection> connection);
    Lease OpenNew(std::unique_lock<std::mutex>& lock);
    // A checked idle connection, or an empty lease; closes dead ones. Called with the lock held.
    Lease TakeIdle(std::unique_lock<std::mutex>& lock);

    const ConnectionSettings settings_;
    const size_t max_connections_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<PgConnection>> idle_;
    size_t open_count_ = 0;  // idle + leased + being opened
};

}  // namespace jobber::postgres
