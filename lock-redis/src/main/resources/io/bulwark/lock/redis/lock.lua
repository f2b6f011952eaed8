-- Bulwark lock state for ONE lock name, as a Redis Lua script. Every backend operation is one call of
-- this script (EVALSHA), so each is atomic and costs one round trip. It mirrors
-- io.bulwark.lock.state.LockStateMachine: holders, a FIFO queue of waiters, lease and wait deadlines,
-- fencing tokens. Time is the Redis server's TIME in microseconds; clients never send absolute times.
--
-- KEYS[1] meta    hash: kind, cap, used (permits held), writers, token (last issued), seq, gseq
-- KEYS[2] holders hash: owner -> "mode|permits|token|grantSeq|claimed|leaseMicros"
-- KEYS[3] hexp    zset: owner -> lease expiry (micros)
-- KEYS[4] queue   zset: owner -> arrival sequence (FIFO order)
-- KEYS[5] waiters hash: owner -> "mode|permits|leaseMicros|waitDeadline|aliveUntil"
-- KEYS[6] wexp    zset: owner -> min(waitDeadline, aliveUntil)
-- ARGV[1] op, ARGV[2] wake-up channel, ARGV[3] publish command (SPUBLISH or PUBLISH), ARGV[4] owner,
-- ARGV[5] idle retention (ms), ARGV[6] waiter liveness (micros), ARGV[7] max holders, then per op (below).
--
-- Replies: {1, token, leaseMicros} granted; {0} not granted / not held; {2, hintMicros} queued (hint: micros
-- until the earliest holder lease ends, -1 if none); {3, reason, kindInUse, capInUse} refused; {1} done.

if redis.replicate_commands then
  -- Redis < 5 must replicate effects, not the script, because it reads TIME. A no-op on Redis >= 5.
  redis.replicate_commands()
end

local META, HOLDERS, HEXP, QUEUE, WAITERS, WEXP = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local op, channel, publish, owner = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local retentionMs = tonumber(ARGV[5])
local aliveMicros = tonumber(ARGV[6])
local maxHolders = tonumber(ARGV[7])

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

-- Lua's tostring prints large numbers as 1.8e+15; tokens and times need every digit.
local function fmt(n)
  return string.format('%.0f', n)
end

