// A redis-server of a test's own, on a free loopback port with AOF persistence in a temp dir, for tests that stop
// and restart Redis (the shared server of tests/services/redis.sh must stay up for tests running in parallel).
// Header-only; used by the plugin's tests and by tests/integration/redis.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace jobber::redis::testing {

// The redis-server binary: $JOBBER_TEST_REDIS_SERVER_BIN, else the first redis-server on PATH; empty when none.
inline std::string FindRedisServer() {
    if (const char* bin = std::getenv("JOBBER_TEST_REDIS_SERVER_BIN"); bin != nullptr && *bin != '\0') return bin;
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
        const size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::filesystem::path candidate = std::filesystem::path(dirs.substr(start, end - start)) / "redis-server";
        if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
        start = end + 1;
    }
    return {};
}

inline int FreeTcpPort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        if (fd >= 0) close(fd);
        throw std::runtime_error("cannot find a free loopback port");
    }
    close(fd);
    return ntohs(addr.sin_port);
}

class PrivateRedisServer {
public:
    // `extra_args` go after the defaults on every Start (e.g. --replicaof 127.0.0.1 <port>).
    explicit PrivateRedisServer(std::vector<std::string> extra_args = {})
        : binary_(FindRedisServer()), extra_args_(std::move(extra_args)) {
        if (binary_.empty()) return;
        std::string pattern = (std::filesystem::temp_directory_path() / "jobber-redis-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        port_ = FreeTcpPort();
    }
    ~PrivateRedisServer() {
        Kill();
        std::error_code ignored;  // a leftover temp dir must not fail a test
        if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
    }
    PrivateRedisServer(const PrivateRedisServer&) = delete;
    PrivateRedisServer& operator=(const PrivateRedisServer&) = delete;

    // Empty when it can be started; otherwise why not (for GTEST_SKIP).
    std::string unavailable_reason() const {
        return binary_.empty() ? "no redis-server binary (install redis-server or set JOBBER_TEST_REDIS_SERVER_BIN)"
                               : std::string();
    }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    // Also listen on a unix socket in the server's directory (call before Start); returns its path.
    std::string ListenOnUnixSocket() {
        const std::string path = (dir_ / "redis.sock").string();
        extra_args_.insert(extra_args_.end(), {"--unixsocket", path, "--unixsocketperm", "700"});
        return path;
    }
    int port() const { return port_; }
    const std::filesystem::path& dir() const { return dir_; }

    // Starts it (same port, same data) and waits until it answers PING.
    void Start() {
        const std::string port = std::to_string(port_);
        const std::string log = (dir_ / "server.log").string();
        std::vector<std::string> argv{
            binary_,         "--port", port,     "--bind", "127.0.0.1", "--dir", dir_.string(), "--appendonly", "yes",
            "--appendfsync", "always", "--save", "",       "--logfile", log};
        argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        if (posix_spawn(&pid_, args[0], nullptr, nullptr, args.data(), environ) != 0) {
            throw std::runtime_error("cannot start " + binary_);
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            if (Ping()) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        throw std::runtime_error("redis-server on " + address() + " did not answer within 10 s; see " + log);
    }

    // SIGTERM: Redis flushes its AOF and exits; waits for that.
    void Stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    void Kill() {
        if (pid_ <= 0) return;
        kill(pid_, SIGKILL);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    // SIGSTOP / SIGCONT: the process stays up with its sockets open but answers nothing (a stalled node).
    void Freeze() {
        if (pid_ > 0) kill(pid_, SIGSTOP);
    }
    void Thaw() {
        if (pid_ > 0) kill(pid_, SIGCONT);
    }

    bool Ping() const {
        timeval tv{0, 200000};
        redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
        bool ok = false;
        if (c != nullptr && c->err == 0) {
            auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
            ok = reply != nullptr && reply->type == REDIS_REPLY_STATUS;
            if (reply != nullptr) freeReplyObject(reply);
        }
        if (c != nullptr) redisFree(c);
        return ok;
    }

private:
    std::string binary_;
    std::vector<std::string> extra_args_;
    std::filesystem::path dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace jobber::redis::testing
