// The state store's Lua scripts: compare-and-set and deletion of a job record, the queue index and the slot
// semaphore, each one atomic round trip. Keys are described in plugins/redis/README.md ("Keys").
#pragma once

#include "redis_client.hpp"

namespace jobber::redis::scripts {

// No KEYS (the keys derive from the prefix, like the broker's). ARGV: expect_mask, "1" when a token is expected
// else "0", expected token, state, token, body, ttl_ms (0 = no expiry), key prefix, job ID, queue to list a
// PENDING/RETRY record under ("" = none). Returns {1} when written, else {0} (absent) or {0, state, token, body}.
extern const LuaScript kCasJob;
// ARGV: key prefix, job ID. Removes the record and its queue listing.
extern const LuaScript kDeleteJob;
// ARGV: key prefix, queue, limit. Returns a flat array {job ID, state, token, body, ...}, oldest listing first.
extern const LuaScript kListQueue;
// KEYS: slot key. ARGV: limit, holder, lease_ms. Returns 1 when the holder has (or refreshed) a slot, else 0.
extern const LuaScript kAcquireSlot;

}  // namespace jobber::redis::scripts
