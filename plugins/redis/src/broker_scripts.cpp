#include "broker_scripts.hpp"

namespace jobber::redis::scripts {

namespace {

// Shared head of every broker script. Keys, all under the prefix p (ARGV[1]):
//   seq         counter: message ids and ready-order sequence numbers
//   m:<id>      hash: q queue, p payload, n deliveries so far, s ready-order sequence, r receipt of the live lease
//   q:<queue>   list of ready message ids, head first
//   d:<queue>   zset of delayed message ids, score = eta (unix ms)
//   l:<queue>   zset of leased message ids, score = lease deadline (unix ms, Redis's clock)
//   w:<queue>   list holding at most one wake-up token for pops blocked in BLPOP
#define JOBBER_REDIS_BROKER_PRELUDE                                                         \
    "local p = ARGV[1]\n"                                                                   \
    "local function now_ms()\n"                                                             \
    "  local t = redis.call('TIME')\n"                                                      \
    "  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"                  \
    "end\n"                                                                                 \
    "local function signal(q)\n"                                                            \
    "  local w = p .. 'w:' .. q\n"                                                          \
    "  if redis.call('LLEN', w) == 0 then redis.call('RPUSH', w, '1') end\n"                \
    "end\n"                                                                                 \
    "local function maintain(q, now)\n"                                                     \
    "  local ready, leases, delayed = p .. 'q:' .. q, p .. 'l:' .. q, p .. 'd:' .. q\n"     \
    "  local expired = redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, 100)\n" \
    "  for i = #expired, 1, -1 do\n"                                                        \
    "    redis.call('HDEL', p .. 'm:' .. expired[i], 'r')\n"                                \
    "    redis.call('LPUSH', ready, expired[i])\n"                                          \
    "  end\n"                                                                               \
    "  if #expired > 0 then redis.call('ZREM', leases, unpack(expired)) end\n"              \
    "  local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 100)\n"    \
    "  for i = 1, #due do\n"                                                                \
    "    redis.call('HSET', p .. 'm:' .. due[i], 's', redis.call('INCR', p .. 'seq'))\n"    \
    "    redis.call('RPUSH', ready, due[i])\n"                                              \
    "  end\n"                                                                               \
    "  if #due > 0 then redis.call('ZREM', delayed, unpack(due)) end\n"                     \
    "  if #expired + #due > 0 then signal(q) end\n"                                         \
    "end\n"

}  // namespace

const LuaScript kPush{"push", JOBBER_REDIS_BROKER_PRELUDE R"lua(
local q, payload, eta = ARGV[2], ARGV[3], tonumber(ARGV[4])
local id = redis.call('INCR', p .. 'seq')
local m = p .. 'm:' .. id
if eta > now_ms() then
  redis.call('HSET', m, 'q', q, 'p', payload, 'n', 0)
  redis.call('ZADD', p .. 'd:' .. q, eta, id)
else
  redis.call('HSET', m, 'q', q, 'p', payload, 'n', 0, 's', id)
  redis.call('RPUSH', p .. 'q:' .. q, id)
end
-- Also for a delayed message: a blocked pop wakes and recomputes when it must look again.
signal(q)
return id
)lua"};

const LuaScript kPop{"pop", JOBBER_REDIS_BROKER_PRELUDE R"lua(
local now = now_ms()
local lease = tonumber(ARGV[2])
local single = #ARGV == 3
local best, best_seq, best_q
for i = 3, #ARGV do
  local q = ARGV[i]
  maintain(q, now)
  local head = redis.call('LINDEX', p .. 'q:' .. q, 0)
  if head then
    -- Across several queues the oldest ready message goes first; with one queue its head is that message.
    if single then
      best, best_q = head, q
    else
      local s = tonumber(redis.call('HGET', p .. 'm:' .. head, 's')) or 0
      if not best or s < best_seq then best, best_seq, best_q = head, s, q end
    end
  end
end
if not best then
  -- Nothing ready: tell the caller how long it may block before something falls due or a lease runs out.
  local next_event = -1
  for i = 3, #ARGV do
    for _, kind in ipairs({'d:', 'l:'}) do
      local first = redis.call('ZRANGE', p .. kind .. ARGV[i], 0, 0, 'WITHSCORES')
      if first[2] then
        local d = math.max(tonumber(first[2]) - now, 0)
        if next_event < 0 or d < next_event then next_event = d end
      end
    end
  end
  return {0, next_event}
end
local ready = p .. 'q:' .. best_q
redis.call('LPOP', ready)
local m = p .. 'm:' .. best
local payload = redis.call('HGET', m, 'p')
-- An id without its message (deleted by hand): dropped; the caller looks again at once.
if not payload then return {0, 0} end
local n = redis.call('HINCRBY', m, 'n', 1)
local receipt = best .. '.' .. n
redis.call('HSET', m, 'r', receipt)
redis.call('ZADD', p .. 'l:' .. best_q, now + lease, best)
-- Pass the wake-up on: another blocked pop may take the next message.
if redis.call('LLEN', ready) > 0 then signal(best_q) end
return {1, payload, best_q, receipt, n}
)lua"};

const LuaScript kSettle{"settle", JOBBER_REDIS_BROKER_PRELUDE R"lua(
local op, receipt, arg = ARGV[2], ARGV[3], tonumber(ARGV[4])
local id = string.match(receipt, '^(%d+)%.%d+$')
if not id then return 0 end
local m = p .. 'm:' .. id
local f = redis.call('HMGET', m, 'r', 'q')
if f[1] ~= receipt then return 0 end
local q = f[2]
local leases = p .. 'l:' .. q
local now = now_ms()
local deadline = tonumber(redis.call('ZSCORE', leases, id))
if not deadline or deadline <= now then
  -- The lease ran out: hand the message back, as the next pop would.
  maintain(q, now)
  return 0
end
if op == 'ack' then
  redis.call('ZREM', leases, id)
  redis.call('DEL', m)
elseif op == 'extend' then
  redis.call('ZADD', leases, now + arg, id)
else
  redis.call('ZREM', leases, id)
  redis.call('HDEL', m, 'r')
  if arg > now then
    redis.call('ZADD', p .. 'd:' .. q, arg, id)
  else
    redis.call('HSET', m, 's', redis.call('INCR', p .. 'seq'))
    redis.call('RPUSH', p .. 'q:' .. q, id)
  end
  signal(q)
end
return 1
)lua"};

const LuaScript kListPending{"list_pending", JOBBER_REDIS_BROKER_PRELUDE R"lua(
local q, phase, offset, count = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local out = {}
if phase == 'ready' then
  -- A listing shows what a pop would see: expired leases and due messages count as ready.
  if offset == 0 then maintain(q, now_ms()) end
  local ids = redis.call('LRANGE', p .. 'q:' .. q, offset, offset + count - 1)
  for i = 1, #ids do
    local payload = redis.call('HGET', p .. 'm:' .. ids[i], 'p')
    if payload then
      out[#out + 1] = payload
      out[#out + 1] = 0
    end
  end
  return {#ids, out}
end
local entries = redis.call('ZRANGE', p .. 'd:' .. q, offset, offset + count - 1, 'WITHSCORES')
for i = 1, #entries, 2 do
  local payload = redis.call('HGET', p .. 'm:' .. entries[i], 'p')
  if payload then
    out[#out + 1] = payload
    out[#out + 1] = tonumber(entries[i + 1])
  end
end
return {#entries / 2, out}
)lua"};

#undef JOBBER_REDIS_BROKER_PRELUDE

}  // namespace jobber::redis::scripts
