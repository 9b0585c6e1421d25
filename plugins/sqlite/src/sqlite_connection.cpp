#include "sqlite_connection.hpp"

#include <limits>

#include "jobber/sdk/error.hpp"
#include "sqlite_error.hpp"

namespace jobber::sqlite {

namespace {

bool IsJournalMode(const std::string& mode) {
    for (const char* known : {"delete", "truncate", "persist", "memory", "wal", "off"}) {
        if (sqlite3_stricmp(mode.c_str(), known) == 0) return true;
    }
    return false;
}

}  // namespace

SqliteConnection::SqliteConnection(const ConnectionOptions& options) {
    // NOMUTEX: the pool gives each handle to one thread at a time, so SQLite's own per-handle
    // mutex would only cost time. URI: lets `dsn` be a "file:" URI; plain paths still work.
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    if (options.read_only) {
        flags |= SQLITE_OPEN_READONLY;
    } else {
        flags |= SQLITE_OPEN_READWRITE;
        if (options.create) flags |= SQLITE_OPEN_CREATE;
    }
    const std::string context = "cannot open SQLite database '" + options.dsn + "'";
    const int rc = sqlite3_open_v2(options.dsn.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        // A failed open still allocates a handle (unless out of memory); it carries the message.
        std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        const int extended = db_ != nullptr ? sqlite3_extended_errcode(db_) : rc;
        sqlite3_close_v2(db_);
        db_ = nullptr;
        std::string hint;
        if ((rc & 0xff) == SQLITE_CANTOPEN) {
            hint = options.read_only || !options.create ? " (check that the file exists and is readable)"
                                                        : " (check that the directory exists and is writable)";
        }
        throw sdk::Error(CodeForSqlite(rc), context + ": " + detail + hint, extended);
    }
    sqlite3_extended_result_codes(db_, 1);
    const int64_t busy = options.busy_timeout_ms;
    sqlite3_busy_timeout(db_, busy > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max()
                                                                     : static_cast<int>(busy < 0 ? 0 : busy));
    if (!options.journal_mode.empty()) {
        if (!IsJournalMode(options.journal_mode)) {
            sqlite3_close_v2(db_);
            db_ = nullptr;
            throw sdk::Error(JOBBER_INVALID_ARGUMENT, "journal_mode '" + options.journal_mode +
                                                          "' is not one of delete, truncate, persist, memory, "
                                                          "wal, off");
        }
        try {
            Exec("PRAGMA journal_mode=" + options.journal_mode, context);
            // In WAL mode NORMAL still never corrupts the file; it only lets a power loss undo the
            // last commits, and result tables can be recomputed. It saves an fsync per batch.
            if (sqlite3_stricmp(options.journal_mode.c_str(), "wal") == 0) {
                Exec("PRAGMA synchronous=NORMAL", context);
            }
        } catch (...) {
            sqlite3_close_v2(db_);
            db_ = nullptr;
            throw;
        }
    }
}

SqliteConnection::~SqliteConnection() {
    statements_.clear();
    // close_v2 defers the close until every statement is finalized, so it cannot fail with BUSY.
    sqlite3_close_v2(db_);
}

void SqliteConnection::Exec(const std::string& sql, const std::string& context) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        throw sdk::Error(CodeForSqlite(rc), context + ": " + detail, sqlite3_extended_errcode(db_));
    }
}

Statement SqliteConnection::Prepare(std::string_view sql, const std::string& context, bool persistent) {
    if (sql.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, context + ": SQL text is too long");
    }
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      persistent ? SQLITE_PREPARE_PERSISTENT : 0, &raw, &tail);
    Statement stmt(raw);
    if (rc != SQLITE_OK) ThrowSqlite(db_, rc, context);
    if (stmt == nullptr) throw sdk::Error(JOBBER_INVALID_ARGUMENT, context + ": no SQL statement found");
    const size_t used = static_cast<size_t>(tail - sql.data());
    if (!IsBlankSqlTail(sql.substr(used))) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         context + ": more than one SQL statement; a task must be a single statement");
    }
    return stmt;
}

sqlite3_stmt* SqliteConnection::CachedStatement(const std::string& key,
                                                std::string_view sql,
                                                const std::string& context) {
    auto it = statements_.find(key);
    if (it != statements_.end()) return it->second.get();
    Statement stmt = Prepare(sql, context, true);
    sqlite3_stmt* raw = stmt.get();
    statements_.emplace(key, std::move(stmt));
    return raw;
}

bool IsBlankSqlTail(std::string_view tail) {
    size_t i = 0;
    while (i < tail.size()) {
        const char c = tail[i];
        if (c == ';' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            ++i;
        } else if (tail.compare(i, 2, "--") == 0) {
            const size_t end = tail.find('\n', i);
            if (end == std::string_view::npos) return true;
            i = end + 1;
        } else if (tail.compare(i, 2, "/*") == 0) {
            // SQLite accepts an unterminated block comment at the end of input.
            const size_t end = tail.find("*/", i + 2);
            if (end == std::string_view::npos) return true;
            i = end + 2;
        } else {
            return false;
        }
    }
    return true;
}

}  // namespace jobber::sqlite
