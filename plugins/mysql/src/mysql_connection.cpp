#include "mysql_connection.hpp"

#include <errmsg.h>

#include <cstdio>
#include <mutex>
#include <utility>

#include "jobber/sdk/error.hpp"
#include "mysql_error.hpp"

namespace jobber::mysql {

namespace {

// mysql_library_init is not thread-safe; mysql_init calls it implicitly, so make the first call
// here, once, before any connection.
void InitLibrary() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (mysql_library_init(0, nullptr, nullptr) != 0) {
            throw sdk::Error(JOBBER_INTERNAL, "mysql_library_init failed: the MySQL client library cannot start");
        }
    });
}

unsigned int Seconds(int64_t ms) {
    // The client library counts whole seconds; round up so that 500ms does not become "no timeout".
    return static_cast<unsigned int>((ms + 999) / 1000);
}

void SetOption(MYSQL* mysql, mysql_option option, const void* value, const char* name) {
    if (mysql_options(mysql, option, value) != 0) {
        throw sdk::Error(JOBBER_INTERNAL, std::string("the MySQL client library refused option ") + name);
    }
}

TextRows ReadAll(MYSQL* mysql, MYSQL_RES* result, const std::string& context) {
    TextRows rows;
    if (result == nullptr) {
        if (mysql_field_count(mysql) != 0) ThrowMysql(mysql, context);
        return rows;
    }
    const unsigned int columns = mysql_num_fields(result);
    while (MYSQL_ROW row = mysql_fetch_row(result)) {
        const unsigned long* lengths = mysql_fetch_lengths(result);
        std::vector<std::optional<std::string>> out;
        out.reserve(columns);
        for (unsigned int i = 0; i < columns; ++i) {
            if (row[i] == nullptr) {
                out.emplace_back();
            } else {
                out.emplace_back(std::string(row[i], lengths[i]));
            }
        }
        rows.push_back(std::move(out));
    }
    if (mysql_errno(mysql) != 0) ThrowMysql(mysql, context);
    return rows;
}

