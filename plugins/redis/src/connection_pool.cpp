#include "connection_pool.hpp"

#include <chrono>

namespace jobber::redis {

ConnectionPool::ConnectionPool(RedisSettings settings, size_t max_size)
    : settings_(std::move(settings)), max_size_(max_size) {}

ConnectionPool::Handle::~Handle() {
    if (connection_ != nullptr) pool_->Return(std::move(connection_));
}

ConnectionPool::Handle ConnectionPool::Acquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto give_up_at = std::chrono::steady_clock::now() + settings_.command_timeout;
    for (;;) {
        while (!idle_.empty()) {
            std::unique_ptr<RedisConnection> connection = std::move(idle_.back());
            idle_.pop_back();
            if (connection->StillOpen()) return Handle(this, std::move(connection));
            --open_;  // closed by the server while idle: drop it and look further
        }
        if (max_size_ == 0 || open_ < max_size_) break;
        if (returned_.wait_until(lock, give_up_at) == std::cv_status::timeout && idle_.empty() && open_ >= max_size_) {
            throw sdk::Error(JOBBER_UNAVAILABLE, "all " + std::to_string(max_size_) + " connections to Redis at " +
                                                     settings_.address.Describe() + " stayed busy for " +
                                                     std::to_string(settings_.command_timeout.count()) +
                                                     " ms; raise `pool_size` or check for slow Redis commands");
        }
    }
    ++open_;
    lock.unlock();
    try {
        return Handle(this, std::make_unique<RedisConnection>(settings_));
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
        if (connection->usable()) {
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
