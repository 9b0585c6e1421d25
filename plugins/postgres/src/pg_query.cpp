#include "pg_query.hpp"

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "jobber/sdk/error.hpp"
#include "pg_error.hpp"

namespace jobber::postgres {

namespace {

using Clock = std::chrono::steady_clock;

// Longest wait for the socket before re-checking cancel and timeout.
constexpr int kPollSliceMs = 50;
// How long a stopped query may take to answer its cancel request before the connection is given up.
constexpr auto kCancelGrace = std::chrono::seconds(5);

std::string ParamText(const jobber_value& value) {
    switch (value.type) {
        case JOBBER_VALUE_BOOL:
            return value.bool_value != 0 ? "true" : "false";
        case JOBBER_VALUE_INT64:
            return std::to_string(value.int_value);
        case JOBBER_VALUE_DOUBLE: {
            if (value.text != nullptr) return std::string(value.text, value.text_size);
            char buffer[40];
            std::snprintf(buffer, sizeof(buffer), "%.17g", value.double_value);
            return buffer;
        }
        default:
            return value.text != nullptr ? std::string(value.text, value.text_size) : std::string();
    }
}

// Waits until the socket is readable or `timeout_ms` passed, then reads what arrived.
// False when the connection failed.
bool ReadSome(PGconn* conn, int timeout_ms) {
    pollfd fd{PQsocket(conn), POLLIN, 0};
    const int ready = poll(&fd, 1, timeout_ms);
    if (ready < 0) return errno == EINTR;
    if (ready == 0) return true;
    return PQconsumeInput(conn) != 0;
}

// Reads and discards results until the query is over. False when that did not happen in time or
// the connection failed.
bool Drain(PgConnection& connection, QueryControl& control) {
    PGconn* conn = connection.handle();
    const auto give_up = Clock::now() + kCancelGrace;
    for (;;) {
        while (!PQisBusy(conn)) {
            Result result(PQgetResult(conn));
            if (result == nullptr) return true;
        }
        if (Clock::now() >= give_up) return false;
        control.SendCancelOnce();
        if (!ReadSome(conn, kPollSliceMs)) return false;
    }
}

}  // namespace

std::string StatementKey(std::string_view task_name, std::string_view sql) {
    std::string key(task_name);
    key.push_back('\0');
    key.append(sql);
    return key;
}

void SendQuery(PgConnection& connection, const sdk::Query& query, const std::string& context) {
    // Text form for every argument: the server infers each parameter's type from the statement.
    std::vector<std::string> texts;
    std::vector<const char*> values;
    texts.reserve(query.param_count);
    values.reserve(query.param_count);
    for (uint32_t i = 0; i < query.param_count; ++i) {
        const jobber_value& value = query.params[i];
        if (value.type == JOBBER_VALUE_NULL) {
            values.push_back(nullptr);
            continue;
        }
        texts.push_back(ParamText(value));
        values.push_back(texts.back().c_str());
    }
    const int count = static_cast<int>(values.size());
    PGconn* conn = connection.handle();
    int sent = 0;
    if (query.raw) {
        const std::string sql(query.sql);
        sent = PQsendQueryParams(conn, sql.c_str(), count, nullptr, values.data(), nullptr, nullptr, 0);
    } else {
        int expected = 0;
        const std::string& name =
            connection.Prepared(StatementKey(query.task_name, query.sql), query.sql, context, &expected);
        if (expected != count) {
            throw sdk::Error(JOBBER_INVALID_ARGUMENT, context + " expects " + std::to_string(expected) + " argument" +
                                                          (expected == 1 ? "" : "s") + ", got " +
                                                          std::to_string(count));
        }
        sent = PQsendQueryPrepared(conn, name.c_str(), count, values.data(), nullptr, nullptr, 0);
    }
    if (sent == 0) ThrowConnectionError(conn, context);
    if (PQsetSingleRowMode(conn) == 0) {
        throw sdk::Error(JOBBER_INTERNAL, context + ": libpq refused single-row mode for the query");
    }
}

Result AwaitResult(PgConnection& connection, QueryControl& control, const std::string& context) {
    PGconn* conn = connection.handle();
    std::optional<Clock::time_point> give_up;
    for (;;) {
        if (!PQisBusy(conn)) return Result(PQgetResult(conn));
        if (control.ShouldStop()) {
            control.SendCancelOnce();
            if (!give_up) {
                give_up = Clock::now() + kCancelGrace;
            } else if (Clock::now() >= *give_up) {
                control.ThrowStopped();  // the server never answered; settling closes the connection
            }
        }
        if (!ReadSome(conn, kPollSliceMs)) ThrowConnectionError(conn, context);
    }
}

void SettleConnection(Lease lease, QueryControl& control) {
    if (!lease) return;
    PgConnection& connection = *lease;
    PGconn* conn = connection.handle();
    bool clean = PQstatus(conn) == CONNECTION_OK;
    if (clean && (PQisBusy(conn) || PQtransactionStatus(conn) == PQTRANS_ACTIVE)) clean = Drain(connection, control);
    control.Detach();
    if (clean && control.cancel_sent()) {
        // A cancel request can reach the session after its query ended; let a throw-away statement
        // absorb it so the next query on this connection does not fail. Twice, in case it does.
        for (int attempt = 0; attempt < 2; ++attempt) {
            Result result(PQexec(conn, "SELECT 1"));
            if (result != nullptr && PQresultStatus(result.get()) == PGRES_TUPLES_OK) break;
            const char* state = result != nullptr ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
            if (attempt == 1 || state == nullptr || std::strcmp(state, "57014") != 0) clean = false;
            if (!clean) break;
        }
    }
    if (!clean || !connection.Reusable()) lease.Discard();
}

}  // namespace jobber::postgres
