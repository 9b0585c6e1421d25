#include "redis_client.hpp"

#include "jobber/sdk/host.hpp"

namespace jobber::redis {

namespace {

bool StartsWith(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

void ThrowErrorReply(std::string_view error, const std::string& what, const std::string& where) {
    static constexpr std::string_view kTransient[] = {"LOADING", "READONLY",   "MISCONF",     "OOM",
                                                      "BUSY",    "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN",
                                                      "NOAUTH",  "WRONGPASS",  "NOREPLICAS",  "NOPERM"};
    const std::string message = "Redis at " + where + " refused " + what + ": " + std::string(error);
    for (std::string_view prefix : kTransient) {
        if (StartsWith(error, prefix)) throw sdk::Error(JOBBER_UNAVAILABLE, message);
    }
    throw sdk::Error(JOBBER_INTERNAL, message);
}

RedisClient::RedisClient(RedisSettings settings, std::string instance_name)
    : settings_(std::move(settings)),
      instance_name_(std::move(instance_name)),
      pool_(settings_, settings_.pool_size),
      blocking_pool_(settings_, 0) {}

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
    Reply reply = Run(pool_, args, settings_.command_timeout);
    if (reply->type == REDIS_REPLY_ERROR) {
        ThrowErrorReply(TextOf(reply.get()), std::string(args.front()), settings_.address.Describe());
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
    Reply reply = Run(pool_, command, settings_.command_timeout);
    if (reply->type == REDIS_REPLY_ERROR && StartsWith(TextOf(reply.get()), "NOSCRIPT")) {
        // The server lost its script cache (restart, SCRIPT FLUSH). EVAL runs the script and caches it again under
        // the same SHA; NOSCRIPT means nothing ran, so running it now is safe.
        command[0] = "EVAL";
        command[1] = script.source;
        reply = Run(pool_, command, settings_.command_timeout);
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        ThrowErrorReply(TextOf(reply.get()), std::string("script ") + script.name, settings_.address.Describe());
    }
    return reply;
}

Reply RedisClient::Blocking(const std::vector<std::string_view>& args, std::chrono::milliseconds block) {
    Reply reply = Run(blocking_pool_, args, block + settings_.command_timeout);
    if (reply->type == REDIS_REPLY_ERROR) {
        ThrowErrorReply(TextOf(reply.get()), std::string(args.front()), settings_.address.Describe());
    }
    return reply;
}

Reply RedisClient::Run(ConnectionPool& pool,
                       const std::vector<std::string_view>& args,
                       std::chrono::milliseconds timeout) {
    ConnectionPool::Handle connection = pool.Acquire();
    round_trips_.fetch_add(1, std::memory_order_relaxed);
    return connection->Call(args, timeout);
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
        ThrowErrorReply(TextOf(reply.get()), std::string("loading script ") + script.name,
                        settings_.address.Describe());
    }
    return std::string(TextOf(reply.get()));
}

}  // namespace jobber::redis
