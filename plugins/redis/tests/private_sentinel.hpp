// A private Sentinel setup for failover tests: a master, one replica (`--replicaof`) and one sentinel monitoring
// them with quorum 1 and short timeouts, each a redis-server process of the test's own on a free loopback port in a
// temp dir. Header-only; used by the plugin's tests and by tests/integration/redis.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "private_redis_server.hpp"

namespace jobber::redis::testing {

struct RawReplyDeleter {
    void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using RawReply = std::unique_ptr<redisReply, RawReplyDeleter>;

// One command on a fresh connection to 127.0.0.1:port; null when the server cannot be reached.
inline RawReply CommandOn(int port, const std::vector<std::string>& args) {
    timeval tv{2, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
    RawReply reply;
    if (c != nullptr && c->err == 0) {
        redisSetTimeout(c, timeval{5, 0});
        std::vector<const char*> argv;
        std::vector<size_t> lengths;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lengths.push_back(a.size());
        }
        reply.reset(
            static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data())));
    }
    if (c != nullptr) redisFree(c);
    return reply;
}

inline std::string TextOrEmpty(const redisReply* r) {
    if (r == nullptr) return {};
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR) {
        return std::string(r->str, r->len);
    }
    return {};
}

// ROLE's first element ("master", "slave"), or empty when unreachable.
inline std::string RoleOf(int port) {
    RawReply reply = CommandOn(port, {"ROLE"});
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) return {};
    return TextOrEmpty(reply->element[0]);
}

