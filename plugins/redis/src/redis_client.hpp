// What the broker and the state store share: the endpoint (a fixed server, or the master Sentinel names), the
// connection pools, Lua scripts run by SHA, the mapping of Redis errors to boundary codes, and a round-trip counter.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "connection_pool.hpp"
#include "redis_endpoint.hpp"
#include "redis_reply.hpp"
#include "redis_settings.hpp"

namespace jobber::redis {

// A Lua script run with EVALSHA. Static data: the client caches its SHA per script.
struct LuaScript {
    const char* name;
    const char* source;
};

class RedisClient {
public:
    RedisClient(RedisSettings settings, std::string instance_name);

    // Called by `open`: connects once and PINGs. A refused login or database throws INVALID_ARGUMENT (the config
    // is wrong). An unreachable Redis is only logged: the instance opens, its calls fail with UNAVAILABLE until
    // Redis is back, and the process keeps serving what it can.
    void Probe();

    // One command, one round trip. Error replies throw (see ThrowErrorReply). With `wait_replicas`, a command that
    // is not a known read (IsReadCommand) is a write: WAIT follows it in the same round trip (see Run).
    Reply Command(const std::vector<std::string_view>& args);
    // Runs `script` by SHA; loads it on first use and whenever the server lacks it (a restart emptied the script
    // cache, or a failover moved commands to a master that never saw it). Every script counts as a write: each may
    // move leases or delayed messages, even those that mostly read.
    Reply Eval(const LuaScript& script,
               const std::vector<std::string_view>& keys,
               const std::vector<std::string_view>& args);
    // A blocking command (BLPOP ...) that may wait up to `block` on the server, on a connection of its own so
    // waiting pops never starve ordinary commands of pooled connections.
    Reply Blocking(const std::vector<std::string_view>& args, std::chrono::milliseconds block);

    const RedisSettings& settings() const { return settings_; }
    // Where commands go, for messages and logs: "127.0.0.1:6379", or the master Sentinel named and how.
    std::string Describe() const { return endpoint_->Describe(); }
    const std::string& instance_name() const { return instance_name_; }
    // Requests sent so far: a pipelined batch counts once. For the round-trip tests and the benchmark.
    uint64_t round_trips() const { return round_trips_.load(); }
    size_t pooled_connections() { return pool_.open_count(); }

private:
    enum class Effect { kRead, kWrite };

    // Runs one command on a pooled connection. With Sentinel, a call that met a master that moved before anything
    // ran (unreachable at connect, demoted, READONLY) runs once more on the master the sentinels name now.
    // A kWrite with `wait_replicas` set is sent together with `WAIT` (one round trip; WAIT covers the writes of its
    // own connection); fewer acknowledgements than asked throw UNAVAILABLE and are never retried: the write ran.
    // `what` names the write in messages (default: the command).
    Reply Run(ConnectionPool& pool,
              const std::vector<std::string_view>& args,
              std::chrono::milliseconds timeout,
              Effect effect = Effect::kRead,
              std::string_view what = {});
    // Throws UNAVAILABLE unless `wait` (the reply to WAIT after `what`) counts enough replicas.
    void CheckReplicated(const redisReply* wait, std::string_view what, const std::string& where) const;
    std::string ShaOf(const LuaScript& script);
    std::string LoadScript(const LuaScript& script);

    const RedisSettings settings_;
    const std::string instance_name_;
    const std::unique_ptr<Endpoint> endpoint_;  // before the pools, which use it
    ConnectionPool pool_;
    ConnectionPool blocking_pool_;
    std::atomic<uint64_t> round_trips_{0};
    std::mutex shas_mutex_;
    std::unordered_map<const LuaScript*, std::string> shas_;
};

// Throws the sdk::Error for an error reply: UNAVAILABLE for the states a retry can get past (LOADING, READONLY,
// MISCONF, OOM, BUSY, MASTERDOWN, UNBLOCKED, NOAUTH, ...), INTERNAL otherwise. `what` names the operation.
[[noreturn]] void ThrowErrorReply(std::string_view error, const std::string& what, const std::string& where);

// True for the error replies of a node that is no longer master: READONLY (a write on a replica), MASTERDOWN (a
// replica that lost its master), UNBLOCKED (a blocked BLPOP cut off when its master became a replica). Nothing ran.
bool IsReplicaRefusal(std::string_view error);

// True for the commands the plugin sends that never write (GET, HMGET, PING, ...), case-insensitive. Anything else
// counts as a write, so a command added later without thought costs a WAIT rather than losing its acknowledgement.
bool IsReadCommand(std::string_view command);

}  // namespace jobber::redis
