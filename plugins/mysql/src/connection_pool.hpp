// A bounded pool of MySQL connections, opened lazily, checked before reuse and replaced when broken.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "mysql_connection.hpp"

namespace jobber::mysql {

class ConnectionPool;

// Exclusive use of one pooled connection; gives it back when destroyed (or closes it when it is
// marked broken). Holds the pool alive.
class Lease {
public:
    Lease() = default;
    Lease(std::shared_ptr<ConnectionPool> pool, std::unique_ptr<MysqlConnection> connection);
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    MysqlConnection& operator*() const { return *connection_; }
    MysqlConnection* operator->() const { return connection_.get(); }
    explicit operator bool() const { return connection_ != nullptr; }

private:
    void Return();

    std::shared_ptr<ConnectionPool> pool_;
    std::unique_ptr<MysqlConnection> connection_;
};

// Thread-safe. Create it with std::make_shared: leases keep a reference to it.
class ConnectionPool : public std::enable_shared_from_this<ConnectionPool> {
public:
    ConnectionPool(ConnectionOptions options, size_t max_connections);

    // Waits for a free connection, opening a new one while fewer than max_connections exist. An
    // idle connection unused for a while is pinged first and replaced when the server dropped it
    // (wait_timeout, restart). While waiting it calls `check` every few milliseconds; `check`
    // throws to give up (cancel, deadline). Connection errors propagate as UNAVAILABLE.
    Lease Acquire(const std::function<void()>& check);

    // A free connection without waiting, or an empty lease when all are in use.
    Lease TryAcquire();

    const ConnectionOptions& options() const { return options_; }
    size_t max_connections() const { return max_connections_; }
    // Connections open or being opened right now (idle and leased).
    size_t open_count();

private:
    friend class Lease;
    void Release(std::unique_ptr<MysqlConnection> connection);
    // Takes an idle connection that still works; false when there is none.
    bool TakeIdle(std::unique_lock<std::mutex>& lock, Lease& out);
    Lease OpenNew(std::unique_lock<std::mutex>& lock);

    const ConnectionOptions options_;
    const size_t max_connections_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<MysqlConnection>> idle_;
    size_t open_count_ = 0;  // idle + leased + being opened or checked
};

}  // namespace jobber::mysql