class PrivateSentinel {
public:
    PrivateSentinel() : binary_(FindRedisServer()) {
        if (binary_.empty()) return;
        std::string pattern = (std::filesystem::temp_directory_path() / "jobber-sentinel-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        port_ = FreeTcpPort();
    }
    ~PrivateSentinel() {
        Kill();
        std::error_code ignored;
        if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
    }
    PrivateSentinel(const PrivateSentinel&) = delete;
    PrivateSentinel& operator=(const PrivateSentinel&) = delete;

    int port() const { return port_; }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

    // Monitors `master_name` at 127.0.0.1:master_port: down after 1 s, quorum 1. `requirepass` protects the
    // sentinel itself when non-empty.
    void Start(const std::string& master_name, int master_port, const std::string& requirepass = {}) {
        const std::filesystem::path conf = dir_ / "sentinel.conf";
        {
            std::ofstream out(conf);
            out << "port " << port_ << "\nbind 127.0.0.1\ndir " << dir_.string() << "\nlogfile "
                << (dir_ / "sentinel.log").string() << "\nsentinel monitor " << master_name << " 127.0.0.1 "
                << master_port << " 1\nsentinel down-after-milliseconds " << master_name
                << " 1000\nsentinel failover-timeout " << master_name << " 4000\n";
            if (!requirepass.empty()) out << "requirepass " << requirepass << "\n";
        }
        std::vector<std::string> argv{binary_, conf.string(), "--sentinel"};
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        if (posix_spawn(&pid_, args[0], nullptr, nullptr, args.data(), environ) != 0) {
            throw std::runtime_error("cannot start " + binary_ + " --sentinel");
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            RawReply pong = CommandOn(port_, {"PING"});
            // With requirepass a PING is refused with NOAUTH, which still shows it is up.
            if (pong != nullptr) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        throw std::runtime_error("sentinel on " + address() + " did not answer within 10 s; see " +
                                 (dir_ / "sentinel.log").string());
    }

    void Kill() {
        if (pid_ <= 0) return;
        kill(pid_, SIGKILL);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }

private:
    std::string binary_;
    std::filesystem::path dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

// Master + replica + sentinel, started and checked: the replica is in sync and the sentinel knows it, so a
// failover can pick it.
class SentinelSetup {
public:
    static constexpr const char* kMasterName = "jobbermaster";

    SentinelSetup() : master_(NodeArgs()), replica_(ReplicaArgs(master_.port())) {}

    std::string unavailable_reason() const { return master_.unavailable_reason(); }

    // Throws when something does not come up within ~15 s.
    void Start() {
        master_.Start();
        replica_.Start();
        sentinel_.Start(kMasterName, master_.port());
        WaitFor("the replica to sync and the sentinel to know it", std::chrono::seconds(15),
                [&] { return ReplicaInSync() && SentinelKnowsReplica(); });
    }

    PrivateRedisServer& master() { return master_; }
    PrivateRedisServer& replica() { return replica_; }
    PrivateSentinel& sentinel() { return sentinel_; }

    // Detection is quick (1 s) so that a test's failover happens fast. Once it has, a master slow to answer the
    // sentinel on a loaded machine (forking for a returning node's full sync, say) must not start a second,
    // unplanned one, with the node still syncing as the only candidate.
    void RelaxFailureDetection() {
        RawReply reply =
            CommandOn(sentinel_.port(), {"SENTINEL", "SET", kMasterName, "down-after-milliseconds", "10000"});
        if (reply == nullptr || reply->type != REDIS_REPLY_STATUS) {
            throw std::runtime_error("SENTINEL SET down-after-milliseconds failed: " + TextOrEmpty(reply.get()));
        }
    }

    // Who is what, for a failure message: the sentinel's master and each node's ROLE.
    std::string DescribeTopology() {
        return "sentinel names port " + std::to_string(SentinelMasterPort()) + "; node " +
               std::to_string(master_.port()) + " (first master) is '" + RoleOf(master_.port()) + "', node " +
               std::to_string(replica_.port()) + " (first replica) is '" + RoleOf(replica_.port()) + "'";
    }

    // The port the sentinel names as master, 0 when it does not answer.
    int SentinelMasterPort() {
        RawReply reply = CommandOn(sentinel_.port(), {"SENTINEL", "get-master-addr-by-name", kMasterName});
        if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) return 0;
        return std::atoi(TextOrEmpty(reply->element[1]).c_str());
    }

    // SENTINEL FAILOVER, retried while the sentinel is not ready for it (NOGOODSLAVE right after start).
    void Failover() {
        std::string last;
        WaitFor("SENTINEL FAILOVER to be accepted", std::chrono::seconds(15), [&] {
            RawReply reply = CommandOn(sentinel_.port(), {"SENTINEL", "FAILOVER", kMasterName});
            last = TextOrEmpty(reply.get());
            return reply != nullptr && reply->type == REDIS_REPLY_STATUS;
        });
    }

    template <class Predicate>
    static void WaitFor(const std::string& what, std::chrono::milliseconds limit, Predicate done) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) {
                throw std::runtime_error("timed out after " + std::to_string(limit.count()) + " ms waiting for " +
                                         what);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

private:
    // Diskless sync without the default 5 s delay: the replica is in sync at once.
    static std::vector<std::string> NodeArgs() { return {"--repl-diskless-sync-delay", "0"}; }
    static std::vector<std::string> ReplicaArgs(int master_port) {
        std::vector<std::string> args = NodeArgs();
        args.insert(args.end(), {"--replicaof", "127.0.0.1", std::to_string(master_port)});
        return args;
    }

    bool ReplicaInSync() {
        RawReply reply = CommandOn(replica_.port(), {"ROLE"});
        // ["slave", host, port, "connected", offset]
        return reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 4 &&
               TextOrEmpty(reply->element[3]) == "connected";
    }

    bool SentinelKnowsReplica() {
        RawReply reply = CommandOn(sentinel_.port(), {"SENTINEL", "REPLICAS", kMasterName});
        if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) return false;
        for (size_t i = 0; i < reply->elements; ++i) {
            const redisReply* fields = reply->element[i];
            std::string flags, link;
            for (size_t f = 0; f + 1 < fields->elements; f += 2) {
                const std::string key = TextOrEmpty(fields->element[f]);
                if (key == "flags") flags = TextOrEmpty(fields->element[f + 1]);
                if (key == "master-link-status") link = TextOrEmpty(fields->element[f + 1]);
            }
            if (flags == "slave" && link == "ok") return true;
        }
        return false;
    }

    PrivateRedisServer master_;
    PrivateRedisServer replica_;
    PrivateSentinel sentinel_;
};

}  // namespace jobber::redis::testing
