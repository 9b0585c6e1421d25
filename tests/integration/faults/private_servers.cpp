#include "private_servers.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

namespace jobber::faults {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

bool IsRoot() {
    return geteuid() == 0;
}

// Single-quoted for /bin/sh.
std::string Quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string FindExecutable(const std::string& name, const std::vector<std::string>& extra_dirs = {}) {
    std::vector<std::string> dirs = extra_dirs;
    const char* path = std::getenv("PATH");
    std::string all = path != nullptr ? path : "/usr/bin:/bin";
    size_t start = 0;
    while (start <= all.size()) {
        const size_t end = std::min(all.find(':', start), all.size());
        dirs.push_back(all.substr(start, end - start));
        start = end + 1;
    }
    for (const auto& dir : dirs) {
        const fs::path candidate = fs::path(dir) / name;
        if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    return {};
}

// The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl.
fs::path PostgresBindir() {
    std::vector<fs::path> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
        const fs::path bin = entry.path() / "bin";
        if (access((bin / "initdb").c_str(), X_OK) == 0 && access((bin / "pg_ctl").c_str(), X_OK) == 0) {
            found.push_back(bin);
        }
    }
    std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
        return std::stoi(a.parent_path().filename()) < std::stoi(b.parent_path().filename());
    });
    return found.empty() ? fs::path() : found.back();
}

}  // namespace

