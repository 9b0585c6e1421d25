// Owning handle of a hiredis reply and small readers for the reply shapes the plugin's commands return.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "jobber/sdk/error.hpp"

namespace jobber::redis {

struct ReplyDeleter {
    void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

inline bool IsNil(const redisReply* r) {
    return r->type == REDIS_REPLY_NIL;
}

inline std::string_view TextOf(const redisReply* r) {
    if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_ERROR) {
        throw sdk::Error(JOBBER_INTERNAL,
                         "unexpected Redis reply: wanted a string, got reply type " + std::to_string(r->type));
    }
    return std::string_view(r->str, r->len);
}

inline int64_t IntegerOf(const redisReply* r) {
    if (r->type == REDIS_REPLY_INTEGER) return r->integer;
    if (r->type == REDIS_REPLY_STRING) {
        try {
            return std::stoll(std::string(r->str, r->len));
        } catch (const std::exception&) {
            // fall through to the error below
        }
    }
    throw sdk::Error(JOBBER_INTERNAL,
                     "unexpected Redis reply: wanted an integer, got reply type " + std::to_string(r->type));
}

// The i-th element of an array reply; throws when the reply is not an array that long.
inline const redisReply* ElementOf(const redisReply* r, size_t i) {
    if (r->type != REDIS_REPLY_ARRAY || i >= r->elements) {
        throw sdk::Error(JOBBER_INTERNAL, "unexpected Redis reply: wanted an array of more than " + std::to_string(i) +
                                              " elements, got reply type " + std::to_string(r->type));
    }
    return r->element[i];
}

}  // namespace jobber::redis
