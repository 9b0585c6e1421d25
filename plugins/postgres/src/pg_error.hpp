// PostgreSQL errors (SQLSTATE, connection failures) to jobber codes and operator messages.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <string_view>

#include "jobber/abi/common.h"
#include "jobber/sdk/error.hpp"

namespace jobber::postgres {

// UNAVAILABLE because the server did not answer within `io_timeout`. Its own type so callers that retry a failure
// on a fresh connection (meant for connections the server closed meanwhile) do not retry a server that is not
// answering, which would only add a connect timeout and hide the cause.
class IoTimeoutError : public sdk::Error {
public:
    using sdk::Error::Error;
};

// The jobber code for a SQLSTATE: connection problems, shutdowns, resource shortages and a
// read-only server are UNAVAILABLE (a retry may help), 57014 (query_canceled) is CANCELLED, errors in the query or its
// data are INVALID_ARGUMENT, the rest INTERNAL.
jobber_code CodeForSqlstate(std::string_view sqlstate);

// "database is read-only: " (25006) or "database is full: " (53100), else empty: the operator
// conditions an error message leads with, so the job error names the cause first.
std::string ConditionPrefix(std::string_view sqlstate);

// Throws sdk::Error for a failed result (or a null one, which means the connection failed):
// "<context>: <primary message> (SQLSTATE xxxxx)", with the SQLSTATE attached. A connection that
// went bad makes it UNAVAILABLE whatever the SQLSTATE says.
[[noreturn]] void ThrowResultError(PGconn* conn, const PGresult* result, const std::string& context);

// Throws UNAVAILABLE with libpq's connection error text.
[[noreturn]] void ThrowConnectionError(PGconn* conn, const std::string& context);

// libpq's error message without its trailing newline.
std::string ConnectionMessage(PGconn* conn);

}  // namespace jobber::postgres
