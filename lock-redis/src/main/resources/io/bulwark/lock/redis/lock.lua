-- Bulwark lock state for ONE lock name, as a Redis Lua script. Every backend operation is one call of
-- this script (EVALSHA), so each is atomic and costs one round trip. It mirrors
-- io.bulwark.lock.state.LockStateMachine: holders, a FIFO queue of waiters, lease and wait deadlines,
-- fencing tokens. Time is the Redis server's TIME in microseconds; clients never send absolute times.
--
-- KEYS[1] state   string 'token|seq|gseq|kind|cap|used|writers|nh|nq|next|exp', followed, while a holder sits
--                 in the inline slot, by '|owner|mode|permits|token|grantSeq|claimed|leaseMicros|expiry'.
--                 token: last token issued; seq, gseq: last arrival and grant sequence numbers; kind is '-'
--                 when the name is idle; nh, nq: holders and waiters; next, exp: see the invariants.
-- KEYS[2] holders hash: owner -> 'mode|permits|token|grantSeq|claimed|leaseMicros', the holders beyond the
--                 inline one (only readers and semaphore holders are ever more than one)
-- KEYS[3] hexp    zset: owner -> lease expiry (micros), same members as holders
-- KEYS[4] queue   zset: owner -> arrival sequence (FIFO order)
-- KEYS[5] waiters hash: owner -> 'mode|permits|leaseMicros|waitDeadline|aliveUntil|wakeId|aliveMicros'
--                 (wakeId and aliveMicros: the wake-up channel suffix and waiter liveness of the backend that
--                 queued it)
-- KEYS[6] wexp    zset: owner -> min(waitDeadline, aliveUntil)
-- ARGV[1] op, ARGV[2] wake-up channel prefix (a waiter's wakeId is appended), ARGV[3] publish
-- command (SPUBLISH or PUBLISH), ARGV[4] owner, ARGV[5] idle retention (ms), ARGV[6] waiter liveness
-- (micros), ARGV[7] max holders, then per op (below).
--
-- Replies: {1, token, leaseMicros} granted; {0} not granted / not held; {2, hintMicros} queued (hint: micros
-- until the earliest holder lease ends, -1 if none); {3, reason, kindInUse, capInUse} refused; {1} done.
--
-- Wake-ups: a grant made for a queued owner (by a release, an abandon or an expiry) is published as
-- 'owner|token|leaseMicros' only on the channel its backend instance gave when it queued the request (wakeId).
-- The message is the whole grant, so the waiter completes its acquire without calling back, and the lease runs
-- from this script's TIME. PUBLISH answers how many connections received it: with none (the waiter's process
-- is gone or its connection is down) the grant is recorded as unclaimed and lives only min(lease, that
-- waiter's liveness) unless the waiter's fallback re-check ('claim') confirms it, so a waiter that died while
-- queued blocks the lock for its liveness, not a whole lease. (A waiter whose process is stalled while its
-- connection stays open receives the grant and holds it like any holder: up to the lease.)
--
-- Cost: Redis runs this script on its single thread, and INFO commandstats counts every call inside it. The
-- state string is read once (GET) and written once at the end (SET ... PX, which also sets its expiry). The
-- lone holder of an exclusive lock lives in the state string itself, so an uncontended acquire and an
-- uncontended release are each TIME + GET + SET: 8 commands per pair with the two EVALSHA, and both take the
-- fast paths below, which skip the general code's helpers and sweep.
--
-- Invariants kept by every run:
--   * The name is in use iff nh > 0 or nq > 0; kind, cap, used and writers mean something only then. An idle
--     name keeps its counters (token, seq, gseq) in the state string for the idle retention and has no other
--     key (hashes and sorted sets vanish when their last member is removed).
--   * nh = (inline holder ? 1 : 0) + HLEN holders, HLEN holders = ZCARD hexp (same members);
--     nq = ZCARD queue = HLEN waiters = ZCARD wexp (same members).
--   * While in use, next <= every deadline (inline expiry, hexp and wexp scores): a lower bound, lowered on
--     every new deadline, recomputed after a sweep, so no expiry sweep is needed while next > now.
--   * While in use, exp (ms since the epoch) >= every deadline / 1000 + retention, and every existing key of
--     the name expires at exp, so the state of clients that all vanished is collected without anyone calling,
--     between one and two retentions after its last deadline (exp only grows while the name is in use).
--     When the name goes idle its state expires one retention later: the token counter outlives the last
--     grant by at least a retention (docs/GUARANTEES.md, Redis backend, explains why that keeps tokens
--     increasing).
--   * At rest the queue head does not fit (every run that frees room grants from the head).

if redis.replicate_commands then
  -- Redis < 5 must replicate effects, not the script, because it reads TIME. A no-op on Redis >= 5.
  redis.replicate_commands()
end

local STATE, HOLDERS, HEXP, QUEUE, WAITERS, WEXP = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local op, wakePrefix, publish, owner = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local retentionMs = tonumber(ARGV[5])
local aliveMicros = tonumber(ARGV[6])
local maxHolders = tonumber(ARGV[7])

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nowMs = math.floor(now / 1000)

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

-- The state string's layout, parsed with one match and written with one format (this script runs on Redis's
-- only thread on every lock operation; per-field splitting and formatting cost more than the Redis calls).
local STATE_PATTERN = '^([^|]+)|([^|]+)|([^|]+)|([^|]+)|([^|]+)|([^|]+)|([^|]+)|([^|]+)|([^|]+)|([^|]+)|([^|]+)(.*)$'
local INLINE_PATTERN = '^|([^|]+)|([^|]+)|([^|]+)|([^|]+)|([^|]+)|([^|]+)|([^|]+)|([^|]+)$'
local STATE_FORMAT = '%.0f|%.0f|%.0f|%s|%.0f|%.0f|%.0f|%.0f|%.0f|%.0f|%.0f'
local INLINE_FORMAT = '|%s|%s|%.0f|%.0f|%.0f|%s|%.0f|%.0f'

