#include "connection_pool.hpp"

#include <chrono>
#include <utility>

namespace jobber::postgres {

namespace {
// How often a waiting Acquire re-checks for cancellation and deadlines.
constexpr std::chrono::milliseconds kWaitSlice{20};
}  // namespace

Lease::Lease(std::shared_ptr<ConnectionPool> pool, std::unique_ptr<PgConnection> connection, bool reused)
    : pool_(std::move(pool)), connection_(std::move(connection)), reused_(reused) {}

Lease& Lease::operator=(Lease&& other) noexcept {
    if (this != &other) {
        Return();
        pool_ = std::move(other.pool_);
        connection_ = std::move(other.connection_);
        reused_ = other.reused_;
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

void Lease::Discard() {
    if (connection_ == nullptr) return;
    connection_.reset();  // closes it
    if (pool_ != nullptr) pool_->Release(nullptr);
    pool_.reset();
}

ConnectionPool::ConnectionPool(ConnectionSettings settings, size_t max_connections)
    : settings_(std::move(settings)), max_connections_(max_connections == 0 ? 1 : max_connections) {}

Lease ConnectionPool::TakeIdle(std::unique_lock<std::mutex>& lock) {
    while (!idle_.empty()) {
        std::unique_ptr<PgConnection> connection = std::move(idle_.back());
        idle_.pop_back();
        // The check only polls the socket, never waits on the server; still, keep it off the lock.
        lock.unlock();
        const bool alive = connection->CheckIdle();
        if (!alive) connection.reset();
        lock.lock();
        if (alive) return Lease(shared_from_this(), std::move(connection), true);
        --open_count_;
    }
    return Lease();
}

Lease ConnectionPool::Acquire(const std::function<void()>& check) {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        if (Lease lease = TakeIdle(lock)) return lease;
        if (open_count_ < max_connections_) return OpenNew(lock);
        available_.wait_for(lock, kWaitSlice);
        if (check) {
            lock.unlock();
            check();
            lock.lock();
        }
    }
}

Lease ConnectionPool::TryAcquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (Lease lease = TakeIdle(lock)) return lease;
    if (open_count_ < max_connections_) return OpenNew(lock);
    return Lease();
}

size_t ConnectionPool::open_count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return open_count_;
}

Lease ConnectionPool::OpenNew(std::unique_lock<std::mutex>& lock) {
    // Connecting takes a network round trip or a connect timeout; never hold the pool meanwhile.
    ++open_count_;
    lock.unlock();
    try {
        auto connection = std::make_unique<PgConnection>(settings_);
        return Lease(shared_from_this(), std::move(connection), false);
    } catch (...) {
        lock.lock();
        --open_count_;
        available_.notify_one();
        throw;
    }
}

void ConnectionPool::Release(std::unique_ptr<PgConnection> connection) {
    // A broken connection, or one left in a transaction or mid-query, is closed, not reused.
    if (connection != nullptr && !connection->Reusable()) connection.reset();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (connection != nullptr) {
            idle_.push_back(std::move(connection));
        } else {
            --open_count_;
        }
    }
    available_.notify_one();
}

}  // namespace jobber::postgres
