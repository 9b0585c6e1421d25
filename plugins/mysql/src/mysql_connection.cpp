#include "mysql_connection.hpp"

#include <errmsg.h>
#include <mysqld_error.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
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

// Debian's system CA store (ca-certificates), a hashed directory: what verify-ca and verify-full trust without
// tls_ca. Connector/C checks the server certificate only when a CA file or directory is set.
constexpr const char* kSystemCaPath = "/etc/ssl/certs";

// Whether the server's greeting (read before any TLS) advertised TLS; false before a greeting arrived.
bool GreetingLacksTls(MYSQL* mysql) {
    return mysql->server_capabilities != 0 && (mysql->server_capabilities & CLIENT_SSL) == 0;
}

bool Mentions(const char* message, const char* word) {
    return message != nullptr && std::strstr(message, word) != nullptr;
}

// TLS failures that are about certificates, names, versions or a refusal by the peer: configuration, not a blip.
bool IsTlsConfigFailure(const char* message) {
    for (const char* word : {"certificate", "Certificate", "verif", "Validation", "alert", "hostname", "host name",
                             "version", "no shared cipher", "self-signed", "self signed", "issuer"}) {
        if (Mentions(message, word)) return true;
    }
    return false;
}

void ApplyTls(MYSQL* mysql, const Endpoint& e, bool use_tls) {
    const my_bool enforce = use_tls ? 1 : 0;
    SetOption(mysql, MYSQL_OPT_SSL_ENFORCE, &enforce, "MYSQL_OPT_SSL_ENFORCE");
    if (!use_tls) return;
    if (!e.tls_cert.empty()) {
        SetOption(mysql, MYSQL_OPT_SSL_CERT, e.tls_cert.c_str(), "MYSQL_OPT_SSL_CERT (tls_cert)");
        SetOption(mysql, MYSQL_OPT_SSL_KEY, e.tls_key.c_str(), "MYSQL_OPT_SSL_KEY (tls_key)");
    }
    if (e.tls >= TlsMode::kVerifyCa) {
        if (!e.tls_ca.empty()) {
            SetOption(mysql, MYSQL_OPT_SSL_CA, e.tls_ca.c_str(), "MYSQL_OPT_SSL_CA (tls_ca)");
        } else {
            SetOption(mysql, MYSQL_OPT_SSL_CAPATH, kSystemCaPath, "MYSQL_OPT_SSL_CAPATH");
        }
    }
    // With a CA set, Connector/C checks the chain; this adds the host name (or IP address) check.
    const my_bool verify_name = e.tls == TlsMode::kVerifyFull ? 1 : 0;
    SetOption(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify_name, "MYSQL_OPT_SSL_VERIFY_SERVER_CERT");
}

// The error of a failed mysql_real_connect, with what to check when TLS or the account's TLS demands are involved.
[[noreturn]] void ThrowConnectFailure(MYSQL* mysql, const Endpoint& e, bool used_tls) {
    const std::string mode = TlsModeName(e.tls);
    const std::string context = "cannot connect to MySQL " + e.Describe();
    const std::string tls_context = context + " over TLS (tls=" + mode + ")";
    const unsigned int number = mysql_errno(mysql);
    const char* message = mysql_error(mysql);
    if (number == CR_SSL_CONNECTION_ERROR && used_tls) {
        if (GreetingLacksTls(mysql)) {
            ThrowMysqlWithHint(mysql, tls_context, JOBBER_INVALID_ARGUMENT,
                               "; the server offers no TLS, but the DSN says tls=" + mode +
                                   ": enable TLS on the server (ssl_cert, ssl_key) or change the DSN parameter tls");
        }
        if (IsTlsConfigFailure(message)) {
            std::string hint;
            if (Mentions(message, "Validation of SSL server certificate failed")) {
                // Connector/C's name check, made after the chain passed (a chain failure names OpenSSL's reason).
                hint = "; the server certificate does not name the DSN's host '" +
                       (e.socket.empty() ? e.host : std::string("localhost")) +
                       "': put the name the certificate holds in the DSN, add the host to the certificate's "
                       "subjectAltName (DNS name, or IP address for an IP host), or use tls=verify-ca";
            } else if (Mentions(message, "alert")) {
                hint = e.tls_cert.empty()
                           ? "; the server refused the TLS handshake: if it demands a client certificate, set the "
                             "DSN parameters tls_cert and tls_key"
                           : "; the server refused the TLS handshake: check that its ssl_ca trusts the DSN parameter "
                             "tls_cert (" +
                                 e.tls_cert + ")";
            } else if (e.tls >= TlsMode::kVerifyCa) {
                hint =
                    "; TLS verification failed: check that the server certificate chains to the DSN parameter "
                    "tls_ca (" +
                    (e.tls_ca.empty() ? std::string("unset: the system store ") + kSystemCaPath : e.tls_ca) +
                    ") and is valid now";
            } else {
                hint = "; TLS negotiation failed: check the server's TLS settings (ssl_cert, ssl_key, tls_version)";
            }
            ThrowMysqlWithHint(mysql, tls_context, JOBBER_INVALID_ARGUMENT, hint);
        }
        ThrowMysqlWithHint(mysql, tls_context, JOBBER_UNAVAILABLE,
                           "; the TLS handshake did not complete; check that the server is running and reachable");
    }
    if (used_tls && !e.tls_cert.empty() && number == CR_SERVER_LOST && Mentions(message, "authentication")) {
        // Under TLS 1.3 the server checks the client certificate after the client finished its handshake, so a
        // refused certificate shows as a connection reset during the login. A retry may still help: it might be one.
        ThrowMysqlWithHint(mysql, tls_context, JOBBER_UNAVAILABLE,
                           "; the server closed the connection during the login, which is how a refused client "
                           "certificate looks: check that the server's ssl_ca trusts the DSN parameter tls_cert (" +
                               e.tls_cert + "), else that the server is running and reachable");
    }
    if (number == ER_ACCESS_DENIED_ERROR) {
        ThrowMysqlWithHint(
            mysql, context, CodeFor(number),
            e.tls_cert.empty()
                ? "; check the user and password; an account created with REQUIRE SSL needs tls=required or stricter, "
                  "one with REQUIRE X509, ISSUER or SUBJECT also the DSN parameters tls_cert and tls_key"
                : "; check the user and password, and that tls_cert is the certificate the account requires "
                  "(REQUIRE ISSUER/SUBJECT)");
    }
    ThrowMysql(mysql, context);
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
    const Endpoint& e = options.endpoint;
    // A unix socket never leaves the machine: preferred does not encrypt it (as libpq's sslmode=prefer).
    const bool use_tls = e.tls != TlsMode::kDisabled && !(e.tls == TlsMode::kPreferred && !e.socket.empty());
    try {
        if (!Connect(options, use_tls)) {
            if (use_tls && e.tls == TlsMode::kPreferred && mysql_errno(mysql_) == CR_SSL_CONNECTION_ERROR &&
                GreetingLacksTls(mysql_)) {
                // preferred: a server that offers no TLS gets a plain connection.
                mysql_close(mysql_);
                mysql_ = nullptr;
                if (!Connect(options, false)) ThrowConnectFailure(mysql_, e, false);
            } else {
                ThrowConnectFailure(mysql_, e, use_tls);
            }
        }
        // Connector/C 3.3 with MYSQL_OPT_SSL_ENFORCE (and without VERIFY_SERVER_CERT) quietly logs in without TLS when
        // the server offers none: only this check turns that into the failure the DSN asks for.
        if (e.TlsRequired() && mysql_get_ssl_cipher(mysql_) == nullptr) {
            throw sdk::Error(
                JOBBER_INVALID_ARGUMENT,
                "cannot connect to MySQL " + e.Describe() + " over TLS (tls=" + TlsModeName(e.tls) + "): " +
                    (GreetingLacksTls(mysql_) ? "the server offers no TLS" : "the connection is not encrypted") +
                    ", but the DSN says tls=" + TlsModeName(e.tls) +
                    ": enable TLS on the server (ssl_cert, ssl_key) or change the DSN parameter tls");
        }
        if (options.local_infile) RefuseLocalInfile(mysql_);
        thread_id_ = mysql_thread_id(mysql_);
        Exec("SET SESSION time_zone = '+00:00'", "cannot set up the MySQL session on " + e.Describe());
        if (!options.session_sql.empty()) {
            Exec(options.session_sql, "cannot set up the MySQL session on " + e.Describe());
        }
    } catch (...) {
        if (mysql_ != nullptr) mysql_close(mysql_);
        throw;
    }
    Touch();
}

