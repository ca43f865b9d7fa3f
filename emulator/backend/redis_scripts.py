"""The Lua scripts of the Redis backend: each decision is one atomic script, one round trip.

They mirror the pure logic in ``emulator/ratelimit.py`` and ``emulator/idempotency.py``; the contract
suite (``tests/test_backend_contract.py``) runs the same cases on both.
"""

from __future__ import annotations

#: KEYS: bucket keys. ARGV: now, window, key ttl (ms), then one limit per key.
#: A bucket is a hash ``second -> hits``; a hit counts while ``now < second + window``.
#: Returns ``{allowed, limit, remaining, reset, retry_after}`` like ``RateLimiter.hit``.
RATE_HIT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local totals, slotsets = {}, {}
local worst_wait, worst_limit = nil, nil
for i = 1, #KEYS do
  local limit = tonumber(ARGV[3 + i])
  local flat = redis.call('HGETALL', KEYS[i])
  local slots, total = {}, 0
  for j = 1, #flat, 2 do
    local second, count = tonumber(flat[j]), tonumber(flat[j + 1])
    if second + window <= now then
      redis.call('HDEL', KEYS[i], flat[j])
    else
      slots[#slots + 1] = {second, count}
      total = total + count
    end
  end
  table.sort(slots, function(a, b) return a[1] < b[1] end)
  totals[i], slotsets[i] = total, slots
  if total >= limit then
    local wait = window
    if limit > 0 then
      local must = total - limit + 1
      for _, slot in ipairs(slots) do
        must = must - slot[2]
        if must <= 0 then wait = slot[1] + window - now; break end
      end
    end
    if worst_wait == nil or wait > worst_wait then worst_wait, worst_limit = wait, limit end
  end
end
if worst_wait ~= nil then
  local seconds = math.max(1, math.ceil(worst_wait))
  return {0, worst_limit, 0, seconds, seconds}
end
local second = math.floor(now)
local best = nil
for i = 1, #KEYS do
  local limit, slots = tonumber(ARGV[3 + i]), slotsets[i]
  local target = second
  if #slots > 0 and slots[#slots][1] >= second then target = slots[#slots][1] end
  redis.call('HINCRBY', KEYS[i], string.format('%d', target), 1)
  redis.call('PEXPIRE', KEYS[i], ttl)
  local oldest = target
  if #slots > 0 then oldest = slots[1][1] end
  local total = totals[i] + 1
  if best == nil or limit - total < best[1] - best[2] then best = {limit, total, oldest} end
end
if best == nil then return {1, 0, 0, 0, 0} end
return {1, best[1], math.max(0, best[1] - best[2]), math.max(0, math.ceil(best[3] + window - now)), 0}
"""

#: KEYS: the key's hash, the claim counter. ARGV: signature, now, retention (s), key ttl (ms).
#: Returns ``{'proceed', claim}``, ``{'mismatch'}``, ``{'inflight'}`` or ``{'replay', response}``.
IDEM_BEGIN = """
local found = redis.call('HMGET', KEYS[1], 'sig', 'created', 'resp')
if found[1] and tonumber(ARGV[2]) - tonumber(found[2]) < tonumber(ARGV[3]) then
  if found[1] ~= ARGV[1] then return {'mismatch'} end
  if not found[3] then return {'inflight'} end
  return {'replay', found[3]}
end
local claim = tostring(redis.call('INCR', KEYS[2]))
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'sig', ARGV[1], 'created', ARGV[2], 'claim', claim)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {'proceed', claim}
"""

#: KEYS: the key's hash. ARGV: claim, encoded response. 1 when stored, 0 when the claim is gone.
IDEM_COMPLETE = """
if redis.call('HGET', KEYS[1], 'claim') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'resp', ARGV[2])
return 1
"""

#: KEYS: the key's hash. ARGV: claim. Deletes the key only while this claim still holds it.
IDEM_ABANDON = """
if redis.call('HGET', KEYS[1], 'claim') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""

#: KEYS: the hash. ARGV: the field to read, then the fields to increment. Returns ``{read, n1, n2...}``.
HASH_INCR = """
local out = {redis.call('HGET', KEYS[1], ARGV[1])}
for i = 2, #ARGV do out[i] = redis.call('HINCRBY', KEYS[1], ARGV[i], 1) end
return out
"""

