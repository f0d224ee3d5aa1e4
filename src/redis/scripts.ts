/**
 * The server-side halves of the Redis driver: Lua scripts Redis runs atomically (no other command
 * runs while one does), each in one round trip (EVALSHA; ioredis falls back to EVAL when the server's
 * script cache was emptied, e.g. by a restart). They implement the same rules as `decideWrite` /
 * `decideDelete` in src/drivers/plan.ts — the contract suite holds both to them.
 *
 * Scripts that add data make a write to the record their first write: Redis refuses a script's first
 * data-growing write when the server is past maxmemory, and lets the rest of a started script run, so
 * a full server refuses the whole operation and never applies part of it.
 *
 * Every key a script touches carries the store's hash tag, so all of them are in the store's slot
 * (Redis Cluster runs the script on the node owning it). Numbers cross as decimal strings written by
 * JavaScript's String(); Lua numbers are doubles, exact for the integers used here (generations and
 * times below 2^53), and generations are written back with %.0f, never in exponent form.
 */

/**
 * A record is live when it has no expiry or expires after `now`. `retire` raises the store's
 * "retired generation" counter to a generation that may disappear from the server (a deleted record,
 * or one the server will drop at its expiry): a key written with no record gets a generation above
 * it, so a key re-created after its record is gone never gets a generation it had before.
 */
const COMMON = `
local function is_live(expires, now)
  return (not expires) or tonumber(expires) > now
end
local function retire(counter, generation)
  local retired = redis.call('GET', counter)
  if (not retired) or tonumber(retired) < tonumber(generation) then redis.call('SET', counter, generation) end
end
`;

/**
 * write. KEYS: record, index, list info, retired-generation counter.
 * ARGV: 1 member (key bytes), 2 now, 3 require ("any" | "absent" | "gen" | "gen-or-absent"), 4 required
 *   generation, 5 combine ("replace" | "append" | "prepend"), 6 value, 7 maxValueBytes, 8 metadata,
 *   9 has metadata ("1"/"0"), 10 expiresAt ("" for none), 11 lastModified, 12 contentType,
 *   13 has contentType, 14 generationFloor, 15 freshGeneration, 16 server expiry in ms ("0": none).
 * Returns {0} precondition failed, {-1} too large, {1, generation} written, or
 * {1, generation, value} when the value was combined with the live one.
 */
export const WRITE_SCRIPT = `${COMMON}
local record, index, info, counter = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now = tonumber(ARGV[2])
local require, combine = ARGV[3], ARGV[5]
local value = ARGV[6]
local current = redis.call('HMGET', record, 'g', 'e')
local exists = current[1] ~= false
local live = exists and is_live(current[2], now)
if require == 'absent' then
  if live then return {0} end
elseif require ~= 'any' then
  if live then
    if tonumber(current[1]) ~= tonumber(ARGV[4]) then return {0} end
  elseif require ~= 'gen-or-absent' then
    return {0}
  end
end
local joined = live and combine ~= 'replace'
local size = #value
if joined then size = size + redis.call('HSTRLEN', record, 'v') end
if size > tonumber(ARGV[7]) then return {-1} end
if joined then
  local old = redis.call('HGET', record, 'v')
  if combine == 'append' then value = old .. value else value = value .. old end
end
local generation
if exists then
  generation = math.max(tonumber(ARGV[14]), tonumber(current[1]) + 1)
else
  generation = tonumber(ARGV[15])
  local retired = redis.call('GET', counter)
  if retired and tonumber(retired) >= generation then generation = tonumber(retired) + 1 end
end
local issued = string.format('%.0f', generation)
local fields, stale = {'v', value, 'g', issued, 't', ARGV[11]}, {}
local function field(present, name, text)
  if present then fields[#fields + 1] = name; fields[#fields + 1] = text else stale[#stale + 1] = name end
end
field(ARGV[9] == '1', 'm', ARGV[8])
field(ARGV[10] ~= '', 'e', ARGV[10])
field(ARGV[13] == '1', 'c', ARGV[12])
-- HSET is the script's first write: on a server past maxmemory it fails before anything changed.
redis.call('HSET', record, unpack(fields))
if exists and #stale > 0 then redis.call('HDEL', record, unpack(stale)) end
local expiry = tonumber(ARGV[16])
if expiry > 0 then redis.call('PEXPIRE', record, expiry) elseif exists then redis.call('PERSIST', record) end
if ARGV[10] ~= '' then retire(counter, issued) end
redis.call('ZADD', index, 0, ARGV[1])
redis.call('HSET', info, ARGV[1], ARGV[10] .. '|' .. ARGV[11] .. '|' .. #value)
if joined then return {1, issued, value} end
return {1, issued}
`;