local token, seq, gseq, nh, nq, exp = 0, 0, 0, 0, 0, 0
local kind, cap, used, writers, nextDue = nil, 0, 0, 0, nil
-- The inline holder {owner, mode, permits, token, grantSeq, claimed, leaseMicros, expiry}, or nil.
local inline = nil
local raw = redis.call('GET', STATE)
if raw then
  local t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, rest = string.match(raw, STATE_PATTERN)
  if not t1 then
    return redis.error_reply('bulwark lock script: ' .. STATE .. ' does not hold lock state; not touching it')
  end
  token, seq, gseq, nh, nq, exp = tonumber(t1), tonumber(t2), tonumber(t3), tonumber(t8), tonumber(t9), tonumber(t11)
  if nh > 0 or nq > 0 then
    kind, cap, used, writers, nextDue = t4, tonumber(t5), tonumber(t6), tonumber(t7), tonumber(t10)
  end
  if rest ~= '' then
    local o, mode, permits, tok, gs, claimed, lease, expiry = string.match(rest, INLINE_PATTERN)
    inline = {o, mode, tonumber(permits), tonumber(tok), tonumber(gs), claimed, tonumber(lease), tonumber(expiry)}
  end
end
-- [fast paths] Fast paths for the two operations most lock traffic consists of: an exclusive (or fair) acquire of an idle
-- name, and the release of a name's only holder while nobody waits. Each does exactly what the general code
-- below does in that case (the same state string, the same reply, the same expiry) without defining its helpers
-- or sweeping, which is most of this script's cost on Redis's single thread. LockScriptFastPathTest checks
-- that both ways leave the same state.
if op == 'acquire' and nh == 0 and nq == 0 and (ARGV[8] == 'E' or ARGV[8] == 'F') and ARGV[10] == '1'
    and maxHolders > 0 then
  local lease = tonumber(ARGV[12])
  local expiry = now + lease
  token = math.max(token + 1, now)
  gseq = gseq + 1
  local want = math.ceil(expiry / 1000) + retentionMs
  if want > exp then
    exp = want + retentionMs
  end
  redis.call('SET', STATE, string.format(STATE_FORMAT, token, seq, gseq, ARGV[9], tonumber(ARGV[11]), 1, 0, 1, 0,
      expiry, exp) .. string.format(INLINE_FORMAT, owner, ARGV[8], 1, token, gseq, '1', lease, expiry),
    'PX', fmt(exp - nowMs))
  return {1, token, lease}
