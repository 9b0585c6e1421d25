// One sqlite3 handle: opening it with the plugin's options, running statements, and a cache of
// prepared statements keyed by task.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace jobber::sqlite {

struct ConnectionOptions {
    std::string dsn;  // a file path or a "file:" URI
    bool read_only = true;
    bool create = false;  // create the file when missing (results backends only)
    int64_t busy_timeout_ms = 5000;
    std::string journal_mode;  // PRAGMA journal_mode to set on open; empty leaves it alone
};

struct StatementFinalizer {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

// Not thread-safe: one thread at a time (the pool hands it out exclusively). sqlite3_interrupt on
// handle() is the one call allowed from other threads.
class SqliteConnection {
public:
    // Throws Error(UNAVAILABLE) naming the path when the database cannot be opened.
    explicit SqliteConnection(const ConnectionOptions& options);
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;
    ~SqliteConnection();

    sqlite3* handle() const { return db_; }

    // Runs statements without parameters or results; errors throw with `context` as the prefix.
    void Exec(const std::string& sql, const std::string& context);

    // Compiles exactly one statement. Errors, empty SQL and trailing statements throw
    // Error(INVALID_ARGUMENT, "<context>: ..."). `persistent` hints that it will be reused.
    Statement Prepare(std::string_view sql, const std::string& context, bool persistent = false);

    // The statement cached under `key`, compiled on first use. Owned by the connection; valid
    // until the connection is destroyed.
    sqlite3_stmt* CachedStatement(const std::string& key, std::string_view sql, const std::string& context);

private:
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, Statement> statements_;
};

// True when `tail` (what follows a compiled statement) holds only whitespace, semicolons and
// comments, i.e. no second statement.
bool IsBlankSqlTail(std::string_view tail);

}  // namespace jobber::sqlite
