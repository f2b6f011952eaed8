-- Bulwark lock state for ONE lock name, as a Redis Lua script. Every backend operation is one call of
-- this script (EVALSHA), so each is atomic and costs one round trip. It mirrors
-- io.bulwark.lock.state.LockStateMachine: holders, a FIFO queue of waiters, lease and wait deadlines,
-- fencing tokens. Time is the Redis server's TIME in microseconds; clients never send absolute times.
--
-- KEYS[1] meta    hash: kind, cap, used (permits held), writers, token (last issued), seq, gseq,
--                       nh (holders), nq (queued), next, exp (see below)
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
--
-- Cost: Redis runs this script on its single thread, so every call inside counts. The meta hash is read once
-- (HMGET) into locals and written once at the end (HSET of the changed fields). Invariants kept by every run:
--   * kind is set in meta iff the name is in use (nh > 0 or nq > 0); an idle name has only token, seq and
--     gseq in meta and none of the other five keys.
--   * nh = HLEN holders = ZCARD hexp; nq = ZCARD queue = HLEN waiters = ZCARD wexp (same members).
--   * next <= every score in hexp and wexp (a lower bound, lowered on every ZADD, recomputed after a sweep),
--     so no expiry sweep is needed while next > now.
--   * exp (ms since the epoch) >= every deadline / 1000 + retention, and every existing key of an in-use name
--     expires at exp (PEXPIREAT), so a name whose clients all vanished is collected without anyone calling,
--     between one and two retentions after its last deadline (exp only grows while the name is in use).
--   * At rest the queue head does not fit (every run that frees room grants from the head).

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

local m = redis.call('HMGET', META, 'kind', 'cap', 'used', 'writers', 'token', 'seq', 'gseq', 'nh', 'nq',
  'next', 'exp')
local kind = m[1]
local wasInUse = kind and true or false
local cap = tonumber(m[2] or '0')
local used = tonumber(m[3] or '0')
local writers = tonumber(m[4] or '0')
local token = tonumber(m[5] or '0')
local seq = tonumber(m[6] or '0')
local gseq = tonumber(m[7] or '0')
local nh = tonumber(m[8] or '0')
local nq = tonumber(m[9] or '0')
local nextDue = m[10] and tonumber(m[10])
local exp = tonumber(m[11] or '0')
local metaDirty = false
if kind and not m[8] then
  -- State written by an earlier version of this script, without the counters: count once, sweep once.
  nh = redis.call('HLEN', HOLDERS)
  nq = redis.call('ZCARD', QUEUE)
  nextDue = 0
  metaDirty = true
end
local expGrew = false
local holdersCreated = false
local queueCreated = false

-- A deadline (micros) was stored in hexp or wexp.
-- When the keys' expiry has to move, it moves one more retention ahead, so leases renewed (or waiters
-- heartbeating) more often than that do not re-expire six keys on every call.
local function touch(deadline)
  if not nextDue or deadline < nextDue then
    nextDue = deadline
    metaDirty = true
  end
  local want = math.ceil(deadline / 1000) + retentionMs
  if want > exp then
    exp = want + retentionMs
    expGrew = true
    metaDirty = true
  end
end

-- lazy: the name is about to become idle and finish() deletes the keys, so only the counters change.
local function dropHolder(o, v, lazy)
  local h = split(v)
  if not lazy then
    redis.call('HDEL', HOLDERS, o)
    redis.call('ZREM', HEXP, o)
  end
  used = used - tonumber(h[2])
  if h[1] == 'W' then
    writers = writers - 1
  end
  nh = nh - 1
  metaDirty = true
end

local function removeHolder(o, lazy)
  if nh == 0 then
    return false
  end
  local v = redis.call('HGET', HOLDERS, o)
  if not v then
    return false
  end
  dropHolder(o, v, lazy)
  return true
end

local function removeWaiter(o)
  if nq == 0 then
    return false
  end
  local removed = redis.call('ZREM', QUEUE, o)
  if removed == 1 then
    redis.call('HDEL', WAITERS, o)
    redis.call('ZREM', WEXP, o)
    nq = nq - 1
    metaDirty = true
  end
  return removed == 1
end

