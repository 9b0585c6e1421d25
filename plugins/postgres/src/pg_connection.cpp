#include "pg_connection.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"
#include "pg_error.hpp"

namespace jobber::postgres {

namespace {

// Every value the source parses depends on these, so they are set on every connection rather than
// trusted from the server's or the role's defaults: ISO dates, UTC (timestamptz then prints +00),
// shortest exact float text (the PostgreSQL 12+ meaning of extra_float_digits >= 1).
constexpr const char* kSessionSetup =
    "SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; SET extra_float_digits = 3; SET IntervalStyle = 'postgres'";

struct ConninfoDeleter {
    void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

// libpq prints notices to stderr by default; plugins log only through the host.
void LogNotice(void* component, const char* message) {
    std::string text = message != nullptr ? message : "";
    while (!text.empty() && text.back() == '\n') text.pop_back();
    sdk::Log(sdk::LogLevel::kDebug, *static_cast<const std::string*>(component), "postgres notice: " + text);
}

}  // namespace

std::string DescribeDsn(const std::string& dsn) {
    char* error = nullptr;
    std::unique_ptr<PQconninfoOption, ConninfoDeleter> options(PQconninfoParse(dsn.c_str(), &error));
    if (options == nullptr) {
        std::string message = error != nullptr ? error : "cannot parse";
        PQfreemem(error);
        while (!message.empty() && message.back() == '\n') message.pop_back();
        return "an unparsable dsn (" + message + ")";
    }
    std::string out;
    for (const char* key : {"host", "hostaddr", "port", "dbname", "user"}) {
        for (PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
            if (std::string_view(o->keyword) == key && o->val != nullptr && *o->val != '\0') {
                out += (out.empty() ? "" : " ") + std::string(key) + "=" + o->val;
            }
        }
    }
    return out.empty() ? std::string("the libpq defaults") : out;
}

PgConnection::PgConnection(const ConnectionSettings& settings)
    : description_(DescribeDsn(settings.dsn)), component_(settings.component), io_timeout_ms_(settings.io_timeout_ms) {
    // libpq counts whole seconds and treats 1 as 2; round up so a short timeout is not zero (= forever).
    const std::string timeout = std::to_string(std::max<int64_t>(2, (settings.connect_timeout_ms + 999) / 1000));
    // libpq lets keywords after the DSN (dbname) override it and the DSN override those before it: keepalive
    // defaults first, then the DSN, then what must hold whatever it says (our timeout, UTF8).
    std::vector<const char*> keywords;
    std::vector<const char*> values;
    for (const auto& [keyword, value] : kKeepaliveDefaults) {
        keywords.push_back(keyword);
        values.push_back(value);
    }
    const std::pair<const char*, const char*> rest[] = {{"dbname", settings.dsn.c_str()},
                                                        {"connect_timeout", timeout.c_str()},
                                                        {"client_encoding", "UTF8"},
                                                        {"fallback_application_name", "sql-jobber"}};
    for (const auto& [keyword, value] : rest) {
        keywords.push_back(keyword);
        values.push_back(value);
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keywords.data(), values.data(), 1);
    const std::string context = "cannot connect to PostgreSQL at " + description_;
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
        std::string message = ConnectionMessage(conn_);
        PQfinish(conn_);
        conn_ = nullptr;
        throw sdk::Error(JOBBER_UNAVAILABLE, context + ": " + message);
    }
    PQsetNoticeProcessor(conn_, &LogNotice, &component_);
    try {
        // Nonblocking sends let every wait below end at the I/O timeout, writes included.
        if (io_timeout_ms_ > 0 && PQsetnonblocking(conn_, 1) != 0) ThrowConnectionError(conn_, context);
        Exec(kSessionSetup, "cannot set up a session on PostgreSQL at " + description_);
    } catch (...) {
        PQfinish(conn_);
        conn_ = nullptr;
        throw;
    }
    cancel_ = PQgetCancel(conn_);
}

PgConnection::~PgConnection() {
    if (cancel_ != nullptr) PQfreeCancel(cancel_);
    if (conn_ != nullptr) PQfinish(conn_);
}

void PgConnection::Exec(const std::string& sql, const std::string& context) {
    Result result = ExecUntilCopy(sql, context);
    const ExecStatusType status = result != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) ThrowResultError(conn_, result.get(), context);
}

