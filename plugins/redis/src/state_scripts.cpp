#include "state_scripts.hpp"

namespace jobber::redis::scripts {

// A job record is a hash {s state, t token, b body}; its key's own expiry is the record's TTL.
const LuaScript kCasJob{"cas_job", R"lua(
local key = KEYS[1]
local mask = tonumber(ARGV[1])
local cur = redis.call('HMGET', key, 's', 't', 'b')
local st = tonumber(cur[1])
local ok
if not st then
  ok = mask % 2 == 1
else
  ok = st >= 1 and st <= 31 and math.floor(mask / 2 ^ st) % 2 == 1
  if ok and ARGV[2] == '1' and cur[2] ~= ARGV[3] then ok = false end
end
if not ok then
  if not st then return {0} end
  return {0, st, cur[2] or '', cur[3] or ''}
end
redis.call('HSET', key, 's', ARGV[4], 't', ARGV[5], 'b', ARGV[6])
local ttl = tonumber(ARGV[7])
if ttl > 0 then redis.call('PEXPIRE', key, ttl) else redis.call('PERSIST', key) end
return {1}
)lua"};

// A slot key is a zset of holders scored by lease deadline (unix ms, Redis's clock). The key expires with its
// longest lease, so a semaphore nobody uses any more disappears.
const LuaScript kAcquireSlot{"acquire_slot", R"lua(
local key = KEYS[1]
local limit, holder, lease = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if not redis.call('ZSCORE', key, holder) and redis.call('ZCARD', key) >= limit then return 0 end
redis.call('ZADD', key, now + lease, holder)
if redis.call('PTTL', key) < lease then redis.call('PEXPIRE', key, lease) end
return 1
)lua"};

}  // namespace jobber::redis::scripts
