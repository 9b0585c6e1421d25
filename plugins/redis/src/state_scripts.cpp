#include "state_scripts.hpp"

namespace jobber::redis::scripts {

// A job record is a hash {s state, t token, b body, q queue it is listed under}; its key's own expiry is the
// record's TTL. A PENDING or RETRY record written with a queue is listed in the zset `listed:<queue>`, scored by
// the `listed-seq` counter so the list keeps first-listing order; any other write takes it off. The zset expires
// with its longest-lived member, and list_queue drops members whose record expired.
const LuaScript kCasJob{"cas_job", R"lua(
local prefix, job_id = ARGV[8], ARGV[9]
local key = prefix .. 'job:' .. job_id
local mask = tonumber(ARGV[1])
local cur = redis.call('HMGET', key, 's', 't', 'b', 'q')
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
local ttl = tonumber(ARGV[7])
local new_queue = ARGV[10]
local listed = new_queue ~= '' and (ARGV[4] == '1' or ARGV[4] == '3')
local old_queue = st and cur[4] or false
if old_queue and old_queue ~= '' and (not listed or old_queue ~= new_queue) then
  redis.call('ZREM', prefix .. 'listed:' .. old_queue, job_id)
end
redis.call('HSET', key, 's', ARGV[4], 't', ARGV[5], 'b', ARGV[6])
if listed then
  redis.call('HSET', key, 'q', new_queue)
  local list_key = prefix .. 'listed:' .. new_queue
  -- PTTL of an existing zset: -1 = kept forever (a member without TTL), else ms left.
  local list_ttl = redis.call('EXISTS', list_key) == 1 and redis.call('PTTL', list_key) or nil
  if old_queue ~= new_queue then
    redis.call('ZADD', list_key, redis.call('INCR', prefix .. 'listed-seq'), job_id)
  end
  if ttl == 0 then
    redis.call('PERSIST', list_key)
  elseif list_ttl == nil or (list_ttl >= 0 and list_ttl < ttl) then
    redis.call('PEXPIRE', list_key, ttl)
  end
elseif old_queue then
  redis.call('HDEL', key, 'q')
end
if ttl > 0 then redis.call('PEXPIRE', key, ttl) else redis.call('PERSIST', key) end
return {1}
)lua"};

// Deletes a job record and its listing, if any.
const LuaScript kDeleteJob{"delete_job", R"lua(
local prefix, job_id = ARGV[1], ARGV[2]
local key = prefix .. 'job:' .. job_id
local queue = redis.call('HGET', key, 'q')
if queue then redis.call('ZREM', prefix .. 'listed:' .. queue, job_id) end
redis.call('DEL', key)
return 1
)lua"};

// Walks `listed:<queue>` oldest first and returns {id, state, token, body, ...} for at most `limit` records still
// waiting there; members whose record expired or moved on are removed on the way. Scans at most `limit` + 10000
// members per call, so a queue full of stale members costs a bounded amount of work.
const LuaScript kListQueue{"list_queue", R"lua(
local prefix, queue, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local list_key = prefix .. 'listed:' .. queue
local out, stale = {}, {}
local found, scanned, rank = 0, 0, 0
local budget = limit + 10000
while found < limit and scanned < budget do
  local ids = redis.call('ZRANGE', list_key, rank, rank + 99)
  if #ids == 0 then break end
  rank = rank + #ids
  for _, id in ipairs(ids) do
    scanned = scanned + 1
    local r = redis.call('HMGET', prefix .. 'job:' .. id, 's', 't', 'b', 'q')
    if (r[1] == '1' or r[1] == '3') and r[4] == queue then
      if found < limit then
        found = found + 1
        out[#out + 1] = id
        out[#out + 1] = tonumber(r[1])
        out[#out + 1] = r[2] or ''
        out[#out + 1] = r[3] or ''
      end
    else
      stale[#stale + 1] = id
    end
  end
end
for i = 1, #stale, 500 do
  redis.call('ZREM', list_key, unpack(stale, i, math.min(i + 499, #stale)))
end
return out
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
