// The PostgreSQL pool: the SDK's generic pool over PgConnection, with PostgreSQL's rules for reuse.
// An idle connection is checked (without blocking) before it is handed out and replaced when the
// server closed it; one left broken, inside a transaction or mid-query is closed when its lease
// ends. Each connection's prepared-statement cache stays on PgConnection.
#pragma once

#include <cstddef>

#include "jobber/sdk/connection_pool.hpp"
#include "pg_connection.hpp"

namespace jobber::postgres {

// Thread-safe. Create it with std::make_shared: leases keep a reference to it. Connect errors
// (UNAVAILABLE) propagate from Acquire.
class ConnectionPool : public sdk::ConnectionPool<PgConnection> {
public:
    ConnectionPool(ConnectionSettings settings, size_t max_connections);

    const ConnectionSettings& settings() const { return settings_; }

private:
    const ConnectionSettings settings_;
};

using Lease = ConnectionPool::Lease;

}  // namespace jobber::postgres
