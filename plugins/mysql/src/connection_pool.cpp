#include "connection_pool.hpp"

#include <utility>

#include "jobber/sdk/error.hpp"

namespace jobber::mysql {

namespace {
// How often a waiting Acquire re-checks for cancellation and deadlines.
constexpr std::chrono::milliseconds kWaitSlice{20};
// Idle connections older than this are pinged before reuse: cheap next to a report query, and it
// catches connections the server closed meanwhile.
constexpr std::chrono::seconds kCheckIdleAfter{10};
}  // namespace

Lease::Lease(std::shared_ptr<ConnectionPool> pool, std::unique_ptr<MysqlConnection> connection)
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

size_t ConnectionPool::open_count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return open_count_;
}

bool ConnectionPool::TakeIdle(std::unique_lock<std::mutex>& lock, Lease& out) {
    while (!idle_.empty()) {
        std::unique_ptr<MysqlConnection> connection = std::move(idle_.back());
        idle_.pop_back();
        if (std::chrono::steady_clock::now() - connection->last_used() < kCheckIdleAfter) {
            out = Lease(shared_from_this(), std::move(connection));
            return true;
        }
        // Ping without holding the pool lock; the connection still counts as open meanwhile.
        lock.unlock();
        bool alive = true;
        try {
            connection->Ping("ping of an idle MySQL connection");
        } catch (const sdk::Error&) {
            alive = false;  // the server dropped it; close it and try the next one (or open anew)
        }
        if (alive) {
            lock.lock();
            out = Lease(shared_from_this(), std::move(connection));
            return true;
        }
        connection.reset();
        lock.lock();
        --open_count_;
    }
    return false;
}

Lease ConnectionPool::Acquire(const std::function<void()>& check) {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        Lease lease;
        if (TakeIdle(lock, lease)) return lease;
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
    Lease lease;
    if (TakeIdle(lock, lease)) return lease;
    if (open_count_ < max_connections_) return OpenNew(lock);
    return Lease();
}

Lease ConnectionPool::OpenNew(std::unique_lock<std::mutex>& lock) {
    // Connecting takes a network round trip or a connect timeout; never block the pool on it.
    ++open_count_;
    lock.unlock();
    try {
        auto connection = std::make_unique<MysqlConnection>(options_);
        return Lease(shared_from_this(), std::move(connection));
    } catch (...) {
        lock.lock();
        --open_count_;
        available_.notify_one();
        throw;
    }
}

void ConnectionPool::Release(std::unique_ptr<MysqlConnection> connection) {
    if (connection->broken()) {
        connection.reset();  // closes it outside the lock
        std::lock_guard<std::mutex> lock(mutex_);
        --open_count_;
    } else {
        connection->Touch();
        std::lock_guard<std::mutex> lock(mutex_);
        idle_.push_back(std::move(connection));
    }
    available_.notify_one();
}

}  // namespace jobber::mysql
