// One client connection (MYSQL*): connect options, plain statements, prepared statements and
// their per-connection cache.
#pragma once

#include <mysql.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mysql_dsn.hpp"

namespace jobber::mysql {

// How long a health check (GET /ready) waits for the server.
inline constexpr int64_t kPingTimeoutMs = 5000;

struct ConnectionOptions {
    Endpoint endpoint;
    int64_t connect_timeout_ms = 10000;
    int64_t read_timeout_ms = 0;  // 0: wait as long as the query runs
    int64_t write_timeout_ms = 0;
    // Allows LOAD DATA LOCAL INFILE. Only results writers set it, and they always install their
    // own in-memory handler, so a server can never make the client read a local file.
    bool local_infile = false;
    // Run once after connecting (e.g. "SET SESSION sql_mode = ..."), besides the fixed session setup.
    std::string session_sql;
};

struct StatementCloser {
    void operator()(MYSQL_STMT* stmt) const {
        if (stmt != nullptr) mysql_stmt_close(stmt);
    }
};
using Statement = std::unique_ptr<MYSQL_STMT, StatementCloser>;

struct ResultCloser {
    void operator()(MYSQL_RES* result) const {
        if (result != nullptr) mysql_free_result(result);
    }
};
using Result = std::unique_ptr<MYSQL_RES, ResultCloser>;

// Small results as text, NULL as nullopt: for metadata queries, not for job rows.
using TextRows = std::vector<std::vector<std::optional<std::string>>>;

// Not thread-safe: one thread at a time (the pool hands it out). Every session uses utf8mb4 and
// time_zone '+00:00', so TIMESTAMP values arrive in UTC.
class MysqlConnection {
public:
    // Connects; throws UNAVAILABLE naming the endpoint when it cannot, INVALID_ARGUMENT when the DSN's TLS demands
    // cannot be met (no TLS on the server, a certificate that fails verification).
    explicit MysqlConnection(const ConnectionOptions& options);
    MysqlConnection(const MysqlConnection&) = delete;
    MysqlConnection& operator=(const MysqlConnection&) = delete;
    ~MysqlConnection();

    MYSQL* handle() const { return mysql_; }
    // The server's id for this session: the argument of KILL QUERY.
    unsigned long thread_id() const { return thread_id_; }

    // Runs a statement that returns no rows (or whose rows are discarded).
    void Exec(std::string_view sql, const std::string& context);
    // Runs a query without arguments and reads every row as text (small results only).
    TextRows Query(std::string_view sql, const std::string& context);
    // A prepared statement owned by the caller.
    Statement Prepare(std::string_view sql, const std::string& context);
    // A prepared statement kept for the life of the connection under `key`, prepared on first use.
    MYSQL_STMT* CachedStatement(const std::string& key, std::string_view sql, const std::string& context);
    void Ping(const std::string& context);
    // A health check (GET /ready) that gives up after `timeout_ms` whatever read_timeout says (the source role has
    // none: its queries may compute for hours); a time-out marks the connection broken. Uses the client library's
    // non-blocking API, since mysql_ping has no per-call bound.
    void PingWithin(const std::string& context, int64_t timeout_ms);

    // A connection whose state is unknown (query killed, result abandoned, I/O error) is never
    // reused: the pool closes it instead.
    void MarkBroken() { broken_ = true; }
    bool broken() const { return broken_; }
    // Shuts the socket down at once so that nothing on this connection can block any more (used
    // before giving up a connection with an unread result).
    void Abort();

    std::chrono::steady_clock::time_point last_used() const { return last_used_; }
    void Touch() { last_used_ = std::chrono::steady_clock::now(); }

private:
    // mysql_init, options, mysql_real_connect; false with the error in mysql_. Throws only for option failures.
    bool Connect(const ConnectionOptions& options, bool use_tls);

    MYSQL* mysql_ = nullptr;
    unsigned long thread_id_ = 0;
    bool broken_ = false;
    std::chrono::steady_clock::time_point last_used_;
    std::unordered_map<std::string, Statement> statements_;
};

// Installs LOAD DATA LOCAL INFILE handlers that refuse every request: a connection allowed to send
// local data never falls back to the library's default handler, which reads files from disk.
void RefuseLocalInfile(MYSQL* mysql);

// Runs `sql` with its `?` parameters bound as text (NULL for nullopt) and returns every row.
// For the plugin's own small metadata queries; every value is bound, never spliced.
TextRows QueryWithText(MysqlConnection& connection,
                       std::string_view sql,
                       const std::vector<std::optional<std::string>>& args,
                       const std::string& context);
// Like QueryWithText for statements without rows; returns the affected row count.
uint64_t ExecWithText(MysqlConnection& connection,
                      std::string_view sql,
                      const std::vector<std::optional<std::string>>& args,
                      const std::string& context);

}  // namespace jobber::mysql
