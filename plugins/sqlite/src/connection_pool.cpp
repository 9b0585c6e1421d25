#include "connection_pool.hpp"

#include <functional>
#include <memory>
#include <utility>

namespace jobber::sqlite {

namespace {

ConnectionPool::Hooks OpenOnly(std::function<std::unique_ptr<SqliteConnection>()> open) {
    ConnectionPool::Hooks hooks;
    hooks.open = std::move(open);
    return hooks;
}

}  // namespace

// The open hook reads options_ only when called, which is after construction.
ConnectionPool::ConnectionPool(ConnectionOptions options, size_t max_connections)
    : sdk::ConnectionPool<SqliteConnection>("sqlite pool '" + options.dsn + "'", max_connections, OpenOnly([this] {
                                                return std::make_unique<SqliteConnection>(options_);
                                            })),
      options_(std::move(options)) {}

}  // namespace jobber::sqlite