local function canGrant(mode, permits)
  if nh >= maxHolders then
    return false
  end
  if kind == 'EXCLUSIVE' or kind == 'FAIR' then
    return nh == 0
  elseif kind == 'READ_WRITE' then
    if mode == 'W' then
      return nh == 0
    end
    return writers == 0
  elseif kind == 'SEMAPHORE' then
    return used + permits <= cap
  end
  return false
end

-- Whether any request could be granted now, before looking at which one: the least demanding request
-- (one reader, one permit) could.
local function room()
  return canGrant('R', 1)
end

-- The fencing token: one more than the last one issued for this name, but never below the server clock in
-- microseconds. The clock term is what keeps tokens increasing after Redis lost the counter (restart
-- without persistence, failover to a replica that missed writes): see docs/GUARANTEES.md, Redis backend.
local function grant(o, mode, permits, leaseMicros, claimed, expiry)
  token = math.max(token + 1, now)
  gseq = gseq + 1
  metaDirty = true
  redis.call('HSET', HOLDERS, o, table.concat({mode, fmt(permits), fmt(token), fmt(gseq), claimed,
    fmt(leaseMicros)}, '|'))
  redis.call('ZADD', HEXP, fmt(expiry), o)
  if nh == 0 then
    holdersCreated = true
  end
  nh = nh + 1
  used = used + permits
  if mode == 'W' then
    writers = writers + 1
  end
  touch(expiry)
  return token
end

-- Grants queued requests from the head while they fit, in arrival order, and wakes exactly the granted
-- owners: the grant is recorded here, so a lost notification delays the waiter but cannot lose the grant.
local function grantWaiters()
  while nq > 0 and room() do
    local head = redis.call('ZRANGE', QUEUE, 0, 0)[1]
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

local function firstScore(key)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if first[2] then
    return tonumber(first[2])
  end
  return nil
end

local function settle()
  if nextDue and nextDue <= now then
    if nh > 0 then
      for _, o in ipairs(redis.call('ZRANGEBYSCORE', HEXP, '-inf', fmt(now))) do
        local v = redis.call('HGET', HOLDERS, o)
        if v then
          dropHolder(o, v, false)
        end
      end
    end
    if nq > 0 then
      for _, o in ipairs(redis.call('ZRANGEBYSCORE', WEXP, '-inf', fmt(now))) do
        removeWaiter(o)
      end
    end
    nextDue = nil
    if nh > 0 then
      nextDue = firstScore(HEXP)
    end
    if nq > 0 then
      local w = firstScore(WEXP)
      if w and (not nextDue or w < nextDue) then
        nextDue = w
      end
    end
    metaDirty = true
  end
  grantWaiters()
end

-- Idle names keep only their token counter, for retentionMs; names in use expire one to two retentionMs after
-- their last deadline, so state of clients that all vanished is collected without anyone calling.
local function finish()
  if nh == 0 and nq == 0 then
    if wasInUse then
      redis.call('DEL', HOLDERS, HEXP, QUEUE, WAITERS, WEXP)
      redis.call('HDEL', META, 'kind', 'cap', 'used', 'writers', 'nh', 'nq', 'next', 'exp')
    end
    if token ~= tonumber(m[5] or '0') or seq ~= tonumber(m[6] or '0') or gseq ~= tonumber(m[7] or '0') then
      redis.call('HSET', META, 'token', fmt(token), 'seq', fmt(seq), 'gseq', fmt(gseq))
    end
    redis.call('PEXPIRE', META, retentionMs)
    return
  end
  if metaDirty or not wasInUse then
    redis.call('HSET', META, 'kind', kind, 'cap', fmt(cap), 'used', fmt(used), 'writers', fmt(writers),
      'token', fmt(token), 'seq', fmt(seq), 'gseq', fmt(gseq), 'nh', fmt(nh), 'nq', fmt(nq),
      'next', fmt(nextDue or now), 'exp', fmt(exp))
  end
  if expGrew or not wasInUse then
    redis.call('PEXPIREAT', META, exp)
  end
  if nh > 0 and (expGrew or holdersCreated) then
    redis.call('PEXPIREAT', HOLDERS, exp)
    redis.call('PEXPIREAT', HEXP, exp)
  end
  if nq > 0 and (expGrew or queueCreated) then
    redis.call('PEXPIREAT', QUEUE, exp)
    redis.call('PEXPIREAT', WAITERS, exp)
    redis.call('PEXPIREAT', WEXP, exp)
  end
end