ServerDir::ServerDir(const std::string& kind) {
    std::string pattern = (fs::temp_directory_path() / ("jobber-faults-" + kind + "-XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern + " failed");
    path_ = pattern;
    if (IsRoot()) {
        // The server runs as nobody: it must reach and own its directory.
        chmod(path_.c_str(), 0755);
        if (Shell("chown nobody " + Quote(path_.string()), "/dev/null") != 0) {
            throw std::runtime_error("cannot hand " + path_.string() + " to nobody");
        }
    }
}

ServerDir::~ServerDir() {
    if (std::getenv("JOBBER_E2E_KEEP") != nullptr) return;
    std::error_code ignored;  // a leftover temp dir must not fail a test
    fs::remove_all(path_, ignored);
}

int Shell(const std::string& command, const fs::path& log) {
    const std::string line = command + " >>" + Quote(log.string()) + " 2>&1";
    const int status = std::system(line.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// ---- PostgreSQL ---------------------------------------------------------------------------------

PrivatePostgres::PrivatePostgres() : bindir_(PostgresBindir()) {
    if (bindir_.empty()) {
        unavailable_ = "no initdb/pg_ctl under /usr/lib/postgresql/*/bin (install postgresql-15)";
        return;
    }
    if (IsRoot() && FindExecutable("runuser").empty()) {
        unavailable_ = "running as root without runuser: PostgreSQL refuses to run as root";
        return;
    }
    dir_.emplace("postgres");
    port_ = e2e::FreeLoopbackPort();
}

PrivatePostgres::~PrivatePostgres() {
    if (paused_) {
        try {
            SetPaused(false);
        } catch (const std::exception&) {
        }
    }
    if (running_) {
        try {
            Stop();
        } catch (const std::exception&) {
        }
    }
}

std::string PrivatePostgres::uri() const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

void PrivatePostgres::Ctl(const std::string& action) {
    const fs::path& dir = dir_->path();
    const std::string run = IsRoot() ? "runuser -u nobody -- " : "";
    // Durability off: the data is thrown away. -w waits until the server is up (or down).
    const std::string command =
        run + Quote((bindir_ / "pg_ctl").string()) + " -D " + Quote((dir / "data").string()) + " -l " +
        Quote((dir / "server.log").string()) + " -w -t 30 -m fast -o " +
        Quote("-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -k " + dir.string() +
              " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100") +
        " " + action;
    if (Shell(command, dir / "ctl.log") != 0) {
        throw std::runtime_error("pg_ctl " + action + " failed; server log:\n" + e2e::ReadFile(dir / "server.log") +
                                 e2e::ReadFile(dir / "ctl.log"));
    }
}

void PrivatePostgres::Start() {
    const fs::path& dir = dir_->path();
    if (!initialized_) {
        const std::string run = IsRoot() ? "runuser -u nobody -- " : "";
        if (Shell(run + Quote((bindir_ / "initdb").string()) + " -D " + Quote((dir / "data").string()) +
                      " -U postgres -A trust -E UTF8 --locale=C --no-sync",
                  dir / "initdb.log") != 0) {
            throw std::runtime_error("initdb failed:\n" + e2e::ReadFile(dir / "initdb.log"));
        }
        initialized_ = true;
    }
    Ctl("start");
    running_ = true;
}

void PrivatePostgres::Stop() {
    Ctl("stop");
    running_ = false;
}

void PrivatePostgres::Restart() {
    Ctl("restart");
    running_ = true;
}

namespace {

// Processes whose parent is `parent`, from /proc/<pid>/stat ("pid (comm) state ppid ...").
std::vector<pid_t> ChildrenOf(pid_t parent) {
    std::vector<pid_t> children;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string stat = e2e::ReadFile(entry.path() / "stat");
        const size_t comm_end = stat.rfind(')');
        if (comm_end == std::string::npos) continue;
        char state = 0;
        long ppid = 0;
        if (std::sscanf(stat.c_str() + comm_end + 1, " %c %ld", &state, &ppid) == 2 && ppid == parent) {
            children.push_back(static_cast<pid_t>(std::stol(name)));
        }
    }
    return children;
}

}  // namespace

void PrivatePostgres::SetPaused(bool paused) {
    const std::string pid_file = e2e::ReadFile(dir_->path() / "data" / "postmaster.pid");
    const pid_t postmaster = static_cast<pid_t>(std::stol(pid_file));
    // Pausing stops the postmaster first, so it starts no backend meanwhile; resuming wakes it last.
    if (paused && kill(postmaster, SIGSTOP) != 0) throw std::runtime_error("cannot SIGSTOP the postmaster");
    for (const pid_t child : ChildrenOf(postmaster)) kill(child, paused ? SIGSTOP : SIGCONT);
    if (!paused && kill(postmaster, SIGCONT) != 0) throw std::runtime_error("cannot SIGCONT the postmaster");
    paused_ = paused;
}

// ---- MariaDB ------------------------------------------------------------------------------------

MariaClient::MariaClient(const std::string& user,
                         const std::string& password,
                         int port,
                         const std::string& database,
                         const std::string& socket)
    : mysql_(mysql_init(nullptr)) {
    if (mysql_ == nullptr) throw std::runtime_error("mysql_init failed");
    unsigned int timeout = 5;
    mysql_optionsv(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    if (!socket.empty()) {
        unsigned int protocol = MYSQL_PROTOCOL_SOCKET;
        mysql_optionsv(mysql_, MYSQL_OPT_PROTOCOL, &protocol);
    }
    if (mysql_real_connect(mysql_, socket.empty() ? "127.0.0.1" : nullptr, user.c_str(), password.c_str(),
                           database.empty() ? nullptr : database.c_str(), static_cast<unsigned int>(port),
                           socket.empty() ? nullptr : socket.c_str(), 0) == nullptr) {
        const std::string message = mysql_error(mysql_);
        mysql_close(mysql_);
        throw std::runtime_error("cannot connect to MariaDB as " + user + ": " + message);
    }
}

MariaClient::~MariaClient() {
    mysql_close(mysql_);
}

unsigned int MariaClient::TryExec(const std::string& sql, std::string* error) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
        if (error != nullptr) *error = mysql_error(mysql_);
        return mysql_errno(mysql_);
    }
    // Drain every result set, so the connection is ready for the next statement.
    do {
        if (MYSQL_RES* result = mysql_store_result(mysql_)) mysql_free_result(result);
    } while (mysql_next_result(mysql_) == 0);
    return 0;
}

void MariaClient::Exec(const std::string& sql) {
    std::string error;
    if (const unsigned int number = TryExec(sql, &error); number != 0) {
        throw std::runtime_error(sql.substr(0, 200) + ": " + error + " (" + std::to_string(number) + ")");
    }
}

std::vector<std::string> MariaClient::Rows(const std::string& sql) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
        throw std::runtime_error(sql.substr(0, 200) + ": " + mysql_error(mysql_));
    }
    MYSQL_RES* result = mysql_store_result(mysql_);
    std::vector<std::string> rows;
    if (result == nullptr) return rows;
    const unsigned int columns = mysql_num_fields(result);
    while (MYSQL_ROW row = mysql_fetch_row(result)) {
        std::string line;
        for (unsigned int c = 0; c < columns; ++c) line += (c > 0 ? "|" : "") + std::string(row[c] ? row[c] : "NULL");
        rows.push_back(line);
    }
    mysql_free_result(result);
    return rows;
}

std::string MariaClient::One(const std::string& sql) {
    const auto rows = Rows(sql);
    return rows.empty() ? std::string("<no rows>") : rows.front();
}

PrivateMariadb::PrivateMariadb(std::vector<std::string> extra_args)
    : mariadbd_(FindExecutable("mariadbd", {"/usr/sbin"})),
      install_db_(FindExecutable("mariadb-install-db", {"/usr/bin"})),
      extra_args_(std::move(extra_args)) {
    if (mariadbd_.empty() || install_db_.empty()) {
        unavailable_ = "mariadbd or mariadb-install-db not found (install mariadb-server)";
        return;
    }
    dir_.emplace("mariadb");
    port_ = e2e::FreeLoopbackPort();
}

