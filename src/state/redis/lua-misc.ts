/** Lua scripts for rate limits, key lookups and the usage ledger (each touches keys of one hash slot). */

/**
 * Sliding-window log. KEYS: log zset (score = time, member = "<seq>:<tokens>"), state hash (tok = token sum
 * of the log, seq). ARGV: now, windowMs, rpm (-1 = none), tpm (-1 = none), tokens.
 * Returns {allowed, count, tokenSum, resetMs, retryAfterMs}.
 */
export const RATE_LIMIT = `
local now, win = tonumber(ARGV[1]), tonumber(ARGV[2])
local rpm, tpm, tokens = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local cutoff = now - win
local sum = tonumber(redis.call('HGET', KEYS[2], 'tok') or '0')
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', cutoff)
if #gone > 0 then
  for _, m in ipairs(gone) do sum = sum - tonumber(string.match(m, ':(%d+)$')) end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', cutoff)
end
local count = redis.call('ZCARD', KEYS[1])
local okReq = rpm < 0 or count + 1 <= rpm
local okTok = tpm < 0 or sum + tokens <= tpm
local retry = 0
local entry = ''
if okReq and okTok then
  local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
  entry = seq .. ':' .. tokens
  redis.call('ZADD', KEYS[1], now, entry)
  count = count + 1
  sum = sum + tokens
else
  if not okReq then
    local e = redis.call('ZRANGE', KEYS[1], count - rpm, count - rpm, 'WITHSCORES')
    retry = tonumber(e[2]) + win - now
  end
  if not okTok then
    local t = win
    if tokens <= tpm then
      local freed = 0
      local all = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
      for i = 1, #all, 2 do
        freed = freed + tonumber(string.match(all[i], ':(%d+)$'))
        if sum - freed + tokens <= tpm then t = tonumber(all[i + 1]) + win - now; break end
      end
    end
    if t > retry then retry = t end
  end
end
redis.call('HSET', KEYS[2], 'tok', sum)
redis.call('PEXPIRE', KEYS[1], win)
redis.call('PEXPIRE', KEYS[2], win)
local reset = 0
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if newest[2] then reset = tonumber(newest[2]) + win - now end
return { (okReq and okTok) and 1 or 0, count, sum, reset, retry, entry }
`;

/** KEYS: window log, window state. ARGV: entry (\`seq:tokens\`). Removes it and its tokens, if still there. */
export const RATE_LIMIT_RELEASE = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'tok', -tonumber(string.match(ARGV[1], ':(%d+)$')))
end
return 1
`;

/** KEYS: key-id pointer, key-by-hash, all-keys set, team-keys set. ARGV: id, hash, json. 0 when id or hash exists. */
export const CREATE_KEY = `
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], 'json', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
return 1
`;

/** KEYS: key-id pointer. ARGV: by-hash prefix. Returns {hash, json, lastUsedAt} or nil. */
export const READ_KEY = `
local h = redis.call('GET', KEYS[1])
if not h then return nil end
local v = redis.call('HMGET', ARGV[1] .. h, 'json', 'lu')
return { h, v[1], v[2] }
`;

/**
 * Authentication in one round trip: the key by its hash and its team. KEYS: key-by-hash. ARGV: the team key
 * prefix (same {admin} slot). Returns { json, lu, alias, teamJson }; the team id is URI-encoded as redis-keys.ts
 * encodes it (encodeURIComponent: every byte but A-Z a-z 0-9 - _ . ! ~ * ' ( ) as %XX).
 */
export const READ_PRINCIPAL = `
local v = redis.call('HMGET', KEYS[1], 'json', 'lu', 'alias')
if not v[1] then return { false, false, v[3], false } end
local ok, doc = pcall(cjson.decode, v[1])
local team = false
if ok and type(doc) == 'table' and type(doc.teamId) == 'string' then
  local id = (string.gsub(doc.teamId, "[^%w%-_%.!~%*'%(%)]", function(c) return string.format('%%%02X', string.byte(c)) end))
  team = redis.call('GET', ARGV[1] .. id)
end
return { v[1], v[2], v[3], team }
`;

/** Compare-and-set of a key document. KEYS: key-by-hash. ARGV: expected json, new json. */
export const CAS_KEY = `
if redis.call('HGET', KEYS[1], 'json') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[2])
return 1
`;

/**
 * Rotation in place (same id). KEYS: key-id pointer, new key-by-hash. ARGV: expected current hash, expected json,
 * new json, by-hash prefix, id, alias expiry (ms), new hash, older replaced hash ('' = none). The replaced secret's
 * hash becomes an alias of the id (field `alias`), kept a day past its grace so a late use reads as revoked.
 * -1 when the key changed meanwhile (retry), 0 when the new hash exists, 1 done.
 */
export const ROTATE_KEY = `
local cur = redis.call('GET', KEYS[1])
if cur ~= ARGV[1] then return -1 end
local old = ARGV[4] .. cur
if redis.call('HGET', old, 'json') ~= ARGV[2] then return -1 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local lu = redis.call('HGET', old, 'lu')
redis.call('HSET', KEYS[2], 'json', ARGV[3])
if lu then redis.call('HSET', KEYS[2], 'lu', lu) end
redis.call('SET', KEYS[1], ARGV[7])
redis.call('DEL', old)
if ARGV[8] ~= '' then
  local prev = ARGV[4] .. ARGV[8]
  if redis.call('HEXISTS', prev, 'alias') == 1 then redis.call('DEL', prev) end
end
redis.call('HSET', old, 'alias', ARGV[5])
redis.call('PEXPIREAT', old, ARGV[6])
return 1
`;

/** KEYS: key-id pointer. ARGV: by-hash prefix, at. Keeps the latest time. */
export const TOUCH_KEY = `
local h = redis.call('GET', KEYS[1])
if not h then return 0 end
local k = ARGV[1] .. h
local cur = tonumber(redis.call('HGET', k, 'lu') or '0')
if tonumber(ARGV[2]) > cur then redis.call('HSET', k, 'lu', ARGV[2]) end
return 1
`;

/**
 * KEYS: hour row hash, hour index set, hour write-id set. ARGV: index member, write id ('' = none), how long the
 * write-id set lives after its last write (ms), then field/increment pairs.
 * Returns 0 when the write id was recorded before (nothing added), else 1.
 */
export const RECORD_USAGE = `
if ARGV[2] ~= '' then
  if redis.call('SADD', KEYS[3], ARGV[2]) == 0 then return 0 end
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
end
redis.call('SADD', KEYS[2], ARGV[1])
for i = 4, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
`;

/**
 * KEYS: epoch. ARGV: a new id. Returns {id, created}: the stored id, or ARGV[1] stored now when there was none
 * (a first start, or Redis lost its data).
 */
export const DATA_EPOCH = `
local v = redis.call('GET', KEYS[1])
if v then return { v, 0 } end
redis.call('SET', KEYS[1], ARGV[1])
return { ARGV[1], 1 }
`;
