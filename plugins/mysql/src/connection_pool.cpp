#include "connection_pool.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <utility>

#include "jobber/sdk/error.hpp"
#include "mysql_error.hpp"

namespace jobber::mysql {

namespace {

// Idle connections older than this are pinged before reuse: cheap next to a report query, and it
// catches connections the server closed meanwhile.
constexpr std::chrono::seconds kCheckIdleAfter{10};

bool StillAlive(MysqlConnection& connection) {
    if (std::chrono::steady_clock::now() - connection.last_used() < kCheckIdleAfter) return true;
    try {
        connection.Ping("ping of an idle MySQL connection");
        return true;
    } catch (const sdk::Error&) {
        return false;  // the server dropped it; the pool opens a new one instead
    }
}

bool KeepAfterUse(MysqlConnection& connection) {
    // A connection whose last call lost the server (a read timeout, a restart) answers the next user with "server
    // has gone away"; whoever used it may not have marked it (a prepared statement's error stays on the statement).
    // The client library closes its socket when it loses the server.
    MYSQL* mysql = connection.handle();
    if (connection.broken() || IsConnectionError(mysql_errno(mysql)) ||
        mysql_get_socket(mysql) == MARIADB_INVALID_SOCKET) {
        return false;
    }
    connection.Touch();
    return true;
}

ConnectionPool::Hooks MysqlHooks(std::function<std::unique_ptr<MysqlConnection>()> open) {
    ConnectionPool::Hooks hooks;
    hooks.open = std::move(open);
    hooks.check_idle = &StillAlive;
    hooks.on_release = &KeepAfterUse;
    return hooks;
}

}  // namespace

// The open hook reads options_ only when called, which is after construction.
ConnectionPool::ConnectionPool(ConnectionOptions options, size_t max_connections)
    : sdk::ConnectionPool<MysqlConnection>("mysql pool " + options.endpoint.Describe(),
                                           max_connections,
                                           MysqlHooks([this] { return std::make_unique<MysqlConnection>(options_); })),
      options_(std::move(options)) {}

}  // namespace jobber::mysql