void PgConnection::Ping(const std::string& sql, const std::string& context, int64_t timeout_ms) {
    const int64_t bound = io_timeout_ms_ > 0 ? std::min(io_timeout_ms_, timeout_ms) : timeout_ms;
    // The role's timeout comes back however Exec ends.
    struct RestoreTimeout {
        int64_t& slot;
        const int64_t value;
        ~RestoreTimeout() { slot = value; }
    } restore{io_timeout_ms_, std::exchange(io_timeout_ms_, bound)};
    try {
        Exec(sql, context);
    } catch (const IoTimeoutError&) {
        // Not the role's io_timeout that ran out, as Exec's message says, but the health check's own bound.
        throw IoTimeoutError(JOBBER_UNAVAILABLE, context + ": the server did not answer within " +
                                                     std::to_string(bound) + " ms; the connection is closed");
    }
}

Result PgConnection::ExecUntilCopy(const std::string& sql, const std::string& context) {
    if (PQsendQuery(conn_, sql.c_str()) != 1) ThrowConnectionError(conn_, context);
    return LastResult(context);
}

Result PgConnection::ExecParams(const std::string& sql,
                                const std::vector<TextParam>& params,
                                const std::string& context) {
    std::vector<std::string> copies;  // libpq wants NUL-terminated text
    copies.reserve(params.size());
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const TextParam& p : params) {
        if (!p) {
            values.push_back(nullptr);
            continue;
        }
        copies.emplace_back(*p);
        values.push_back(copies.back().c_str());
    }
    if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr,
                          0) != 1) {
        ThrowConnectionError(conn_, context);
    }
    Result result = LastResult(context);
    const ExecStatusType status = result != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) ThrowResultError(conn_, result.get(), context);
    return result;
}

Result PgConnection::LastResult(const std::string& context) {
    Result kept;
    for (;;) {
        Result result = NextResult(context);
        if (result == nullptr) return kept;
        const ExecStatusType status = PQresultStatus(result.get());
        if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) return result;
        // As PQexec: the first error wins (the server skips the rest of a multi-statement string anyway).
        if (kept == nullptr || PQresultStatus(kept.get()) != PGRES_FATAL_ERROR) kept = std::move(result);
    }
}

Result PgConnection::NextResult(const std::string& context) {
    const Deadline deadline = NextDeadline();
    Flush(deadline, context);
    while (PQisBusy(conn_)) {
        WaitForSocket(POLLIN, deadline, context);
        if (PQconsumeInput(conn_) == 0) ThrowConnectionError(conn_, context);
    }
    return Result(PQgetResult(conn_));
}

bool PgConnection::PutCopyData(std::string_view bytes, const std::string& context) {
    return QueueAndSend([&] { return PQputCopyData(conn_, bytes.data(), static_cast<int>(bytes.size())); }, context);
}

bool PgConnection::PutCopyEnd(const char* error_message, const std::string& context) {
    return QueueAndSend([&] { return PQputCopyEnd(conn_, error_message); }, context);
}

bool PgConnection::QueueAndSend(const std::function<int()>& queue, const std::string& context) {
    const Deadline deadline = NextDeadline();
    for (;;) {
        const int queued = queue();
        if (queued < 0) return false;
        if (queued == 1) break;
        Flush(deadline, context);  // nonblocking and libpq's buffer is full: make room
    }
    // Sent before returning, so what libpq holds stays bounded and a stalled server is noticed here.
    Flush(deadline, context);
    return true;
}

PgConnection::Deadline PgConnection::NextDeadline() const {
    if (io_timeout_ms_ <= 0) return Deadline::max();
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(io_timeout_ms_);
}

void PgConnection::Flush(Deadline deadline, const std::string& context) {
    for (;;) {
        const int pending = PQflush(conn_);
        if (pending == 0) return;
        if (pending < 0) ThrowConnectionError(conn_, context);
        WaitForSocket(POLLIN | POLLOUT, deadline, context);
        // The server may be sending (an error, notices) while we send: reading keeps it from blocking on us.
        if (PQconsumeInput(conn_) == 0) ThrowConnectionError(conn_, context);
    }
}

