// The state store's Lua scripts: compare-and-set of a job record and the slot semaphore, each one atomic round
// trip. Keys are described in plugins/redis/README.md ("Keys").
#pragma once

#include "redis_client.hpp"

namespace jobber::redis::scripts {

// KEYS: job key. ARGV: expect_mask, "1" when a token is expected else "0", expected token, state, token, body,
// ttl_ms (0 = no expiry). Returns {1} when written, else {0} (absent) or {0, state, token, body}.
extern const LuaScript kCasJob;
// KEYS: slot key. ARGV: limit, holder, lease_ms. Returns 1 when the holder has (or refreshed) a slot, else 0.
extern const LuaScript kAcquireSlot;

}  // namespace jobber::redis::scripts
