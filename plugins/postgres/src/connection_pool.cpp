#include "connection_pool.hpp"

#include <functional>
#include <memory>
#include <utility>

namespace jobber::postgres {

namespace {

ConnectionPool::Hooks PgHooks(std::function<std::unique_ptr<PgConnection>()> open) {
    ConnectionPool::Hooks hooks;
    hooks.open = std::move(open);
    // Polls the socket only, never waits on the server; the pool runs it outside its lock.
    hooks.check_idle = [](PgConnection& connection) { return connection.CheckIdle(); };
    hooks.on_release = [](PgConnection& connection) { return connection.Reusable(); };
    return hooks;
}

}  // namespace

// The open hook reads settings_ only when called, which is after construction.
ConnectionPool::ConnectionPool(ConnectionSettings settings, size_t max_connections)
    : sdk::ConnectionPool<PgConnection>("postgres pool '" + DescribeDsn(settings.dsn) + "'",
                                        max_connections,
                                        PgHooks([this] { return std::make_unique<PgConnection>(settings_); })),
      settings_(std::move(settings)) {}

}  // namespace jobber::postgres
