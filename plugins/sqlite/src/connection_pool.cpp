#include "connection_pool.hpp"

#include <chrono>
#include <utility>

namespace jobber::sqlite {

namespace {
// How often a waiting Acquire re-checks for cancellation and deadlines.
constexpr std::chrono::milliseconds kWaitSlice{20};
}  // namespace

Lease::Lease(std::shared_ptr<ConnectionPool> pool, std::unique_ptr<SqliteConnection> connection)
    : pool_(std::move(pool)), connection_(std::move(connection)) {}

Lease& Lease::operator=(Lease&& other) noexcept {
    if (this != &other) {
        Return();
        pool_ = std::move(other.pool_);
        connection_ = std::move(other.connection_);
    }
    return *this;
}

Lease::~Lease() {
    Return();
}

void Lease::Return() {
    if (connection_ != nullptr && pool_ != nullptr) pool_->Release(std::move(connection_));
    connection_.reset();
    pool_.reset();
}

ConnectionPool::ConnectionPool(ConnectionOptions options, size_t max_connections)
    : options_(std::move(options)), max_connections_(max_connections == 0 ? 1 : max_connections) {}

Lease ConnectionPool::Acquire(const std::function<void()>& check) {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        if (!idle_.empty()) {
            std::unique_ptr<SqliteConnection> connection = std::move(idle_.back());
            idle_.pop_back();
            return Lease(shared_from_this(), std::move(connection));
        }
        if (open_count_ < max_connections_) return OpenNew(lock);
        available_.wait_for(lock, kWaitSlice);
        if (check) check();
    }
}

Lease ConnectionPool::TryAcquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
        std::unique_ptr<SqliteConnection> connection = std::move(idle_.back());
        idle_.pop_back();
        return Lease(shared_from_this(), std::move(connection));
    }
    if (open_count_ < max_connections_) return OpenNew(lock);
    return Lease();
}

Lease ConnectionPool::OpenNew(std::unique_lock<std::mutex>& lock) {
    // Opening touches the file system; do it without blocking other threads on the pool.
    ++open_count_;
    lock.unlock();
    try {
        auto connection = std::make_unique<SqliteConnection>(options_);
        return Lease(shared_from_this(), std::move(connection));
    } catch (...) {
        lock.lock();
        --open_count_;
        available_.notify_one();
        throw;
    }
}

void ConnectionPool::Release(std::unique_ptr<SqliteConnection> connection) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        idle_.push_back(std::move(connection));
    }
    available_.notify_one();
}

}  // namespace jobber::sqlite