bool MysqlConnection::Connect(const ConnectionOptions& options, bool use_tls) {
    mysql_ = mysql_init(nullptr);
    if (mysql_ == nullptr) throw sdk::Error(JOBBER_INTERNAL, "mysql_init failed: out of memory");
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
    // Lets PingWithin use mysql_ping_start/_cont; blocking calls work as before on such a connection.
    SetOption(mysql_, MYSQL_OPT_NONBLOCK, nullptr, "MYSQL_OPT_NONBLOCK");
    ApplyTls(mysql_, options.endpoint, use_tls);

    const Endpoint& e = options.endpoint;
    const bool socket = !e.socket.empty();
    return mysql_real_connect(mysql_, socket ? "localhost" : e.host.c_str(), e.user.c_str(), e.password.c_str(),
                              e.database.c_str(), socket ? 0 : e.port, socket ? e.socket.c_str() : nullptr,
                              0) != nullptr;
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

void MysqlConnection::PingWithin(const std::string& context, int64_t timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    int result = 0;
    int waiting = mysql_ping_start(&result, mysql_);
    while (waiting != 0) {
        const int64_t left =
            std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) {
            Abort();  // the library is mid-call: nothing may block on this connection any more
            throw sdk::Error(JOBBER_UNAVAILABLE, context + ": the server did not answer within " +
                                                     std::to_string(timeout_ms) + " ms; the connection is closed");
        }
        pollfd fd{mysql_get_socket(mysql_), 0, 0};
        if ((waiting & MYSQL_WAIT_READ) != 0) fd.events |= POLLIN;
        if ((waiting & MYSQL_WAIT_WRITE) != 0) fd.events |= POLLOUT;
        if ((waiting & MYSQL_WAIT_EXCEPT) != 0) fd.events |= POLLPRI;
        const int ready = poll(&fd, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
        if (ready < 0 && errno != EINTR) {
            broken_ = true;
            throw sdk::Error(JOBBER_UNAVAILABLE, context + ": poll failed: " + std::strerror(errno));
        }
        int happened = 0;
        if (ready > 0) {
            if ((fd.revents & (POLLIN | POLLERR | POLLHUP)) != 0) happened |= MYSQL_WAIT_READ;
            if ((fd.revents & POLLOUT) != 0) happened |= MYSQL_WAIT_WRITE;
            if ((fd.revents & POLLPRI) != 0) happened |= MYSQL_WAIT_EXCEPT;
        } else if ((waiting & MYSQL_WAIT_TIMEOUT) != 0 && std::chrono::steady_clock::now() >= deadline) {
            happened = MYSQL_WAIT_TIMEOUT;  // the library's own timeout (read_timeout), if shorter
        }
        if (happened == 0) continue;
        waiting = mysql_ping_cont(&result, mysql_, happened);
    }
    if (result != 0) {
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
