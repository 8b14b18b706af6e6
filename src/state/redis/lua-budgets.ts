/**
 * Lua scripts for budget reservations. Every key a script touches carries the same `{t:<team>}` hash tag (the
 * leases set, the reservation hash and every period counter of the team and its keys), so each script runs
 * atomically on one node, standalone or in a Redis Cluster. Counter keys travel inside the plan JSON (they are
 * derived from KEYS[1]'s tag by the caller), which Redis allows for keys of the same slot.
 *
 * Counter hash fields: sm/st spent micros/tokens, rm/rt reserved (held) micros/tokens, su/sk soft threshold
 * already reported for usd/tokens. Reservation hash fields: st (a active, e expired, s settled), hm/ht held,
 * lease, plan (JSON). Plan entries: k counter key, usd and tok limits, soft fraction, x counter TTL ms (see budget-plan.ts).
 */

const COMMON = `
local function sweep(leases, prefix, now)
  local ids = redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, 500)
  for _, id in ipairs(ids) do
    local rk = prefix .. id
    local r = redis.call('HMGET', rk, 'st', 'hm', 'ht', 'plan')
    if r[1] == 'a' then
      for _, p in ipairs(cjson.decode(r[4])) do
        redis.call('HINCRBY', p.k, 'rm', 0 - tonumber(r[2]))
        redis.call('HINCRBY', p.k, 'rt', 0 - tonumber(r[3]))
      end
      redis.call('HSET', rk, 'st', 'e')
    end
    redis.call('ZREM', leases, id)
  end
end
local function values(plan)
  local out = {}
  for i, p in ipairs(plan) do
    local v = redis.call('HMGET', p.k, 'sm', 'st', 'rm', 'rt')
    out[i] = { tonumber(v[1] or 0), tonumber(v[2] or 0), tonumber(v[3] or 0), tonumber(v[4] or 0) }
  end
  return out
end
local function exceeds(used, amount, limit)
  return used + amount > limit or (amount == 0 and used >= limit)
end
local function denial(plan, vals, cost, tokens)
  for i, p in ipairs(plan) do
    local v = vals[i]
    if p.usd and exceeds(v[1] + v[3], cost, p.usd) then return { i - 1, 'usd' } end
    if p.tok and exceeds(v[2] + v[4], tokens, p.tok) then return { i - 1, 'tokens' } end
  end
  return nil
end
local function hold(plan, m, t)
  for _, p in ipairs(plan) do
    redis.call('HINCRBY', p.k, 'rm', m)
    redis.call('HINCRBY', p.k, 'rt', t)
    if p.x then redis.call('PEXPIRE', p.k, p.x) end
  end
end
local function answer(code, planJson, plan)
  local out = { code, planJson }
  for _, v in ipairs(values(plan)) do
    for _, n in ipairs(v) do out[#out + 1] = n end
  end
  return out
end
`;

/** KEYS: leases, reservation. ARGV: resPrefix, now, plan, cost, tokens, leaseMs, retentionMs, requestId. */
export const RESERVE = `${COMMON}
local now = tonumber(ARGV[2])
sweep(KEYS[1], ARGV[1], now)
local existing = redis.call('HGET', KEYS[2], 'plan')
if existing then return answer(1, existing, cjson.decode(existing)) end
local plan = cjson.decode(ARGV[3])
local cost, tokens, lease = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local d = denial(plan, values(plan), cost, tokens)
if d then return { 0, ARGV[3], d[1], d[2] } end
hold(plan, cost, tokens)
redis.call('HSET', KEYS[2], 'st', 'a', 'hm', cost, 'ht', tokens, 'lease', lease, 'plan', ARGV[3])
redis.call('PEXPIRE', KEYS[2], lease + tonumber(ARGV[7]))
redis.call('ZADD', KEYS[1], now + lease, ARGV[8])
return answer(1, ARGV[3], plan)
`;

/**
 * KEYS: leases, reservation. ARGV: resPrefix, now, cost, tokens, leaseMs (-1 = keep), retentionMs, requestId.
 * Adding nothing (a lease renewal) is never refused, also on a budget the hold itself fills.
 */
export const EXTEND = `${COMMON}
local now = tonumber(ARGV[2])
sweep(KEYS[1], ARGV[1], now)
local r = redis.call('HMGET', KEYS[2], 'st', 'hm', 'ht', 'lease', 'plan')
if not r[1] or r[1] == 's' then return { -1 } end
local plan = cjson.decode(r[5])
local cost, tokens = tonumber(ARGV[3]), tonumber(ARGV[4])
local addM, addT = cost, tokens
if r[1] == 'e' then addM = addM + tonumber(r[2]); addT = addT + tonumber(r[3]) end
local d = nil
if addM ~= 0 or addT ~= 0 then d = denial(plan, values(plan), addM, addT) end
if d then return { 0, r[5], d[1], d[2] } end
hold(plan, addM, addT)
local lease = tonumber(r[4])
if ARGV[5] ~= '-1' then lease = tonumber(ARGV[5]) end
redis.call('HSET', KEYS[2], 'st', 'a', 'hm', tonumber(r[2]) + cost, 'ht', tonumber(r[3]) + tokens, 'lease', lease)
redis.call('PEXPIRE', KEYS[2], lease + tonumber(ARGV[6]))
redis.call('ZADD', KEYS[1], now + lease, ARGV[7])
return answer(1, r[5], plan)
`;

/** KEYS: leases, reservation. ARGV: resPrefix, now, cost, tokens, retentionMs, requestId. Returns {settled, i, kind, ...}. */
export const SETTLE = `${COMMON}
local now = tonumber(ARGV[2])
sweep(KEYS[1], ARGV[1], now)
local r = redis.call('HMGET', KEYS[2], 'st', 'hm', 'ht', 'plan')
if not r[1] or r[1] == 's' then return { 0 } end
local plan = cjson.decode(r[4])
local cost, tokens = tonumber(ARGV[3]), tonumber(ARGV[4])
local out = { 1 }
for i, p in ipairs(plan) do
  if r[1] == 'a' then
    redis.call('HINCRBY', p.k, 'rm', 0 - tonumber(r[2]))
    redis.call('HINCRBY', p.k, 'rt', 0 - tonumber(r[3]))
  end
  local sm = redis.call('HINCRBY', p.k, 'sm', cost)
  local st = redis.call('HINCRBY', p.k, 'st', tokens)
  if p.x then redis.call('PEXPIRE', p.k, p.x) end
  if p.soft then
    if p.usd and sm >= p.soft * p.usd and redis.call('HSETNX', p.k, 'su', 1) == 1 then
      out[#out + 1] = i - 1; out[#out + 1] = 'usd'
    end
    if p.tok and st >= p.soft * p.tok and redis.call('HSETNX', p.k, 'sk', 1) == 1 then
      out[#out + 1] = i - 1; out[#out + 1] = 'tokens'
    end
  end
end
redis.call('HSET', KEYS[2], 'st', 's')
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[5]))
redis.call('ZREM', KEYS[1], ARGV[6])
return out
`;

/** KEYS: leases. ARGV: resPrefix, now, plan. */
export const STATUS = `${COMMON}
sweep(KEYS[1], ARGV[1], tonumber(ARGV[2]))
return answer(1, '', cjson.decode(ARGV[3]))
`;
