// One libpq connection: connect with our session settings, run statements, cache prepared
// statements, tell whether it is still usable, and hand out its cancel key.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace jobber::postgres {

struct ResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

struct ConnectionSettings {
    std::string dsn;  // libpq URI or key=value string; may hold a password
    int64_t connect_timeout_ms = 5000;
    // Longest wait for the server to take data or answer, per call; 0 = as long as it takes. Bounds a hung
    // (stopped, wedged, partitioned) server, which TCP alone may never report.
    int64_t io_timeout_ms = 0;
    std::string component;  // the instance name, for log lines
};

// TCP keepalive settings every connection starts with (a DSN may override each): a peer that vanished
// (machine gone, network partition) is noticed about a minute after the connection went quiet, instead of
// the kernel's two hours.
// How long a health check (GET /ready) waits for the server.
inline constexpr int64_t kPingTimeoutMs = 5000;

inline constexpr const char* kKeepaliveDefaults[][2] = {
    {"keepalives", "1"}, {"keepalives_idle", "30"}, {"keepalives_interval", "10"}, {"keepalives_count", "3"}};

// "host=... port=... dbname=... user=..." of a DSN, without its password, for messages and logs.
std::string DescribeDsn(const std::string& dsn);

// A statement argument in text form; nullopt binds SQL NULL.
using TextParam = std::optional<std::string_view>;

// One statement of a pipeline: SQL with $n placeholders and their text arguments (nullopt binds SQL NULL).
struct PipelinedStatement {
    std::string sql;
    std::vector<std::optional<std::string>> params;
};

class PgConnection {
public:
    // Connects and applies the session settings every query relies on (UTF8, ISO dates, UTC,
    // exact float text). Throws UNAVAILABLE naming the server when it cannot.
    explicit PgConnection(const ConnectionSettings& settings);
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;
    ~PgConnection();

    PGconn* handle() const { return conn_; }
    const std::string& description() const { return description_; }

    // Runs one or more statements without parameters; throws on failure.
    void Exec(const std::string& sql, const std::string& context);
    // A health check: `sql` bounded by `timeout_ms` (or the I/O timeout when that is shorter), whatever the role's
    // I/O timeout, so /ready answers promptly about a server that stopped answering. A time-out leaves the
    // connection unusable (timed_out()), like any other.
    void Ping(const std::string& sql, const std::string& context, int64_t timeout_ms);
    // Sends one or more statements and returns what PQexec would: the last result, the first error, or the
    // COPY IN that stopped it. Bounded by the I/O timeout like every call below.
    Result ExecUntilCopy(const std::string& sql, const std::string& context);
    // Runs one statement with text parameters; returns its result (COMMAND_OK or TUPLES_OK).
    Result ExecParams(const std::string& sql, const std::vector<TextParam>& params, const std::string& context);
    // Runs statements in one round trip (libpq pipeline mode), arguments bound as in ExecParams. The server skips
    // the statements after a failing one; the first failure is thrown once every reply has been read, so the
    // connection is usable (for a ROLLBACK) afterwards.
    void ExecPipeline(const std::vector<PipelinedStatement>& statements, const std::string& context);

    // The server-side name of `sql` prepared on this connection under `key`, preparing it on first
    // use. Reports its parameter count in *param_count when given.
    const std::string& Prepared(const std::string& key,
                                std::string_view sql,
                                const std::string& context,
                                int* param_count = nullptr);

    // Idle, in no transaction, and the server has not closed it (checked without blocking). Reads
    // and drops anything the server sent meanwhile (notices, a termination message).
    bool CheckIdle();
    // Whether a connection just used can go back to a pool: open and outside any transaction.
    bool Reusable() const;

    // COPY data and its end, queued and sent within the I/O timeout. A false return means libpq refused it
    // (the COPY already failed on the server): read the error with NextResult.
    bool PutCopyData(std::string_view bytes, const std::string& context);
    bool PutCopyEnd(const char* error_message, const std::string& context);
    // The next result once it has arrived (null when the command is over), waiting at most the I/O timeout.
    Result NextResult(const std::string& context);

    // The server did not answer within the I/O timeout: the connection's state is unknown, so it is never
    // used again (not even for a ROLLBACK: the server ends the transaction when the socket closes).
    bool timed_out() const { return timed_out_; }

    // Asks the server to cancel whatever this connection is running. Thread-safe with respect to
    // the connection's own use; blocks for one round trip to the server. False (with the reason
    // in *error) when the request could not be sent.
    bool SendCancel(std::string* error) const;

private:
    using Deadline = std::chrono::steady_clock::time_point;
    Deadline NextDeadline() const;
    // Calls `queue` (PQputCopyData/PQputCopyEnd) until libpq takes the data (1), then sends it, within the I/O
    // timeout. False when libpq refused it (-1).
    bool QueueAndSend(const std::function<int()>& queue, const std::string& context);
    // Reads the results of one sent command as PQexec would (see ExecUntilCopy).
    Result LastResult(const std::string& context);
    // Sends everything libpq has queued, reading meanwhile so the server never blocks on us.
    void Flush(Deadline deadline, const std::string& context);
    // Waits until the socket is ready for `events` (POLLIN/POLLOUT); throws UNAVAILABLE at the deadline.
    void WaitForSocket(short events, Deadline deadline, const std::string& context);

    struct PreparedStatement {
        std::string name;
        int param_count = 0;
    };

    PGconn* conn_ = nullptr;
    PGcancel* cancel_ = nullptr;
    std::string description_;
    std::string component_;
    std::unordered_map<std::string, PreparedStatement> prepared_;
    uint64_t next_statement_ = 1;
    int64_t io_timeout_ms_ = 0;
    bool timed_out_ = false;
};

}  // namespace jobber::postgres