/**
 * delete. KEYS: record, index, list info, retired-generation counter. ARGV: member, now, require ("any" | "expired" | "gen" | "gen-or-absent"),
 * required generation. Returns 1 deleted a live record, 2 deleted an expired one, 0 absent,
 * -1 precondition failed. The key's index and list-info entries go too (also when the server already
 * dropped the record at its expiry).
 */
export const DELETE_SCRIPT = `${COMMON}
local record, index, info, counter = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now = tonumber(ARGV[2])
local require = ARGV[3]
local current = redis.call('HMGET', record, 'g', 'e')
local exists = current[1] ~= false
local live = exists and is_live(current[2], now)
if require == 'expired' then
  if live then return -1 end
elseif require ~= 'any' then
  if live then
    if tonumber(current[1]) ~= tonumber(ARGV[4]) then return -1 end
  elseif require ~= 'gen-or-absent' then
    return -1
  end
end
redis.call('ZREM', index, ARGV[1])
redis.call('HDEL', info, ARGV[1])
if not exists then return 0 end
retire(counter, current[1])
redis.call('UNLINK', record)
if live then return 1 end
return 2
`;

/**
 * scan. KEYS: index, list info. ARGV: lex min, lex max, limit, most index entries to examine.
 * Returns {resume, key1, info1, key2, info2, ...} where info is "expiresAt|lastModified|size"
 * (expiresAt empty for none): one HMGET per batch of keys, no record is read. `resume` is "" when the
 * scan reached `limit` items or the end of the range, else the last key examined (the examination
 * budget ran out among index entries without list info, which are removed as found).
 */
export const SCAN_SCRIPT = `
local index, info = KEYS[1], KEYS[2]
local min, max = ARGV[1], ARGV[2]
local limit, budget = tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {''}
local found, examined, last = 0, 0, ''
while found < limit do
  local want = math.min(limit - found, budget - examined)
  if want <= 0 then
    out[1] = last
    return out
  end
  local batch = redis.call('ZRANGEBYLEX', index, min, max, 'LIMIT', 0, want)
  if #batch == 0 then return out end
  local infos = redis.call('HMGET', info, unpack(batch))
  for i, member in ipairs(batch) do
    if infos[i] then
      out[#out + 1] = member
      out[#out + 1] = infos[i]
      found = found + 1
    else
      redis.call('ZREM', index, member)
    end
  end
  examined = examined + #batch
  if #batch < want then return out end
  last = batch[#batch]
  min = '(' .. last
end
return out
`;

/**
 * clear, one batch. KEYS: index, list info, retired-generation counter. ARGV: record key prefix, batch size. Removes up to `batch` records
 * and their index entries; returns how many it removed (0: the store is empty).
 */
export const CLEAR_SCRIPT = `${COMMON}
local index, info, counter, prefix = KEYS[1], KEYS[2], KEYS[3], ARGV[1]
local batch = redis.call('ZRANGEBYLEX', index, '-', '+', 'LIMIT', 0, tonumber(ARGV[2]))
local highest = 0
for _, member in ipairs(batch) do
  local generation = redis.call('HGET', prefix .. member, 'g')
  if generation and tonumber(generation) > highest then highest = tonumber(generation) end
  redis.call('UNLINK', prefix .. member)
end
if highest > 0 then retire(counter, string.format('%.0f', highest)) end
if #batch > 0 then
  redis.call('ZREM', index, unpack(batch))
  redis.call('HDEL', info, unpack(batch))
end
return #batch
`;

/**
 * open. KEYS: meta. ARGV: format, version, store name. Records the layout on first use; returns the
 * stored {format, version, name} so a driver refuses data laid out by another version.
 */
export const OPEN_SCRIPT = `
local meta = KEYS[1]
if redis.call('EXISTS', meta) == 0 then
  redis.call('HSET', meta, 'format', ARGV[1], 'version', ARGV[2], 'name', ARGV[3])
end
return redis.call('HMGET', meta, 'format', 'version', 'name')
`;