void PgConnection::WaitForSocket(short events, Deadline deadline, const std::string& context) {
    const int socket = PQsocket(conn_);
    if (socket < 0) ThrowConnectionError(conn_, context);
    for (;;) {
        int wait_ms = -1;
        if (deadline != Deadline::max()) {
            const int64_t left =
                std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
            if (left <= 0) {
                timed_out_ = true;
                // The context usually names the server already.
                const std::string who = context.find(description_) == std::string::npos
                                            ? "PostgreSQL at " + description_
                                            : std::string("the server");
                throw IoTimeoutError(JOBBER_UNAVAILABLE, context + ": " + who + " did not answer within " +
                                                             std::to_string(io_timeout_ms_) +
                                                             " ms (config key 'io_timeout'); the connection is closed");
            }
            wait_ms = static_cast<int>(std::min<int64_t>(left, std::numeric_limits<int>::max()));
        }
        pollfd fd{socket, events, 0};
        const int ready = poll(&fd, 1, wait_ms);
        if (ready > 0) return;
        if (ready < 0 && errno != EINTR) ThrowConnectionError(conn_, context);
    }
}

void PgConnection::ExecPipeline(const std::vector<PipelinedStatement>& statements, const std::string& context) {
    if (PQenterPipelineMode(conn_) != 1) ThrowConnectionError(conn_, context);
    for (const PipelinedStatement& statement : statements) {
        std::vector<const char*> values;
        for (const auto& param : statement.params) values.push_back(param ? param->c_str() : nullptr);
        if (PQsendQueryParams(conn_, statement.sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                              nullptr, nullptr, 0) != 1) {
            ThrowConnectionError(conn_, context);  // nothing was sent; the connection is discarded
        }
    }
    if (PQpipelineSync(conn_) != 1) ThrowConnectionError(conn_, context);
    // Each statement answers with its result and a null; the sync answers last. Statements after a failure come
    // back PIPELINE_ABORTED.
    Result first_error;
    bool synced = false;
    for (size_t reads = 0; !synced && reads < 2 * statements.size() + 2; ++reads) {
        Result result = NextResult(context);
        if (result == nullptr) {
            if (PQstatus(conn_) != CONNECTION_OK) break;
            continue;
        }
        switch (PQresultStatus(result.get())) {
            case PGRES_PIPELINE_SYNC:
                synced = true;
                break;
            case PGRES_COMMAND_OK:
            case PGRES_TUPLES_OK:
            case PGRES_PIPELINE_ABORTED:
                break;
            default:
                if (first_error == nullptr) first_error = std::move(result);
        }
    }
    if (!synced) ThrowConnectionError(conn_, context);
    PQexitPipelineMode(conn_);
    if (first_error != nullptr) ThrowResultError(conn_, first_error.get(), context);
}

const std::string& PgConnection::Prepared(const std::string& key,
                                          std::string_view sql,
                                          const std::string& context,
                                          int* param_count) {
    auto it = prepared_.find(key);
    if (it == prepared_.end()) {
        PreparedStatement statement;
        statement.name = "jobber_s" + std::to_string(next_statement_++);
        const std::string text(sql);
        Result prepared(PQprepare(conn_, statement.name.c_str(), text.c_str(), 0, nullptr));
        if (prepared == nullptr || PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
            ThrowResultError(conn_, prepared.get(), context);
        }
        Result described(PQdescribePrepared(conn_, statement.name.c_str()));
        if (described == nullptr || PQresultStatus(described.get()) != PGRES_COMMAND_OK) {
            ThrowResultError(conn_, described.get(), context);
        }
        statement.param_count = PQnparams(described.get());
        it = prepared_.emplace(key, std::move(statement)).first;
    }
    if (param_count != nullptr) *param_count = it->second.param_count;
    return it->second.name;
}

bool PgConnection::CheckIdle() {
    if (!Reusable() || PQisBusy(conn_)) return false;
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    const int ready = poll(&fd, 1, 0);
    if (ready < 0) return false;
    if (ready > 0) {
        // Data on an idle connection: a notice, or the server saying goodbye before closing it.
        if (PQconsumeInput(conn_) == 0) return false;
        while (PGnotify* notify = PQnotifies(conn_)) PQfreemem(notify);
        if (PQisBusy(conn_)) return false;
    }
    return Reusable();
}

bool PgConnection::Reusable() const {
    return conn_ != nullptr && !timed_out_ && PQstatus(conn_) == CONNECTION_OK &&
           PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

bool PgConnection::SendCancel(std::string* error) const {
    if (cancel_ == nullptr) {
        if (error != nullptr) *error = "no cancel key for this connection";
        return false;
    }
    char buffer[256] = {0};
    if (PQcancel(cancel_, buffer, sizeof(buffer)) == 1) return true;
    if (error != nullptr) *error = buffer;
    return false;
}

}  // namespace jobber::postgres
