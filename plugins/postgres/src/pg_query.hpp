// Running one source query on a leased connection: send it in single-row mode, wait for its
// results while honouring cancel and timeout, and leave the connection clean afterwards.
#pragma once

#include <string>

#include "connection_pool.hpp"
#include "jobber/sdk/roles.hpp"
#include "pg_connection.hpp"
#include "query_control.hpp"

namespace jobber::postgres {

// The statement-cache key of a task: its name and its SQL (a task whose SQL changes gets a new one).
std::string StatementKey(std::string_view task_name, std::string_view sql);

// Sends `query` with its arguments bound as text parameters, in single-row mode. Non-raw tasks
// run as a statement prepared once per connection; raw ones as an unnamed statement. A wrong
// argument count is INVALID_ARGUMENT naming both counts.
void SendQuery(PgConnection& connection, const sdk::Query& query, const std::string& context);

// The next result of the query in flight; null when it has no more. Waits on the socket. Once
// `control` says stop, sends the server a cancel request and keeps waiting for its answer (the
// query's error) for a few seconds, then throws CANCELLED or DEADLINE_EXCEEDED anyway. A lost
// connection throws UNAVAILABLE.
Result AwaitResult(PgConnection& connection, QueryControl& control, const std::string& context);

// Brings the connection back to idle after a query that finished, failed, was cancelled or was
// abandoned half-read (cancelling it and discarding what is left), detaches `control` from it, and
// gives it back to the pool; closes it instead when it cannot be made clean in a few seconds.
// Never throws.
void SettleConnection(Lease lease, QueryControl& control);

}  // namespace jobber::postgres
