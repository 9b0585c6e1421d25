// The SQLite source's connection pool: the SDK's generic pool over SqliteConnection. Each
// connection sets its own pragmas and statement cache when opened (SqliteConnection); a file
// database never drops a connection, so nothing is checked before reuse and every one is kept.
#pragma once

#include <cstddef>

#include "jobber/sdk/connection_pool.hpp"
#include "sqlite_connection.hpp"

namespace jobber::sqlite {

// Thread-safe. Create it with std::make_shared: leases keep a reference to it.
class ConnectionPool : public sdk::ConnectionPool<SqliteConnection> {
public:
    ConnectionPool(ConnectionOptions options, size_t max_connections);

    const ConnectionOptions& options() const { return options_; }

private:
    const ConnectionOptions options_;
};

using Lease = ConnectionPool::Lease;

}  // namespace jobber::sqlite