local function split(s)
  local out = {}
  for part in string.gmatch(s, '[^|]+') do
    out[#out + 1] = part
  end
  return out
end

local function removeHolder(o)
  local v = redis.call('HGET', HOLDERS, o)
  if not v then
    return false
  end
  local h = split(v)
  redis.call('HDEL', HOLDERS, o)
  redis.call('ZREM', HEXP, o)
  redis.call('HINCRBY', META, 'used', -tonumber(h[2]))
  if h[1] == 'W' then
    redis.call('HINCRBY', META, 'writers', -1)
  end
  return true
end

local function removeWaiter(o)
  local removed = redis.call('ZREM', QUEUE, o)
  redis.call('HDEL', WAITERS, o)
  redis.call('ZREM', WEXP, o)
  return removed == 1
end

local function canGrant(mode, permits)
  if redis.call('HLEN', HOLDERS) >= maxHolders then
    return false
  end
  local kind = redis.call('HGET', META, 'kind')
  if kind == 'EXCLUSIVE' or kind == 'FAIR' then
    return redis.call('HLEN', HOLDERS) == 0
  elseif kind == 'READ_WRITE' then
    if mode == 'W' then
      return redis.call('HLEN', HOLDERS) == 0
    end
    return tonumber(redis.call('HGET', META, 'writers') or '0') == 0
  elseif kind == 'SEMAPHORE' then
    local used = tonumber(redis.call('HGET', META, 'used') or '0')
    return used + permits <= tonumber(redis.call('HGET', META, 'cap'))
  end
  return false
end

-- The fencing token: one more than the last one issued for this name, but never below the server clock in
-- microseconds. The clock term is what keeps tokens increasing after Redis lost the counter (restart
-- without persistence, failover to a replica that missed writes): see GUARANTEES-redis.md.
local function grant(o, mode, permits, leaseMicros, claimed, expiry)
  local last = tonumber(redis.call('HGET', META, 'token') or '0')
  local token = math.max(last + 1, now)
  redis.call('HSET', META, 'token', fmt(token))
  local gseq = redis.call('HINCRBY', META, 'gseq', 1)
  redis.call('HSET', HOLDERS, o, table.concat({mode, fmt(permits), fmt(token), fmt(gseq), claimed,
    fmt(leaseMicros)}, '|'))
  redis.call('ZADD', HEXP, fmt(expiry), o)
  redis.call('HINCRBY', META, 'used', permits)
  if mode == 'W' then
    redis.call('HINCRBY', META, 'writers', 1)
  end
  return token
end

-- Grants queued requests from the head while they fit, in arrival order, and wakes exactly the granted
-- owners: the grant is recorded here, so a lost notification delays the waiter but cannot lose the grant.
local function grantWaiters()
  while true do
    local head = redis.call('ZRANGE', QUEUE, 0, 0)[1]
    if not head then
      return
    end
    local w = split(redis.call('HGET', WAITERS, head))
    local permits = tonumber(w[2])
    if not canGrant(w[1], permits) then
      return
    end
    removeWaiter(head)
    local lease = tonumber(w[3])
    -- Unclaimed, the grant lives at most as long as a waiter is presumed alive; the claim restarts the
    -- full lease. A waiter that died while queued thus blocks others for aliveMicros, not a whole lease.
    grant(head, w[1], permits, lease, '0', now + math.min(lease, aliveMicros))
    redis.call(publish, channel, head)
  end
end

local function settle()
  for _, o in ipairs(redis.call('ZRANGEBYSCORE', HEXP, '-inf', fmt(now))) do
    removeHolder(o)
  end
  for _, o in ipairs(redis.call('ZRANGEBYSCORE', WEXP, '-inf', fmt(now))) do
    removeWaiter(o)
  end
  grantWaiters()
end

local function lastScore(key)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if last[2] then
    return tonumber(last[2])
  end
  return now
end

-- Idle names keep only their token counter, for retentionMs; names in use expire retentionMs after their
-- last deadline, so state of clients that all vanished is collected without anyone calling.
local function finish()
  if redis.call('HLEN', HOLDERS) == 0 and redis.call('ZCARD', QUEUE) == 0 then
    redis.call('DEL', HOLDERS, HEXP, QUEUE, WAITERS, WEXP)
    redis.call('HDEL', META, 'kind', 'cap', 'used', 'writers')
    if redis.call('EXISTS', META) == 1 then
      redis.call('PEXPIRE', META, retentionMs)
    end
    return
  end
  local last = math.max(lastScore(HEXP), lastScore(WEXP))
  local ttl = math.ceil((last - now) / 1000) + retentionMs
  for i = 1, 6 do
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end

local function hint()
  local first = redis.call('ZRANGE', HEXP, 0, 0, 'WITHSCORES')
  if first[2] then
    return tonumber(first[2]) - now
  end
  return -1
end

settle()
local reply

if op == 'acquire' then
  -- ARGV[8] mode (E F R W S), ARGV[9] kind, ARGV[10] permits, ARGV[11] capacity, ARGV[12] lease micros,
  -- ARGV[13] wait micros, ARGV[14] max waiters
  local mode, kind = ARGV[8], ARGV[9]
  local permits, cap = tonumber(ARGV[10]), tonumber(ARGV[11])
  local lease, wait, maxWaiters = tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14])
  local inUse = redis.call('HGET', META, 'kind')
  if inUse then
    local capInUse = tonumber(redis.call('HGET', META, 'cap') or '0')
    if inUse ~= kind or (kind == 'SEMAPHORE' and capInUse ~= cap) then
      finish()
      return {3, 'MODE_CONFLICT', inUse, capInUse}
    end
    if redis.call('HEXISTS', HOLDERS, owner) == 1 or redis.call('ZSCORE', QUEUE, owner) then
      finish()
      return {3, 'INVALID_REQUEST', inUse, capInUse}
    end
  else
    redis.call('HSET', META, 'kind', kind, 'cap', fmt(cap), 'used', '0', 'writers', '0')
  end
  if redis.call('ZCARD', QUEUE) == 0 and canGrant(mode, permits) then
    reply = {1, grant(owner, mode, permits, lease, '1', now + lease), lease}
  elseif wait == 0 then
    reply = {0}
  elseif redis.call('ZCARD', QUEUE) >= maxWaiters then
    finish()
    return {3, 'LIMIT_EXCEEDED', inUse or kind, cap}
  else
    local seq = redis.call('HINCRBY', META, 'seq', 1)
    local alive = now + aliveMicros
    redis.call('ZADD', QUEUE, seq, owner)
    redis.call('HSET', WAITERS, owner, table.concat({mode, fmt(permits), fmt(lease), fmt(now + wait), fmt(alive)}, '|'))
    redis.call('ZADD', WEXP, fmt(math.min(now + wait, alive)), owner)
    reply = {2, hint()}
  end
