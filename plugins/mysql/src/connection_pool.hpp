// The MySQL pool: the SDK's generic pool over MysqlConnection, with MySQL's rules for reuse. An
// idle connection unused for a while is pinged before it is handed out and replaced when the server
// dropped it (wait_timeout, restart); a connection marked broken (or whose query was killed) is
// closed when its lease ends. The thread id KILL QUERY needs stays on MysqlConnection.
#pragma once

#include <cstddef>

#include "jobber/sdk/connection_pool.hpp"
#include "mysql_connection.hpp"

namespace jobber::mysql {

// Thread-safe. Create it with std::make_shared: leases keep a reference to it. Connection errors
// propagate from Acquire as UNAVAILABLE.
class ConnectionPool : public sdk::ConnectionPool<MysqlConnection> {
public:
    ConnectionPool(ConnectionOptions options, size_t max_connections);

    const ConnectionOptions& options() const { return options_; }

private:
    const ConnectionOptions options_;
};

using Lease = ConnectionPool::Lease;

}  // namespace jobber::mysql
