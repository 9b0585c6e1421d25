// The broker's Lua scripts. Each runs atomically in Redis, so every broker operation is one round trip and no
// message is ever between two keys where a crash could strand it. The data model is described in
// plugins/redis/README.md ("Keys") and docs/redis.md.
#pragma once

#include "redis_client.hpp"

namespace jobber::redis::scripts {

// ARGV: prefix, queue, payload, eta_unix_ms. Returns the message id.
extern const LuaScript kPush;
// ARGV: prefix, lease_ms, queue... Returns {1, payload, queue, receipt, delivery_count} or {0, next_event_ms}
// (-1: no delayed message or lease of these queues is pending).
extern const LuaScript kPop;
// ARGV: prefix, "ack" | "requeue" | "extend", receipt, eta_unix_ms (requeue) or lease_ms (extend).
// Returns 1, or 0 when the receipt does not name a live lease.
extern const LuaScript kSettle;
// ARGV: prefix, queue, "ready" | "delayed", offset, count. Returns {entries scanned, {payload, eta, ...}}.
extern const LuaScript kListPending;

}  // namespace jobber::redis::scripts
