#include "redis_client.hpp"

#include <strings.h>

#include <optional>

#include "jobber/sdk/host.hpp"

namespace jobber::redis {

namespace {

// A call that met a moved master runs at most this often (the second time after a fresh discovery).
constexpr int kAttemptsAcrossFailover = 2;

bool StartsWith(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

void ThrowErrorReply(std::string_view error, const std::string& what, const std::string& where) {
    static constexpr std::string_view kTransient[] = {"LOADING",    "READONLY",    "MISCONF",  "OOM",    "BUSY",
                                                      "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "NOAUTH", "WRONGPASS",
                                                      "NOREPLICAS", "NOPERM",      "UNBLOCKED"};
    const std::string message = "Redis at " + where + " refused " + what + ": " + std::string(error);
    for (std::string_view prefix : kTransient) {
        if (StartsWith(error, prefix)) throw sdk::Error(JOBBER_UNAVAILABLE, message);
    }
    throw sdk::Error(JOBBER_INTERNAL, message);
}

bool IsReplicaRefusal(std::string_view error) {
    return StartsWith(error, "READONLY") || StartsWith(error, "MASTERDOWN") || StartsWith(error, "UNBLOCKED");
}

bool IsReadCommand(std::string_view command) {
    static constexpr std::string_view kReads[] = {"PING", "GET",  "MGET", "HGET",  "HMGET",  "HGETALL", "EXISTS",
                                                  "TTL",  "PTTL", "LLEN", "ZCARD", "ZSCORE", "ROLE"};
    for (std::string_view read : kReads) {
        if (command.size() == read.size() && strncasecmp(command.data(), read.data(), read.size()) == 0) return true;
    }
    return false;
}

RedisClient::RedisClient(RedisSettings settings, std::string instance_name)
    : settings_(std::move(settings)),
      instance_name_(std::move(instance_name)),
      endpoint_(MakeEndpoint(settings_, instance_name_)),
      pool_(*endpoint_, settings_.pool_size, settings_.command_timeout),
      blocking_pool_(*endpoint_, 0, settings_.command_timeout) {}

void RedisClient::Probe() {
    try {
        Command({"PING"});
    } catch (const LoginRefused& e) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, e.what());
    } catch (const sdk::Error& e) {
        if (e.code() != JOBBER_UNAVAILABLE) throw;
        sdk::Log(sdk::LogLevel::kWarning, instance_name_,
                 std::string("Redis is not reachable yet; calls fail with UNAVAILABLE until it is: ") + e.what());
    }
}

Reply RedisClient::Command(const std::vector<std::string_view>& args) {
    const Effect effect = IsReadCommand(args.front()) ? Effect::kRead : Effect::kWrite;
    Reply reply = Run(pool_, args, settings_.command_timeout, effect);
    if (reply->type == REDIS_REPLY_ERROR) {
        ThrowErrorReply(TextOf(reply.get()), std::string(args.front()), endpoint_->Describe());
    }
    return reply;
}

Reply RedisClient::Eval(const LuaScript& script,
                        const std::vector<std::string_view>& keys,
                        const std::vector<std::string_view>& args) {
    const std::string sha = ShaOf(script);
    const std::string key_count = std::to_string(keys.size());
    std::vector<std::string_view> command{"EVALSHA", sha, key_count};
    command.insert(command.end(), keys.begin(), keys.end());
    command.insert(command.end(), args.begin(), args.end());
    const std::string what = std::string("script ") + script.name;
    Reply reply = Run(pool_, command, settings_.command_timeout, Effect::kWrite, what);
    if (reply->type == REDIS_REPLY_ERROR && StartsWith(TextOf(reply.get()), "NOSCRIPT")) {
        // The server lost its script cache (restart, SCRIPT FLUSH). EVAL runs the script and caches it again under
        // the same SHA; NOSCRIPT means nothing ran, so running it now is safe.
        command[0] = "EVAL";
        command[1] = script.source;
        reply = Run(pool_, command, settings_.command_timeout, Effect::kWrite, what);
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        ThrowErrorReply(TextOf(reply.get()), what, endpoint_->Describe());
    }
    return reply;
}

Reply RedisClient::Blocking(const std::vector<std::string_view>& args, std::chrono::milliseconds block) {
    Reply reply = Run(blocking_pool_, args, block + settings_.command_timeout);
    if (reply->type == REDIS_REPLY_ERROR) {
        ThrowErrorReply(TextOf(reply.get()), std::string(args.front()), endpoint_->Describe());
    }
    return reply;
}

Reply RedisClient::Run(ConnectionPool& pool,
                       const std::vector<std::string_view>& args,
                       std::chrono::milliseconds timeout,
                       Effect effect,
                       std::string_view what) {
    // WAIT rides in the same pipeline as the write: one round trip, and it counts this connection's writes.
    const bool wait = effect == Effect::kWrite && settings_.WaitsForReplicas();
    std::string replicas, wait_ms;
    std::vector<std::vector<std::string_view>> commands{args};
    if (wait) {
        replicas = std::to_string(settings_.wait_replicas);
        wait_ms = std::to_string(settings_.wait_timeout.count());
        commands.push_back({"WAIT", replicas, wait_ms});
        timeout += settings_.wait_timeout;
    }
    for (int attempt = 1;; ++attempt) {
        const bool may_retry = attempt < kAttemptsAcrossFailover && endpoint_->FollowsFailover();
        std::optional<ConnectionPool::Handle> connection;
        try {
            connection.emplace(pool.Acquire());
        } catch (const MasterMoved&) {
            if (may_retry) continue;  // nothing was sent
            throw;
        }
        round_trips_.fetch_add(1, std::memory_order_relaxed);
        std::vector<Reply> replies;
        try {
            replies = (*connection)->Pipeline(commands, timeout);
        } catch (const sdk::Error& e) {
            // It may have run: never sent again. The next call finds out where the master is.
            endpoint_->Lost((*connection)->epoch(), e.what());
            throw;
        }
        Reply& reply = replies.front();
        if (reply->type == REDIS_REPLY_ERROR && endpoint_->FollowsFailover() && IsReplicaRefusal(TextOf(reply.get()))) {
            endpoint_->Lost((*connection)->epoch(), "it answered " + std::string(TextOf(reply.get())));
            (*connection)->Discard();
            if (may_retry) continue;  // a replica refused it: nothing ran (its WAIT reply means nothing)
        }
        // An error reply wrote nothing worth waiting for (NOSCRIPT, a refusal); the caller reports it.
        if (wait && reply->type != REDIS_REPLY_ERROR) {
            CheckReplicated(replies.back().get(), what.empty() ? args.front() : what, (*connection)->where());
        }
        return std::move(reply);
    }
}

void RedisClient::CheckReplicated(const redisReply* wait, std::string_view what, const std::string& where) const {
    // The write ran on the master either way: it may still reach the replicas, or be lost in a failover. Hence
    // UNAVAILABLE ("we cannot know") and no retry, which could apply it twice.
    const std::string consequence =
        "; it ran on the master but may be lost in a failover, so the job may or may not be queued (or its record "
        "updated)";
    if (wait->type != REDIS_REPLY_INTEGER) {
        throw sdk::Error(JOBBER_UNAVAILABLE, "Redis at " + where + " refused WAIT after " + std::string(what) + ": " +
                                                 std::string(TextOf(wait)) + consequence);
    }
    if (wait->integer < settings_.wait_replicas) {
        throw sdk::Error(JOBBER_UNAVAILABLE, "Redis at " + where + ": write (" + std::string(what) +
                                                 ") not acknowledged by " + std::to_string(settings_.wait_replicas) +
                                                 " replica(s) within " +
                                                 std::to_string(settings_.wait_timeout.count()) + " ms (WAIT counted " +
                                                 std::to_string(wait->integer) + ")" + consequence);
    }
}

std::string RedisClient::ShaOf(const LuaScript& script) {
    {
        std::lock_guard<std::mutex> lock(shas_mutex_);
        auto it = shas_.find(&script);
        if (it != shas_.end()) return it->second;
    }
    std::string sha = LoadScript(script);
    std::lock_guard<std::mutex> lock(shas_mutex_);
    shas_[&script] = sha;
    return sha;
}

std::string RedisClient::LoadScript(const LuaScript& script) {
    Reply reply = Run(pool_, {"SCRIPT", "LOAD", script.source}, settings_.command_timeout);
    if (reply->type == REDIS_REPLY_ERROR) {
        ThrowErrorReply(TextOf(reply.get()), std::string("loading script ") + script.name, endpoint_->Describe());
    }
    return std::string(TextOf(reply.get()));
}

}  // namespace jobber::redis