local function hint()
  if nh == 0 then
    return -1
  end
  return firstScore(HEXP) - now
end

settle()
local reply

if op == 'acquire' then
  -- ARGV[8] mode (E F R W S), ARGV[9] kind, ARGV[10] permits, ARGV[11] capacity, ARGV[12] lease micros,
  -- ARGV[13] wait micros, ARGV[14] max waiters
  local mode, reqKind = ARGV[8], ARGV[9]
  local permits, reqCap = tonumber(ARGV[10]), tonumber(ARGV[11])
  local lease, wait, maxWaiters = tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14])
  local inUse = kind
  if inUse then
    if inUse ~= reqKind or (reqKind == 'SEMAPHORE' and cap ~= reqCap) then
      finish()
      return {3, 'MODE_CONFLICT', inUse, cap}
    end
    if (nh > 0 and redis.call('HEXISTS', HOLDERS, owner) == 1)
        or (nq > 0 and redis.call('ZSCORE', QUEUE, owner)) then
      finish()
      return {3, 'INVALID_REQUEST', inUse, cap}
    end
  else
    kind, cap, used, writers = reqKind, reqCap, 0, 0
    metaDirty = true
  end
  if nq == 0 and canGrant(mode, permits) then
    reply = {1, grant(owner, mode, permits, lease, '1', now + lease), lease}
  elseif wait == 0 then
    reply = {0}
  elseif nq >= maxWaiters then
    finish()
    return {3, 'LIMIT_EXCEEDED', inUse or reqKind, reqCap}
  else
    seq = seq + 1
    metaDirty = true
    local alive = now + aliveMicros
    redis.call('ZADD', QUEUE, seq, owner)
    redis.call('HSET', WAITERS, owner, table.concat({mode, fmt(permits), fmt(lease), fmt(now + wait), fmt(alive)}, '|'))
    local due = math.min(now + wait, alive)
    redis.call('ZADD', WEXP, fmt(due), owner)
    if nq == 0 then
      queueCreated = true
    end
    nq = nq + 1
    touch(due)
    reply = {2, hint()}
  end
elseif op == 'claim' then
  -- A queued owner asks whether it was granted; also its liveness heartbeat while it waits.
  local v = nh > 0 and redis.call('HGET', HOLDERS, owner)
  local wv = (not v) and nq > 0 and redis.call('HGET', WAITERS, owner)
  if v then
    local h = split(v)
    local lease = tonumber(h[6])
    h[5] = '1'
    redis.call('HSET', HOLDERS, owner, table.concat(h, '|'))
    redis.call('ZADD', HEXP, fmt(now + lease), owner)
    touch(now + lease)
    reply = {1, tonumber(h[3]), lease}
  elseif wv then
    local w = split(wv)
    w[5] = fmt(now + aliveMicros)
    redis.call('HSET', WAITERS, owner, table.concat(w, '|'))
    local due = math.min(tonumber(w[4]), now + aliveMicros)
    redis.call('ZADD', WEXP, fmt(due), owner)
    touch(due)
    reply = {2, hint()}
  else
    reply = {0}
  end
elseif op == 'renew' then
  -- ARGV[8] lease micros. Only an existing holder is renewed: a late renewal never re-creates a lease.
  local v = nh > 0 and redis.call('HGET', HOLDERS, owner)
  if v then
    local h = split(v)
    h[5] = '1'
    h[6] = ARGV[8]
    redis.call('HSET', HOLDERS, owner, table.concat(h, '|'))
    redis.call('ZADD', HEXP, fmt(now + tonumber(ARGV[8])), owner)
    touch(now + tonumber(ARGV[8]))
    reply = {1}
  else
    reply = {0}
  end
elseif op == 'release' then
  if removeHolder(owner, nh == 1 and nq == 0) then
    grantWaiters()
    reply = {1}
  else
    reply = {0}
  end
elseif op == 'abandon' then
  if not removeHolder(owner, nh == 1 and nq == 0) then
    removeWaiter(owner)
  end
  grantWaiters()
  reply = {1}
elseif op == 'describe' then
  -- {kind or '', cap, waiting, [owner, mode, permits, token, grantSeq, remainingMicros]...}
  reply = {kind or '', cap, nq}
  if nh > 0 then
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
  end
else
  return redis.error_reply('bulwark lock script: unknown op ' .. tostring(op))
end

finish()
return reply
