// One hiredis connection: connect, log in, select the database, run commands with a deadline. Not thread-safe:
// one caller at a time, which the connection pool guarantees.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
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

class RedisConnection {
public:
    // Connects within settings.connect_timeout, then AUTH (when a password is set) and SELECT (when db != 0).
    // Throws sdk::Error(UNAVAILABLE) when Redis cannot be reached, LoginRefused when it refuses AUTH or SELECT.
    explicit RedisConnection(const RedisSettings& settings);
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
};

}  // namespace jobber::redis