end
if op == 'release' and nh == 1 and nq == 0 and inline and inline[1] == owner and nextDue > now then
  redis.call('SET', STATE, string.format(STATE_FORMAT, token, seq, gseq, '-', 0, 0, 0, 0, 0, 0, nowMs + retentionMs),
    'PX', fmt(retentionMs))
  return {1}
end
-- [end of fast paths]

-- Holders in the holders hash (all but the inline one).
local nhh = nh - (inline and 1 or 0)
local dirty = false
local expGrew = false
local holdersCreated = false
local queueCreated = false

-- A deadline (micros) was stored. When the keys' expiry has to move, it moves one more retention ahead, so
-- leases renewed (or waiters heartbeating) more often than that do not re-expire the keys on every call.
local function touch(deadline)
  if not nextDue or deadline < nextDue then
    nextDue = deadline
  end
  local want = math.ceil(deadline / 1000) + retentionMs
  if want > exp then
    exp = want + retentionMs
    expGrew = true
  end
  dirty = true
end

local function countOut(mode, permits)
  used = used - permits
  if mode == 'W' then
    writers = writers - 1
  end
  nh = nh - 1
  dirty = true
end

local function dropHashedHolder(o, v)
  local h = split(v)
  redis.call('HDEL', HOLDERS, o)
  redis.call('ZREM', HEXP, o)
  nhh = nhh - 1
  countOut(h[1], tonumber(h[2]))
end

local function removeHolder(o)
  if inline and inline[1] == o then
    countOut(inline[2], inline[3])
    inline = nil
    return true
  end
  if nhh == 0 then
    return false
  end
  local v = redis.call('HGET', HOLDERS, o)
  if not v then
    return false
  end
  dropHashedHolder(o, v)
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
    dirty = true
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
local function issueToken()
  token = math.max(token + 1, now)
  gseq = gseq + 1
  dirty = true
  return token
end

-- Records a holder of the token just issued. The first holder takes the inline slot of the state string
-- (no extra key); only a second concurrent holder (reader, semaphore) goes to the holders hash.
local function addHolder(o, mode, permits, tok, leaseMicros, claimed, expiry)
  if not inline then
    inline = {o, mode, permits, tok, gseq, claimed, leaseMicros, expiry}
  else
    redis.call('HSET', HOLDERS, o, table.concat({mode, fmt(permits), fmt(tok), fmt(gseq), claimed,
      fmt(leaseMicros)}, '|'))
    redis.call('ZADD', HEXP, fmt(expiry), o)
    if nhh == 0 then
      holdersCreated = true
    end
    nhh = nhh + 1
  end
  nh = nh + 1
  used = used + permits
  if mode == 'W' then
    writers = writers + 1
  end
  touch(expiry)
end