#: A fresh log epoch: the server's time plus a counter (KEYS[4]), unique even after a full reset.
_NEW_EPOCH = """
local function new_epoch(births)
  local t = redis.call('TIME')
  return t[1] .. '.' .. t[2] .. '.' .. redis.call('INCR', births)
end
"""

#: Body of LOG_READ as a function of (KEYS, ARGV). KEYS: log, epoch, request number, births.
#: ARGV: the caller's epoch, applied count, reserve ('1' or '0').
#: Returns ``{epoch, number, start, writes from start}``; start is 0 when the epoch is not the caller's.
_LOG_READ_FN = (
    _NEW_EPOCH
    + """
local function log_read(KEYS, ARGV)
  local epoch = redis.call('GET', KEYS[2])
  if not epoch then
    epoch = new_epoch(KEYS[4])
    redis.call('SET', KEYS[2], epoch)
  end
  local number = 0
  if ARGV[3] == '1' then number = redis.call('INCR', KEYS[3]) end
  local start = tonumber(ARGV[2])
  if epoch ~= ARGV[1] then start = 0 end
  return {epoch, number, start, redis.call('LRANGE', KEYS[1], start, -1)}
end
"""
)

LOG_READ = _LOG_READ_FN + "return log_read(KEYS, ARGV)\n"

#: RATE_HIT and LOG_READ in one script. KEYS: the buckets, then LOG_READ's four.
#: ARGV: the number of buckets, RATE_HIT's arguments, then LOG_READ's three. Returns ``{verdict, read}``.
RATE_HIT_LOG_READ = (
    "local function rate_hit(KEYS, ARGV)\n"
    + RATE_HIT
    + "end\n"
    + _LOG_READ_FN
    + """
local buckets = tonumber(ARGV[1])
local rate_keys, rate_args, log_keys, log_args = {}, {}, {}, {}
for i = 1, #KEYS do
  if i <= buckets then rate_keys[#rate_keys + 1] = KEYS[i] else log_keys[#log_keys + 1] = KEYS[i] end
end
for i = 2, #ARGV do
  if i <= 4 + buckets then rate_args[#rate_args + 1] = ARGV[i] else log_args[#log_args + 1] = ARGV[i] end
end
return {rate_hit(rate_keys, rate_args), log_read(log_keys, log_args)}
"""
)

#: KEYS: log, epoch. ARGV: the caller's epoch, its applied count, then the writes to append.
#: Returns ``{length before, writes between applied and that length}``, or ``{-1, {}}`` (nothing
#: appended) when the epoch changed (a reset won).
LOG_APPEND = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return {-1, {}} end
local before = redis.call('LLEN', KEYS[1])
local applied = tonumber(ARGV[2])
local others = {}
if before ~= applied then others = redis.call('LRANGE', KEYS[1], applied, before - 1) end
for i = 3, #ARGV, 1000 do
  redis.call('RPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
return {before, others}
"""

#: KEYS: log, epoch, request number, births. ARGV: the writes of the new log. Returns the new epoch.
LOG_RESTART = (
    _NEW_EPOCH
    + """
redis.call('DEL', KEYS[1], KEYS[3])
local epoch = new_epoch(KEYS[4])
redis.call('SET', KEYS[2], epoch)
for i = 1, #ARGV, 1000 do
  redis.call('RPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
return epoch
"""
)

#: KEYS: the journal stream, its counter. ARGV: bound, organisation ("" for none), head, request body,
#: response body. The entry's id is ``<number>-1``: numbers come from the counter, so they follow the
#: order in which appends reach Redis across processes. Returns the number.
JOURNAL_APPEND = """
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], seq .. '-1', 'o', ARGV[2], 'h', ARGV[3], 'q', ARGV[4], 'r', ARGV[5])
return seq
"""

#: KEYS: the journal's counter, its hash of per-organisation marks. ARGV: organisation. Entries of the
#: organisation numbered up to the mark are cleared (filtered out on read).
JOURNAL_CLEAR_ORG = """
local seq = redis.call('GET', KEYS[1]) or '0'
redis.call('HSET', KEYS[2], ARGV[1], seq)
return seq
"""
