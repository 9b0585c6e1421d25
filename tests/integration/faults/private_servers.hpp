// Database servers a fault test starts for itself, in a temp dir on a free loopback port, so it can
// make them read-only, fill them up or restart them without touching the shared servers of
// tests/services that other tests use in parallel. Stopped (and their files removed) when destroyed.
#pragma once

#include <mysql.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "server_harness.hpp"

namespace jobber::faults {

// A directory under the system temp dir that an unprivileged server user can reach (servers refuse
// to run as root, so as root they run as `nobody`). Removed with everything in it.
class ServerDir {
public:
    explicit ServerDir(const std::string& kind);
    ServerDir(const ServerDir&) = delete;
    ServerDir& operator=(const ServerDir&) = delete;
    ~ServerDir();
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// Runs `command` through /bin/sh; its exit code (output goes to `log`).
int Shell(const std::string& command, const std::filesystem::path& log);

// ---- PostgreSQL ---------------------------------------------------------------------------------

// initdb + pg_ctl from /usr/lib/postgresql/<newest>/bin; trust authentication for "postgres".
class PrivatePostgres {
public:
    PrivatePostgres();
    ~PrivatePostgres();
    PrivatePostgres(const PrivatePostgres&) = delete;
    PrivatePostgres& operator=(const PrivatePostgres&) = delete;

    // Empty when it can run here; otherwise why not (for GTEST_SKIP).
    const std::string& unavailable_reason() const { return unavailable_; }

    // initdb (first call only), then start and wait until it accepts connections. Throws with the
    // server log when it does not come up.
    void Start();
    void Stop();
    // pg_ctl restart -m fast: every connection is closed, the server is back when it returns.
    void Restart();
    // SIGSTOP (true) or SIGCONT (false) to the postmaster and every backend: the kernel still accepts and
    // acknowledges, nothing answers. Resumed on destruction.
    void SetPaused(bool paused);

    std::string uri() const;  // libpq URI of the superuser on database "postgres"
    int port() const { return port_; }

private:
    void Ctl(const std::string& action);

    std::string unavailable_;
    std::filesystem::path bindir_;
    std::optional<ServerDir> dir_;
    int port_ = 0;
    bool initialized_ = false;
    bool running_ = false;
    bool paused_ = false;
};

// ---- MariaDB ------------------------------------------------------------------------------------

// A plain client connection (MariaDB Connector/C) for setting up and checking a server.
class MariaClient {
public:
    // Over TCP as `user`, or (user "root", empty password) over `socket` when it is not empty.
    MariaClient(const std::string& user,
                const std::string& password,
                int port,
                const std::string& database,
                const std::string& socket = "");
    ~MariaClient();
    MariaClient(const MariaClient&) = delete;
    MariaClient& operator=(const MariaClient&) = delete;

    // Throws std::runtime_error "<sql>: <error> (<errno>)".
    void Exec(const std::string& sql);
    // Exec that returns the error number instead of throwing (0 = success).
    unsigned int TryExec(const std::string& sql, std::string* error = nullptr);
    // Every row, columns joined with '|', NULL as "NULL".
    std::vector<std::string> Rows(const std::string& sql);
    std::string One(const std::string& sql);

private:
    MYSQL* mysql_ = nullptr;
};

// mariadbd + mariadb-install-db with a database `jobber_results` and a user `jobber` (password
// "pw") holding every privilege on it but none of the global ones (no SUPER, no READ ONLY ADMIN), so
// `SET GLOBAL read_only = 1` applies to it. `extra_args` go to both install and server (InnoDB
// settings must match).
class PrivateMariadb {
public:
    explicit PrivateMariadb(std::vector<std::string> extra_args = {});
    ~PrivateMariadb();
    PrivateMariadb(const PrivateMariadb&) = delete;
    PrivateMariadb& operator=(const PrivateMariadb&) = delete;

    const std::string& unavailable_reason() const { return unavailable_; }
    void Start();
    void Stop();
    // SIGSTOP (true) or SIGCONT (false) to the server: connections are accepted and data acknowledged by the
    // kernel, nothing answers. Resumed on destruction.
    void SetPaused(bool paused);

    int port() const { return port_; }
    std::string results_dsn() const;  // mysql://jobber:pw@127.0.0.1:PORT/jobber_results
    // Root over the unix socket: may do what `jobber` may not (SET GLOBAL, filling other databases).
    MariaClient Root() const;
    MariaClient User() const;  // `jobber` over TCP on jobber_results
    std::string ErrorLog() const;

private:
    std::string unavailable_;
    std::string mariadbd_;
    std::string install_db_;
    std::vector<std::string> extra_args_;
    std::optional<ServerDir> dir_;
    int port_ = 0;
    bool initialized_ = false;
    bool paused_ = false;
    e2e::ChildProcess process_;
};

}  // namespace jobber::faults
