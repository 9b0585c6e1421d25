#include "pg_error.hpp"

#include "jobber/sdk/error.hpp"

namespace jobber::postgres {

namespace {

std::string Trimmed(const char* text) {
    std::string out = text != nullptr ? text : "";
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
}

}  // namespace

jobber_code CodeForSqlstate(std::string_view sqlstate) {
    if (sqlstate.size() != 5) return JOBBER_INTERNAL;
    if (sqlstate == "57014") return JOBBER_CANCELLED;
    // read_only_sql_transaction: a server switched to read-only (or a standby after a failover);
    // an operator condition that a retry after it is lifted cures.
    if (sqlstate == "25006") return JOBBER_UNAVAILABLE;
    // protocol_violation: in practice a bind with the wrong number of arguments (raw tasks).
    if (sqlstate == "08P01") return JOBBER_INVALID_ARGUMENT;
    const std::string_view cls = sqlstate.substr(0, 2);
    // 08 connection exception, 53 insufficient resources, 57P0x shutdown / cannot connect now,
    // 40 serialization failure and deadlock, 58 system error (I/O), 55P03 lock not available.
    if (cls == "08" || cls == "53" || cls == "40" || cls == "58" || sqlstate.substr(0, 4) == "57P0" ||
        sqlstate == "55P03" || sqlstate == "55006") {
        return JOBBER_UNAVAILABLE;
    }
    // 22 data exception, 42 syntax error or access rule violation, 0A feature not supported,
    // 21 cardinality, 23 integrity, 2B..2F and 3x: the statement itself is wrong.
    if (cls == "22" || cls == "42" || cls == "0A" || cls == "21" || cls == "23" || cls == "25" || cls == "26" ||
        cls == "28" || cls == "2B" || cls == "2D" || cls == "2F" || cls == "34" || cls == "38" || cls == "39" ||
        cls == "3B" || cls == "3D" || cls == "3F" || cls == "44" || cls == "P0") {
        return JOBBER_INVALID_ARGUMENT;
    }
    return JOBBER_INTERNAL;
}

std::string ConditionPrefix(std::string_view sqlstate) {
    if (sqlstate == "25006") return "database is read-only: ";
    // disk_full, and the out-of-space errors of the storage layer (could not extend file).
    if (sqlstate == "53100") return "database is full: ";
    return "";
}

std::string ConnectionMessage(PGconn* conn) {
    std::string message = Trimmed(conn != nullptr ? PQerrorMessage(conn) : "out of memory allocating a connection");
    return message.empty() ? std::string("connection lost") : message;
}

void ThrowResultError(PGconn* conn, const PGresult* result, const std::string& context) {
    if (result == nullptr || (conn != nullptr && PQstatus(conn) == CONNECTION_BAD)) {
        std::string message = result != nullptr ? Trimmed(PQresultErrorMessage(result)) : std::string();
        if (message.empty()) message = ConnectionMessage(conn);
        const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
        throw sdk::Error(JOBBER_UNAVAILABLE, context + ": " + message, 0, state != nullptr ? state : "");
    }
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    std::string message = primary != nullptr ? std::string(primary) : Trimmed(PQresultErrorMessage(result));
    if (message.empty()) message = std::string("unexpected result ") + PQresStatus(PQresultStatus(result));
    if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL))
        message += " (" + Trimmed(detail) + ")";
    if (const char* position = PQresultErrorField(result, PG_DIAG_STATEMENT_POSITION)) {
        message += std::string(" at character ") + position;
    }
    const std::string sqlstate = state != nullptr ? state : "";
    if (!sqlstate.empty()) message += " (SQLSTATE " + sqlstate + ")";
    throw sdk::Error(sqlstate.empty() ? JOBBER_INTERNAL : CodeForSqlstate(sqlstate),
                     ConditionPrefix(sqlstate) + context + ": " + message, 0, sqlstate);
}

void ThrowConnectionError(PGconn* conn, const std::string& context) {
    throw sdk::Error(JOBBER_UNAVAILABLE, context + ": " + ConnectionMessage(conn));
}

}  // namespace jobber::postgres
