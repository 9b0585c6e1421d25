// A bounded pool of SQLite connections, opened lazily and handed out one thread at a time.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "sqlite_connection.hpp"

namespace jobber::sqlite {

class ConnectionPool;

// Exclusive use of one pooled connection; gives it back when destroyed. Holds the pool alive.
class Lease {
public:
    Lease() = default;
    Lease(std::shared_ptr<ConnectionPool> pool, std::unique_ptr<SqliteConnection> connection);
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    SqliteConnection& operator*() const { return *connection_; }
    SqliteConnection* operator->() const { return connection_.get(); }
    explicit operator bool() const { return connection_ != nullptr; }

private:
    void Return();

    std::shared_ptr<ConnectionPool> pool_;
    std::unique_ptr<SqliteConnection> connection_;
};

// Thread-safe. Create it with std::make_shared: leases keep a reference to it.
class ConnectionPool : public std::enable_shared_from_this<ConnectionPool> {
public:
    ConnectionPool(ConnectionOptions options, size_t max_connections);

    // Waits for a free connection, opening a new one while fewer than max_connections exist.
    // While waiting it calls `check` every few milliseconds; `check` throws to give up (cancel,
    // deadline). Opening errors propagate.
    Lease Acquire(const std::function<void()>& check);

    // A free connection without waiting, or an empty lease when all are in use.
    Lease TryAcquire();

    const ConnectionOptions& options() const { return options_; }

private:
    friend class Lease;
    void Release(std::unique_ptr<SqliteConnection> connection);
    Lease OpenNew(std::unique_lock<std::mutex>& lock);

    const ConnectionOptions options_;
    const size_t max_connections_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<SqliteConnection>> idle_;
    size_t open_count_ = 0;  // idle + leased + being opened
};

}  // namespace jobber::sqlite
