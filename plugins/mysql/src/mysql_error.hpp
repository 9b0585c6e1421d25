// MySQL client and server error numbers to jobber codes and operator messages.
#pragma once

#include <mysql.h>

#include <string>

#include "jobber/abi/common.h"

namespace jobber::mysql {

// Server errors 1317 (query interrupted) and 1927 (connection killed): what KILL QUERY causes.
bool IsInterrupted(unsigned int error_number);

// Client errors that mean the connection itself is gone (server went away, lost, cannot connect).
bool IsConnectionError(unsigned int error_number);

// UNAVAILABLE for lost connections and transient server states (too many connections, lock wait
// timeout, deadlock, shutdown); DEADLINE_EXCEEDED for the server's own statement timeout;
// INVALID_ARGUMENT for errors in the SQL or its data; INTERNAL for client out-of-memory.
jobber_code CodeFor(unsigned int error_number);

// "database is read-only: " (read_only / read-only mode, 1290 1792 1836) or "database is full: "
// (1114 table full, 1021 disk full), else empty: the operator condition the message leads with.
std::string ConditionPrefix(unsigned int error_number, const char* message);

// Throw the connection's (or statement's) last error as "<context>: <message> (MySQL error N,
// SQLSTATE S)", with the error number as vendor code.
[[noreturn]] void ThrowMysql(MYSQL* mysql, const std::string& context);
[[noreturn]] void ThrowStatement(MYSQL_STMT* stmt, const std::string& context);
// ThrowMysql with `code` instead of CodeFor() and `hint` (what to check, "; ...") after the message: for errors
// whose meaning depends on what was asked (a TLS failure under tls=verify-full is a configuration problem).
[[noreturn]] void ThrowMysqlWithHint(MYSQL* mysql,
                                     const std::string& context,
                                     jobber_code code,
                                     const std::string& hint);

}  // namespace jobber::mysql
