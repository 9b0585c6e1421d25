// The `dsn` config value: mysql://user:password@host:port/database, or a unix socket with
// mysql://user:password@/database?socket=/run/mysqld/mysqld.sock (or @localhost/...?socket=...).
#pragma once

#include <string>
#include <string_view>

namespace jobber::mysql {

struct Endpoint {
    std::string user;
    std::string password;
    std::string host;  // empty with a socket
    unsigned int port = 3306;
    std::string socket;  // unix socket path; empty for TCP
    std::string database;

    // "user@host:port/db" or "user@unix(/path)/db": the password never appears.
    std::string Describe() const;
};

// Throws Error(INVALID_ARGUMENT) naming the part that is wrong. User, password and database may be
// percent-encoded (a password holding '@' or '/' must be).
Endpoint ParseDsn(std::string_view dsn);

}  // namespace jobber::mysql
