// The `dsn` config value: mysql://user:password@host:port/database, or a unix socket with
// mysql://user:password@/database?socket=/run/mysqld/mysqld.sock (or @localhost/...?socket=...).
// Query parameters: socket=, and TLS with tls=, tls_ca=, tls_cert=, tls_key=.
#pragma once

#include <string>
#include <string_view>

namespace jobber::mysql {

// How a connection uses TLS (the DSN's tls= parameter).
enum class TlsMode {
    kDisabled,    // never
    kPreferred,   // when the server offers it (TCP only), certificate not checked; the default
    kRequired,    // always, certificate not checked
    kVerifyCa,    // always; the server certificate must chain to tls_ca (or the system store)
    kVerifyFull,  // kVerifyCa, and the certificate must name the DSN's host (DNS name or IP address)
};

// "disabled", "preferred", ...: the DSN spelling.
const char* TlsModeName(TlsMode mode);

struct Endpoint {
    std::string user;
    std::string password;
    std::string host;  // empty with a socket
    unsigned int port = 3306;
    std::string socket;  // unix socket path; empty for TCP
    std::string database;
    TlsMode tls = TlsMode::kPreferred;
    std::string tls_ca;    // PEM CA bundle; empty: the system store (verify-ca/verify-full only)
    std::string tls_cert;  // PEM client certificate, with tls_key; empty: none
    std::string tls_key;

    // True when the connection must be encrypted (required, verify-ca, verify-full).
    bool TlsRequired() const { return tls >= TlsMode::kRequired; }

    // "user@host:port/db" or "user@unix(/path)/db": the password never appears.
    std::string Describe() const;
    // "tls=verify-full tls_ca=/path tls_cert=/path" (what is set): for the open log line.
    std::string DescribeTls() const;
};

// Throws Error(INVALID_ARGUMENT) naming the part that is wrong. User, password and database may be
// percent-encoded (a password holding '@' or '/' must be). tls_ca, tls_cert and tls_key must name
// readable files (checked here, so a typo fails at start-up naming the parameter).
Endpoint ParseDsn(std::string_view dsn);

}  // namespace jobber::mysql