// Binds `args` as strings (or NULL) to `stmt`, executes it and, when it has a result, reads
// it whole as text.
TextRows RunWithText(MysqlConnection& connection,
                     std::string_view sql,
                     const std::vector<std::optional<std::string>>& args,
                     const std::string& context,
                     uint64_t* affected) {
    Statement stmt = connection.Prepare(sql, context);
    if (mysql_stmt_param_count(stmt.get()) != args.size()) {
        throw sdk::Error(JOBBER_INTERNAL, context + ": statement expects " +
                                              std::to_string(mysql_stmt_param_count(stmt.get())) + " arguments, got " +
                                              std::to_string(args.size()));
    }
    std::vector<MYSQL_BIND> binds(args.size());
    std::vector<unsigned long> lengths(args.size());
    for (size_t i = 0; i < args.size(); ++i) {
        binds[i] = MYSQL_BIND{};
        if (!args[i]) {
            binds[i].buffer_type = MYSQL_TYPE_NULL;
            continue;
        }
        lengths[i] = static_cast<unsigned long>(args[i]->size());
        binds[i].buffer_type = MYSQL_TYPE_STRING;
        binds[i].buffer = const_cast<char*>(args[i]->data());
        binds[i].buffer_length = lengths[i];
        binds[i].length = &lengths[i];
    }
    if (!binds.empty() && mysql_stmt_bind_param(stmt.get(), binds.data()) != 0) ThrowStatement(stmt.get(), context);
    if (mysql_stmt_execute(stmt.get()) != 0) ThrowStatement(stmt.get(), context);
    if (affected != nullptr) *affected = mysql_stmt_affected_rows(stmt.get());
    TextRows rows;
    const unsigned int columns = mysql_stmt_field_count(stmt.get());
    if (columns == 0) return rows;
    // Every column fetched as a string; values longer than the buffer are fetched again in full.
    std::vector<MYSQL_BIND> out(columns);
    std::vector<std::string> buffers(columns, std::string(256, '\0'));
    std::vector<unsigned long> out_lengths(columns);
    std::vector<my_bool> nulls(columns);
    auto bind = [&] {
        for (unsigned int i = 0; i < columns; ++i) {
            out[i] = MYSQL_BIND{};
            out[i].buffer_type = MYSQL_TYPE_STRING;
            out[i].buffer = buffers[i].data();
            out[i].buffer_length = static_cast<unsigned long>(buffers[i].size());
            out[i].length = &out_lengths[i];
            out[i].is_null = &nulls[i];
        }
        if (mysql_stmt_bind_result(stmt.get(), out.data()) != 0) ThrowStatement(stmt.get(), context);
    };
    bind();
    if (mysql_stmt_store_result(stmt.get()) != 0) ThrowStatement(stmt.get(), context);
    for (;;) {
        const int rc = mysql_stmt_fetch(stmt.get());
        if (rc == MYSQL_NO_DATA) break;
        if (rc == 1) ThrowStatement(stmt.get(), context);
        std::vector<std::optional<std::string>> row(columns);
        for (unsigned int i = 0; i < columns; ++i) {
            if (nulls[i]) continue;
            if (out_lengths[i] > buffers[i].size()) {
                buffers[i].resize(out_lengths[i]);
                MYSQL_BIND again = out[i];
                again.buffer = buffers[i].data();
                again.buffer_length = out_lengths[i];
                if (mysql_stmt_fetch_column(stmt.get(), &again, i, 0) != 0) ThrowStatement(stmt.get(), context);
                bind();
            }
            row[i] = std::string(buffers[i].data(), out_lengths[i]);
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

int RefuseInit(void** ptr, const char* /*filename*/, void* /*userdata*/) {
    *ptr = nullptr;
    return 1;
}
int RefuseRead(void* /*ptr*/, char* /*buffer*/, unsigned int /*length*/) {
    return -1;
}
void RefuseEnd(void* /*ptr*/) {}
int RefuseError(void* /*ptr*/, char* message, unsigned int length) {
    std::snprintf(message, length, "this connection sends no local files");
    return CR_UNKNOWN_ERROR;
}

}  // namespace

void RefuseLocalInfile(MYSQL* mysql) {
    mysql_set_local_infile_handler(mysql, &RefuseInit, &RefuseRead, &RefuseEnd, &RefuseError, nullptr);
}

MysqlConnection::MysqlConnection(const ConnectionOptions& options) {
    InitLibrary();
    mysql_ = mysql_init(nullptr);
    if (mysql_ == nullptr) throw sdk::Error(JOBBER_INTERNAL, "mysql_init failed: out of memory");
    try {
        SetOption(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4", "MYSQL_SET_CHARSET_NAME");
        const unsigned int connect_timeout = Seconds(options.connect_timeout_ms);
        if (connect_timeout > 0) SetOption(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout, "connect_timeout");
        const unsigned int read_timeout = Seconds(options.read_timeout_ms);
        if (read_timeout > 0) SetOption(mysql_, MYSQL_OPT_READ_TIMEOUT, &read_timeout, "read_timeout");
        const unsigned int write_timeout = Seconds(options.write_timeout_ms);
        if (write_timeout > 0) SetOption(mysql_, MYSQL_OPT_WRITE_TIMEOUT, &write_timeout, "write_timeout");
        const unsigned int local_infile = options.local_infile ? 1 : 0;
        SetOption(mysql_, MYSQL_OPT_LOCAL_INFILE, &local_infile, "MYSQL_OPT_LOCAL_INFILE");
        // Auto-reconnect would silently drop prepared statements and session settings.
        const my_bool reconnect = 0;
        SetOption(mysql_, MYSQL_OPT_RECONNECT, &reconnect, "MYSQL_OPT_RECONNECT");

        const Endpoint& e = options.endpoint;
        const bool socket = !e.socket.empty();
        if (mysql_real_connect(mysql_, socket ? "localhost" : e.host.c_str(), e.user.c_str(), e.password.c_str(),
                               e.database.c_str(), socket ? 0 : e.port, socket ? e.socket.c_str() : nullptr,
                               0) == nullptr) {
            ThrowMysql(mysql_, "cannot connect to MySQL " + e.Describe());
        }
        if (options.local_infile) RefuseLocalInfile(mysql_);
        thread_id_ = mysql_thread_id(mysql_);
        Exec("SET SESSION time_zone = '+00:00'", "cannot set up the MySQL session on " + e.Describe());
        if (!options.session_sql.empty()) {
            Exec(options.session_sql, "cannot set up the MySQL session on " + e.Describe());
        }
    } catch (...) {
        mysql_close(mysql_);
        throw;
    }
    Touch();
}

MysqlConnection::~MysqlConnection() {
    // Closing the connection first detaches its statements (the library invalidates them), so
    // closing them afterwards only frees memory and can never wait on an unread result.
    mysql_close(mysql_);
    statements_.clear();
}

void MysqlConnection::Exec(std::string_view sql, const std::string& context) {
    if (mysql_real_query(mysql_, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
        ThrowMysql(mysql_, context);
    }
    Result result(mysql_store_result(mysql_));
    if (result == nullptr && mysql_field_count(mysql_) != 0) ThrowMysql(mysql_, context);
}

TextRows MysqlConnection::Query(std::string_view sql, const std::string& context) {
    if (mysql_real_query(mysql_, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
        ThrowMysql(mysql_, context);
    }
    Result result(mysql_store_result(mysql_));
    return ReadAll(mysql_, result.get(), context);
}

Statement MysqlConnection::Prepare(std::string_view sql, const std::string& context) {
    Statement stmt(mysql_stmt_init(mysql_));
    if (stmt == nullptr) ThrowMysql(mysql_, context);
    if (mysql_stmt_prepare(stmt.get(), sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
        ThrowStatement(stmt.get(), context);
    }
    return stmt;
}

MYSQL_STMT* MysqlConnection::CachedStatement(const std::string& key, std::string_view sql, const std::string& context) {
    auto it = statements_.find(key);
    if (it != statements_.end()) return it->second.get();
    Statement stmt = Prepare(sql, context);
    MYSQL_STMT* raw = stmt.get();
    statements_.emplace(key, std::move(stmt));
    return raw;
}

void MysqlConnection::Ping(const std::string& context) {
    if (mysql_ping(mysql_) != 0) {
        broken_ = true;
        ThrowMysql(mysql_, context);
    }
    Touch();
}

void MysqlConnection::Abort() {
    broken_ = true;
    mariadb_cancel(mysql_);
}

TextRows QueryWithText(MysqlConnection& connection,
                       std::string_view sql,
                       const std::vector<std::optional<std::string>>& args,
                       const std::string& context) {
    return RunWithText(connection, sql, args, context, nullptr);
}

uint64_t ExecWithText(MysqlConnection& connection,
                      std::string_view sql,
                      const std::vector<std::optional<std::string>>& args,
                      const std::string& context) {
    uint64_t affected = 0;
    RunWithText(connection, sql, args, context, &affected);
    return affected;
}

}  // namespace jobber::mysql
