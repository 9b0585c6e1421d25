#include "mysql_error.hpp"

#include <errmsg.h>
#include <mysqld_error.h>

#include "jobber/sdk/error.hpp"

namespace jobber::mysql {

namespace {

[[noreturn]] void Throw(unsigned int number, const char* message, const char* sqlstate, const std::string& context) {
    std::string text = context + ": " + (message != nullptr && *message != '\0' ? message : "unknown MySQL error") +
                       " (MySQL error " + std::to_string(number);
    if (sqlstate != nullptr && *sqlstate != '\0' && std::string(sqlstate) != "00000") {
        text += std::string(", SQLSTATE ") + sqlstate;
    }
    text += ")";
    if (IsConnectionError(number)) text += "; check that the MySQL server is running and reachable";
    throw sdk::Error(CodeFor(number), text, static_cast<int32_t>(number), sqlstate != nullptr ? sqlstate : "");
}

}  // namespace

bool IsInterrupted(unsigned int error_number) {
    return error_number == ER_QUERY_INTERRUPTED || error_number == ER_CONNECTION_KILLED;
}

bool IsConnectionError(unsigned int error_number) {
    switch (error_number) {
        case CR_CONNECTION_ERROR:
        case CR_CONN_HOST_ERROR:
        case CR_UNKNOWN_HOST:
        case CR_SERVER_GONE_ERROR:
        case CR_SERVER_LOST:
        case CR_SERVER_LOST_EXTENDED:
        case CR_COMMANDS_OUT_OF_SYNC:
        case ER_CONNECTION_KILLED:
        case ER_SERVER_SHUTDOWN:
            return true;
        default:
            return false;
    }
}

jobber_code CodeFor(unsigned int error_number) {
    if (IsConnectionError(error_number)) return JOBBER_UNAVAILABLE;
    switch (error_number) {
        case CR_OUT_OF_MEMORY:
            return JOBBER_INTERNAL;
        case ER_CON_COUNT_ERROR:
        case ER_TOO_MANY_USER_CONNECTIONS:
        case ER_LOCK_WAIT_TIMEOUT:
        case ER_LOCK_DEADLOCK:
        case ER_OUT_OF_RESOURCES:
        case ER_ACCESS_DENIED_ERROR:  // may be a password rotation in progress: a retry may help
            return JOBBER_UNAVAILABLE;
        case ER_STATEMENT_TIMEOUT:
            return JOBBER_DEADLINE_EXCEEDED;
        case ER_QUERY_INTERRUPTED:
            return JOBBER_CANCELLED;
        default:
            // Other client-side errors (2000-2999) concern the connection or the protocol.
            return error_number >= 2000 && error_number < 3000 ? JOBBER_UNAVAILABLE : JOBBER_INVALID_ARGUMENT;
    }
}

void ThrowMysql(MYSQL* mysql, const std::string& context) {
    Throw(mysql_errno(mysql), mysql_error(mysql), mysql_sqlstate(mysql), context);
}

void ThrowStatement(MYSQL_STMT* stmt, const std::string& context) {
    Throw(mysql_stmt_errno(stmt), mysql_stmt_error(stmt), mysql_stmt_sqlstate(stmt), context);
}

}  // namespace jobber::mysql