elseif op == 'claim' then
  -- A queued owner asks whether it was granted; also its liveness heartbeat while it waits.
  local v = redis.call('HGET', HOLDERS, owner)
  if v then
    local h = split(v)
    local lease = tonumber(h[6])
    h[5] = '1'
    redis.call('HSET', HOLDERS, owner, table.concat(h, '|'))
    redis.call('ZADD', HEXP, fmt(now + lease), owner)
    reply = {1, tonumber(h[3]), lease}
  elseif redis.call('ZSCORE', QUEUE, owner) then
    local w = split(redis.call('HGET', WAITERS, owner))
    w[5] = fmt(now + aliveMicros)
    redis.call('HSET', WAITERS, owner, table.concat(w, '|'))
    redis.call('ZADD', WEXP, fmt(math.min(tonumber(w[4]), now + aliveMicros)), owner)
    reply = {2, hint()}
  else
    reply = {0}
  end
elseif op == 'renew' then
  -- ARGV[8] lease micros. Only an existing holder is renewed: a late renewal never re-creates a lease.
  local v = redis.call('HGET', HOLDERS, owner)
  if v then
    local h = split(v)
    h[5] = '1'
    h[6] = ARGV[8]
    redis.call('HSET', HOLDERS, owner, table.concat(h, '|'))
    redis.call('ZADD', HEXP, fmt(now + tonumber(ARGV[8])), owner)
    reply = {1}
  else
    reply = {0}
  end
elseif op == 'release' then
  if removeHolder(owner) then
    grantWaiters()
    reply = {1}
  else
    reply = {0}
  end
elseif op == 'abandon' then
  if not removeHolder(owner) then
    removeWaiter(owner)
  end
  grantWaiters()
  reply = {1}
elseif op == 'describe' then
  -- {kind or '', cap, waiting, [owner, mode, permits, token, grantSeq, remainingMicros]...}
  reply = {redis.call('HGET', META, 'kind') or '', tonumber(redis.call('HGET', META, 'cap') or '0'),
    redis.call('ZCARD', QUEUE)}
  local all = redis.call('HGETALL', HOLDERS)
  for i = 1, #all, 2 do
    local h = split(all[i + 1])
    local expiry = redis.call('ZSCORE', HEXP, all[i])
    reply[#reply + 1] = all[i]
    reply[#reply + 1] = h[1]
    reply[#reply + 1] = tonumber(h[2])
    reply[#reply + 1] = tonumber(h[3])
    reply[#reply + 1] = tonumber(h[4])
    reply[#reply + 1] = tonumber(expiry) - now
  end
else
  return redis.error_reply('bulwark lock script: unknown op ' .. tostring(op))
end

finish()
return reply
