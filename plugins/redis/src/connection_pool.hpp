// A pool of Redis connections shared by the threads of one plugin instance. Connections are made on demand, up to
// a limit, and checked for a server-side close before reuse, so a Redis restart costs no failed call.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "redis_connection.hpp"
#include "redis_settings.hpp"

namespace jobber::redis {

class ConnectionPool {
public:
    // At most `max_size` connections exist at once (idle plus in use); 0 = no limit.
    ConnectionPool(RedisSettings settings, size_t max_size);
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

    // An idle connection that is still open, or a new one. At the limit, waits up to the command timeout for one
    // to be returned, then throws sdk::Error(UNAVAILABLE). Connecting may throw as RedisConnection does.
    Handle Acquire();

    // Connections that exist now (idle plus in use), for tests.
    size_t open_count();
    size_t idle_count();

private:
    void Return(std::unique_ptr<RedisConnection> connection);

    const RedisSettings settings_;
    const size_t max_size_;
    std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<std::unique_ptr<RedisConnection>> idle_;
    size_t open_ = 0;
};

}  // namespace jobber::redis