-- Grants queued requests from the head while they fit, in arrival order, and wakes exactly the granted
-- owners. The grant is recorded here, so a lost notification delays the waiter but cannot lose the grant.
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
    local tok = issueToken()
    -- Only the backend instance that queued the request listens on its channel.
    local received = redis.call(publish, wakePrefix .. w[6], head .. '|' .. fmt(tok) .. '|' .. fmt(lease))
    if received > 0 then
      -- Delivered: the lease starts now, and the waiter's client counts it from a moment no later than now.
      addHolder(head, w[1], permits, tok, lease, '1', now + lease)
    else
      -- Nobody received it: an unclaimed grant lives at most as long as this waiter is presumed alive (its
      -- own backend's liveness); the waiter's claim (its fallback re-check) restarts the full lease. A waiter
      -- that died while queued thus blocks others for its liveness, not a whole lease.
      addHolder(head, w[1], permits, tok, lease, '0', now + math.min(lease, tonumber(w[7])))
    end
  end
end

local function firstScore(key)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if first[2] then
    return tonumber(first[2])
  end
  return nil
end

-- The earliest holder lease expiry, or nil with no holder.
local function earliestLeaseEnd()
  local e = inline and inline[8] or nil
  if nhh > 0 then
    local f = firstScore(HEXP)
    if f and (not e or f < e) then
      e = f
    end
  end
  return e
end

local function settle()
  if nextDue and nextDue <= now then
    if inline and inline[8] <= now then
      countOut(inline[2], inline[3])
      inline = nil
    end
    if nhh > 0 then
      for _, o in ipairs(redis.call('ZRANGEBYSCORE', HEXP, '-inf', fmt(now))) do
        local v = redis.call('HGET', HOLDERS, o)
        if v then
          dropHashedHolder(o, v)
        end
      end
    end
    if nq > 0 then
      for _, o in ipairs(redis.call('ZRANGEBYSCORE', WEXP, '-inf', fmt(now))) do
        removeWaiter(o)
      end
    end
    nextDue = earliestLeaseEnd()
    if nq > 0 then
      local w = firstScore(WEXP)
      if w and (not nextDue or w < nextDue) then
        nextDue = w
      end
    end
    dirty = true
  end
  grantWaiters()
end

-- Writes the state string (one SET, with its expiry) and moves the other keys' expiry when it grew.
local function finish()
  if not dirty then
    return
  end
  if nh == 0 and nq == 0 then
    -- Idle: only the counters matter; keep them one retention from now (>= the last grant + a retention).
    exp = nowMs + retentionMs
    redis.call('SET', STATE, string.format(STATE_FORMAT, token, seq, gseq, '-', 0, 0, 0, 0, 0, 0, exp),
      'PX', fmt(retentionMs))
    return
  end
  local value = string.format(STATE_FORMAT, token, seq, gseq, kind, cap, used, writers, nh, nq, nextDue or now, exp)
  if inline then
    value = value .. string.format(INLINE_FORMAT, inline[1], inline[2], inline[3], inline[4], inline[5], inline[6],
      inline[7], inline[8])
  end
  redis.call('SET', STATE, value, 'PX', fmt(exp - nowMs))
  if nhh > 0 and (expGrew or holdersCreated) then
    redis.call('PEXPIREAT', HOLDERS, fmt(exp))
    redis.call('PEXPIREAT', HEXP, fmt(exp))
  end
  if nq > 0 and (expGrew or queueCreated) then
    redis.call('PEXPIREAT', QUEUE, fmt(exp))
    redis.call('PEXPIREAT', WAITERS, fmt(exp))
    redis.call('PEXPIREAT', WEXP, fmt(exp))
  end
end

local function hint()
  local e = earliestLeaseEnd()
  if not e then
    return -1
  end
  return e - now
end

settle()
if nh == 0 and nq == 0 then
  -- Everything lapsed in the sweep: the name is idle and may be taken as any kind.
  kind = nil
end
local reply

if op == 'acquire' then
  -- ARGV[8] mode (E F R W S), ARGV[9] kind, ARGV[10] permits, ARGV[11] capacity, ARGV[12] lease micros,
  -- ARGV[13] wait micros, ARGV[14] max waiters, ARGV[15] wakeId (the channel suffix of the caller's backend)
  local mode, reqKind = ARGV[8], ARGV[9]
  local permits, reqCap = tonumber(ARGV[10]), tonumber(ARGV[11])
  local lease, wait, maxWaiters = tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14])
  if kind then
    if kind ~= reqKind or (reqKind == 'SEMAPHORE' and cap ~= reqCap) then
      finish()
      return {3, 'MODE_CONFLICT', kind, cap}
    end
    -- Every acquire needs a fresh owner id. An owner already queued is caught by HSETNX below when this
    -- request would be queued; the other answers need the look-up.
    if (inline and inline[1] == owner) or (nhh > 0 and redis.call('HEXISTS', HOLDERS, owner) == 1)
        or (nq > 0 and (wait == 0 or nq >= maxWaiters) and redis.call('ZSCORE', QUEUE, owner)) then
      finish()
      return {3, 'INVALID_REQUEST', kind, cap}
    end
  else
    kind, cap, used, writers = reqKind, reqCap, 0, 0
  end
  if nq == 0 and canGrant(mode, permits) then
    local tok = issueToken()
    addHolder(owner, mode, permits, tok, lease, '1', now + lease)
    reply = {1, tok, lease}
  elseif wait == 0 then
    reply = {0}
  elseif nq >= maxWaiters then
    finish()
    return {3, 'LIMIT_EXCEEDED', kind, reqCap}
  else
    local alive = now + aliveMicros
    if redis.call('HSETNX', WAITERS, owner,
        table.concat({mode, fmt(permits), fmt(lease), fmt(now + wait), fmt(alive), ARGV[15], fmt(aliveMicros)},
          '|')) == 0 then
      finish()
      return {3, 'INVALID_REQUEST', kind, cap}
    end
    seq = seq + 1
    redis.call('ZADD', QUEUE, fmt(seq), owner)
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
  -- A queued owner's fallback re-check, which is also its liveness heartbeat while it waits. If it was
  -- granted meanwhile (its wake-up lost, or not read yet), the answer is that same grant, same token, with
  -- its lease restarted from now, so asking twice is harmless. (The restart never moves the expiry earlier:
  -- the expiry in place was set no later than now with at most the lease stored with it.)
  if inline and inline[1] == owner then
    inline[6] = '1'
    inline[8] = now + inline[7]
    touch(inline[8])
    reply = {1, inline[4], inline[7]}
  else
    local v = nhh > 0 and redis.call('HGET', HOLDERS, owner)
    local wv = (not v) and nq > 0 and redis.call('HGET', WAITERS, owner)
    if v then
      local h = split(v)
      local lease = tonumber(h[6])
      if h[5] ~= '1' then
        h[5] = '1'
        redis.call('HSET', HOLDERS, owner, table.concat(h, '|'))
      end
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
  end
elseif op == 'renew' then
  -- ARGV[8] lease micros. Only an existing holder is renewed: a late renewal never re-creates a lease.
  local lease = tonumber(ARGV[8])
  if inline and inline[1] == owner then
    inline[6] = '1'
    inline[7] = lease
    inline[8] = now + lease
    touch(now + lease)
    reply = {1}
  else
    local v = nhh > 0 and redis.call('HGET', HOLDERS, owner)
    if v then
      local h = split(v)
      h[5] = '1'
      h[6] = ARGV[8]
      redis.call('HSET', HOLDERS, owner, table.concat(h, '|'))
      redis.call('ZADD', HEXP, fmt(now + lease), owner)
      touch(now + lease)
      reply = {1}
    else
      reply = {0}
    end
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
  reply = {kind or '', cap, nq}
  if inline then
    reply[#reply + 1] = inline[1]
    reply[#reply + 1] = inline[2]
    reply[#reply + 1] = inline[3]
    reply[#reply + 1] = inline[4]
    reply[#reply + 1] = inline[5]
    reply[#reply + 1] = inline[8] - now
  end
  if nhh > 0 then
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