PrivateMariadb::~PrivateMariadb() {
    if (paused_) {
        try {
            SetPaused(false);
        } catch (const std::exception&) {
        }
    }
    Stop();
}

std::string PrivateMariadb::results_dsn() const {
    return "mysql://jobber:pw@127.0.0.1:" + std::to_string(port_) + "/jobber_results";
}

MariaClient PrivateMariadb::Root() const {
    return MariaClient("root", "", 0, "", (dir_->path() / "mysqld.sock").string());
}

MariaClient PrivateMariadb::User() const {
    return MariaClient("jobber", "pw", port_, "jobber_results");
}

void PrivateMariadb::SetPaused(bool paused) {
    if (kill(process_.pid(), paused ? SIGSTOP : SIGCONT) != 0) {
        throw std::runtime_error(std::string("cannot ") + (paused ? "SIGSTOP" : "SIGCONT") + " mariadbd");
    }
    paused_ = paused;
}

std::string PrivateMariadb::ErrorLog() const {
    return e2e::ReadFile(dir_->path() / "error.log");
}

void PrivateMariadb::Start() {
    const fs::path& dir = dir_->path();
    // Durability off (thrown away); small pools, the machine is shared. These go to both the
    // bootstrap and the server.
    std::vector<std::string> common = {"--innodb-log-file-size=48M", "--innodb-flush-log-at-trx-commit=0",
                                       "--innodb-doublewrite=0", "--innodb-flush-method=nosync",
                                       "--innodb-buffer-pool-size=64M"};
    common.insert(common.end(), extra_args_.begin(), extra_args_.end());
    // A temp dir of its own: servers bootstrapping side by side in one /tmp trip over each
    // other's temporary tables ("Could not remove temporary table", then install fails).
    const fs::path tmp = dir / "tmp";
    fs::create_directories(tmp);
    if (IsRoot() && Shell("chown nobody " + Quote(tmp.string()), "/dev/null") != 0) {
        throw std::runtime_error("cannot hand " + tmp.string() + " to nobody");
    }
    common.push_back("--tmpdir=" + tmp.string());
    const std::string user = IsRoot() ? " --user=nobody" : "";
    if (!initialized_) {
        std::string command = Quote(install_db_) + " --no-defaults --datadir=" + Quote((dir / "data").string()) + user +
                              " --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve";
        for (const auto& arg : common) command += " " + Quote(arg);
        if (Shell(command, dir / "install.log") != 0) {
            throw std::runtime_error("mariadb-install-db failed:\n" + e2e::ReadFile(dir / "install.log"));
        }
    }
    std::vector<std::string> argv = {mariadbd_,
                                     "--no-defaults",
                                     "--datadir=" + (dir / "data").string(),
                                     "--socket=" + (dir / "mysqld.sock").string(),
                                     "--port=" + std::to_string(port_),
                                     "--bind-address=127.0.0.1",
                                     "--pid-file=" + (dir / "mysqld.pid").string(),
                                     "--log-error=" + (dir / "error.log").string(),
                                     "--skip-name-resolve",
                                     "--skip-log-bin",
                                     "--performance-schema=OFF",
                                     "--character-set-server=utf8mb4",
                                     "--collation-server=utf8mb4_unicode_ci",
                                     "--max-connections=100"};
    if (IsRoot()) argv.push_back("--user=nobody");
    argv.insert(argv.end(), common.begin(), common.end());
    process_.Launch(argv, dir / "stdout.log");
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    std::string last;
    while (true) {
        try {
            MariaClient root = Root();
            if (!initialized_) {
                root.Exec("DROP USER IF EXISTS ''@'localhost', ''@'%'");
                root.Exec("CREATE DATABASE jobber_results CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
                root.Exec("CREATE USER 'jobber'@'%' IDENTIFIED BY 'pw'");
                root.Exec("GRANT ALL PRIVILEGES ON jobber_results.* TO 'jobber'@'%'");
                initialized_ = true;
            }
            return;
        } catch (const std::exception& e) {
            last = e.what();
        }
        if (!process_.Running() || std::chrono::steady_clock::now() > deadline) {
            process_.Kill();
            throw std::runtime_error("mariadbd did not come up (" + last + "); error log:\n" + ErrorLog());
        }
        std::this_thread::sleep_for(100ms);
    }
}

void PrivateMariadb::Stop() {
    if (process_.Running()) process_.Terminate(20s);
}

}  // namespace jobber::faults
