// A pool of Redis connections shared by the threads of one plugin instance. Connections are made on demand, up to
// a limit, by the instance's endpoint (a fixed server or the master Sentinel names), and checked before reuse: one
// the server closed while idle (a restart, Sentinel's client kill after a failover) or one made for a master that
// has since moved is dropped, so neither costs a failed call.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "redis_connection.hpp"
#include "redis_endpoint.hpp"

namespace jobber::redis {

class ConnectionPool {
public:
    // At most `max_size` connections exist at once (idle plus in use); 0 = no limit. At the limit, Acquire waits
    // up to `wait_for_free` for one to be returned. `endpoint` must outlive the pool.
    ConnectionPool(Endpoint& endpoint, size_t max_size, std::chrono::milliseconds wait_for_free);
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    // Exclusive use of one connection; returns it to the pool on destruction unless it broke.
    class Handle {
    public:
        Handle(ConnectionPool* pool, std::unique_ptr<RedisConnection> connection)
            : pool_(pool), connection_(std::move(connection)) {}
        Handle(Handle&&) = default;
        Handle& operator=(Handle&&) = delete;
        ~Handle();
        RedisConnection& operator*() const { return *connection_; }
        RedisConnection* operator->() const { return connection_.get(); }

    private:
        ConnectionPool* pool_;
        std::unique_ptr<RedisConnection> connection_;
    };

    // An idle connection that is still open and made for the current master, or a new one. At the limit, waits
    // for one to be returned, then throws sdk::Error(UNAVAILABLE). Connecting may throw as Endpoint::Connect does.
    Handle Acquire();

    // Connections that exist now (idle plus in use), for tests.
    size_t open_count();
    size_t idle_count();

private:
    void Return(std::unique_ptr<RedisConnection> connection);
    // Drops the idle connections made for an older master. Called with mutex_ held.
    void DropOlderThan(uint64_t epoch);

    Endpoint& endpoint_;
    const size_t max_size_;
    const std::chrono::milliseconds wait_for_free_;
    std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<std::unique_ptr<RedisConnection>> idle_;
    size_t open_ = 0;
};

}  // namespace jobber::redis
