// One hiredis connection: connect, log in, select the database, run commands with a deadline. Not thread-safe:
// one caller at a time, which the connection pool guarantees.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jobber/sdk/error.hpp"
#include "redis_reply.hpp"
#include "redis_settings.hpp"

namespace jobber::redis {

// Redis answered but refused the login or the database number: a configuration mistake, not an outage.
// Its code is UNAVAILABLE (at run time the operator may fix the server); `open` turns it into INVALID_ARGUMENT.
class LoginRefused : public sdk::Error {
public:
    explicit LoginRefused(const std::string& message) : sdk::Error(JOBBER_UNAVAILABLE, message) {}
};

// How to log in to one node. The data nodes and the sentinels have separate credentials; `*_key` name the config
// keys a refusal message points at.
struct NodeLogin {
    std::string username;
    std::string password;
    int64_t db = 0;
    const char* password_key = "password";
    const char* username_key = "username";
    // What to check when the node cannot be reached, for the message.
    const char* unreachable_hint = "check that redis-server runs there and that `address` is right";

    static NodeLogin DataNode(const RedisSettings& settings);
    static NodeLogin Sentinel(const RedisSettings& settings);
};

class RedisConnection {
public:
    // Connects within settings.connect_timeout, then AUTH (when a password is set) and SELECT (when db != 0).
    // Throws sdk::Error(UNAVAILABLE) when Redis cannot be reached, LoginRefused when it refuses AUTH or SELECT.
    explicit RedisConnection(const RedisSettings& settings);
    // The same with an explicit node and login: a data node found through Sentinel, or a sentinel itself.
    RedisConnection(const RedisAddress& address, const NodeLogin& login, const RedisSettings& timeouts);
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    // Sends the commands in one write and reads their replies in order: one round trip. Error replies are
    // returned as replies (type REDIS_REPLY_ERROR), not thrown. An I/O failure or a reply later than `timeout`
    // throws sdk::Error(UNAVAILABLE) and leaves the connection broken (a late reply would answer the next call).
    std::vector<Reply> Pipeline(const std::vector<std::vector<std::string_view>>& commands,
                                std::chrono::milliseconds timeout);
    Reply Call(const std::vector<std::string_view>& args, std::chrono::milliseconds timeout);

    // False once an I/O error or timeout made the connection unusable.
    bool usable() const { return !broken_; }
    // Makes it unusable, so the pool drops it instead of reusing it (it talks to a node that is no longer master).
    void Discard() { broken_ = true; }
    // "host:port" of the node, for messages.
    const std::string& where() const { return where_; }
    // Which master (see Endpoint::epoch) this connection was made for; the pool drops those of an older one.
    uint64_t epoch() const { return epoch_; }
    void set_epoch(uint64_t epoch) { epoch_ = epoch; }
    // A zero-cost check before reuse: false when the server has closed the socket while it sat idle (a restart,
    // a client timeout), which shows as a readable or failed socket with no request outstanding.
    bool StillOpen() const;

private:
    void SetTimeout(std::chrono::milliseconds timeout);
    [[noreturn]] void FailIo(const std::string& what);

    redisContext* context_ = nullptr;
    std::string where_;
    std::chrono::milliseconds timeout_{0};
    bool broken_ = false;
    uint64_t epoch_ = 0;
};

}  // namespace jobber::redis
