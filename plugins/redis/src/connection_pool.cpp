#include "connection_pool.hpp"

#include <algorithm>

namespace jobber::redis {

ConnectionPool::ConnectionPool(Endpoint& endpoint, size_t max_size, std::chrono::milliseconds wait_for_free)
    : endpoint_(endpoint), max_size_(max_size), wait_for_free_(wait_for_free) {}

ConnectionPool::Handle::~Handle() {
    if (connection_ != nullptr) pool_->Return(std::move(connection_));
}

void ConnectionPool::DropOlderThan(uint64_t epoch) {
    const auto old = std::remove_if(idle_.begin(), idle_.end(),
                                    [epoch](const std::unique_ptr<RedisConnection>& c) { return c->epoch() != epoch; });
    open_ -= static_cast<size_t>(idle_.end() - old);
    idle_.erase(old, idle_.end());
}

ConnectionPool::Handle ConnectionPool::Acquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto give_up_at = std::chrono::steady_clock::now() + wait_for_free_;
    for (;;) {
        DropOlderThan(endpoint_.epoch());
        while (!idle_.empty()) {
            std::unique_ptr<RedisConnection> connection = std::move(idle_.back());
            idle_.pop_back();
            if (connection->StillOpen()) return Handle(this, std::move(connection));
            --open_;  // closed by the server while idle: drop it and look further
        }
        if (max_size_ == 0 || open_ < max_size_) break;
        if (returned_.wait_until(lock, give_up_at) == std::cv_status::timeout && idle_.empty() && open_ >= max_size_) {
            throw sdk::Error(JOBBER_UNAVAILABLE, "all " + std::to_string(max_size_) + " connections to Redis at " +
                                                     endpoint_.Describe() + " stayed busy for " +
                                                     std::to_string(wait_for_free_.count()) +
                                                     " ms; raise `pool_size` or check for slow Redis commands");
        }
    }
    ++open_;
    lock.unlock();
    try {
        return Handle(this, endpoint_.Connect());
    } catch (...) {
        lock.lock();
        --open_;
        returned_.notify_one();
        throw;
    }
}

void ConnectionPool::Return(std::unique_ptr<RedisConnection> connection) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (connection->usable() && connection->epoch() == endpoint_.epoch()) {
            idle_.push_back(std::move(connection));
        } else {
            --open_;
        }
    }
    returned_.notify_one();
}

size_t ConnectionPool::open_count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return open_;
}

size_t ConnectionPool::idle_count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return idle_.size();
}

}  // namespace jobber::redis
