#include "mysql_error.hpp"

#include <errmsg.h>
#include <mysqld_error.h>

#include <cstring>
#include <string>

#include "jobber/sdk/error.hpp"

namespace jobber::mysql {

namespace {

bool Mentions(const char* message, const char* word) {
    return message != nullptr && std::strstr(message, word) != nullptr;
}

// What an operator should check. 2013 is also what a timeout looks like: the client gives up on a silent server
// (connect_timeout during the handshake, read_timeout/write_timeout after it) with the words of a dropped connection.
std::string ConnectionHint(unsigned int number, const char* message) {
    if (number == CR_SERVER_LOST || number == CR_SERVER_LOST_EXTENDED) {
        if (Mentions(message, "handshake")) {
            return "; the server did not complete the connection within connect_timeout, or closed it; check that it "
                   "is running and reachable";
        }
        return "; the server closed the connection or did not answer within read_timeout/write_timeout; check that "
               "it is running and reachable";
    }
    return "; check that the MySQL server is running and reachable";
}

[[noreturn]] void Throw(unsigned int number,
                        const char* message,
                        const char* sqlstate,
                        const std::string& context,
                        jobber_code code,
                        const std::string* hint) {
    std::string text = ConditionPrefix(number, message) + context + ": " +
                       (message != nullptr && *message != '\0' ? message : "unknown MySQL error") + " (MySQL error " +
                       std::to_string(number);
    if (sqlstate != nullptr && *sqlstate != '\0' && std::string(sqlstate) != "00000") {
        text += std::string(", SQLSTATE ") + sqlstate;
    }
    text += ")";
    if (hint != nullptr) {
        text += *hint;
    } else if (IsConnectionError(number)) {
        text += ConnectionHint(number, message);
    }
    throw sdk::Error(code, text, static_cast<int32_t>(number), sqlstate != nullptr ? sqlstate : "");
}

}  // namespace

std::string ConditionPrefix(unsigned int error_number, const char* message) {
    switch (error_number) {
        case ER_OPTION_PREVENTS_STATEMENT:  // 1290, also used for other options: only --read-only counts
            return Mentions(message, "read-only") || Mentions(message, "read_only") ? "database is read-only: " : "";
        case ER_READ_ONLY_MODE:                         // 1836
        case ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION:  // 1792
            return "database is read-only: ";
        case ER_RECORD_FILE_FULL:  // 1114 "The table is full": tablespace or max size reached
        case ER_DISK_FULL:         // 1021
            return "database is full: ";
        default:
            return "";
    }
}

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
        case ER_RECORD_FILE_FULL:  // full or read-only: an operator condition, cured by waiting it out
        case ER_DISK_FULL:
        case ER_READ_ONLY_MODE:
        case ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION:
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
    Throw(mysql_errno(mysql), mysql_error(mysql), mysql_sqlstate(mysql), context, CodeFor(mysql_errno(mysql)), nullptr);
}

void ThrowMysqlWithHint(MYSQL* mysql, const std::string& context, jobber_code code, const std::string& hint) {
    Throw(mysql_errno(mysql), mysql_error(mysql), mysql_sqlstate(mysql), context, code, &hint);
}

void ThrowStatement(MYSQL_STMT* stmt, const std::string& context) {
    Throw(mysql_stmt_errno(stmt), mysql_stmt_error(stmt), mysql_stmt_sqlstate(stmt), context,
          CodeFor(mysql_stmt_errno(stmt)), nullptr);
}

}  // namespace jobber::mysql
