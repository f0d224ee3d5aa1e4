/**
 * The server-side halves of the Redis driver: Lua scripts Redis runs atomically (no other command
 * runs while one does), each in one round trip (EVALSHA; ioredis falls back to EVAL when the server's
 * script cache was emptied, e.g. by a restart). They implement the same rules as `decideWrite` /
 * `decideDelete` in src/drivers/plan.ts — the contract suite holds both to them.
 *
 * A write decides from the key's entry in the store's key-info hash (generation, expiry, size) and
 * the store's retired generation, both read by one HMGET; it reads the record itself only to append
 * or prepend. Each call a script makes costs the server about as much as the same command sent on
 * its own (~3 µs of CPU here, most of it outside the command), far more than the script's own Lua,
 * so the scripts make as few calls as the layout allows: a put is 3 on an existing key, 4 on a new one.
 *
 * Scripts that add data make the record's SET their first write: Redis refuses a script's first
 * data-growing write when the server is past maxmemory, and lets the rest of a started script run, so
 * a full server refuses the whole operation and never applies part of it. Deletes start with UNLINK,
 * which a full server allows.
 *
 * Every key a script touches carries the store's hash tag, so all of them are in the store's slot
 * (Redis Cluster runs the script on the node owning it). Numbers cross as decimal strings written by
 * JavaScript's String(); Lua numbers are doubles, exact for the integers used here (generations and
 * times below 2^53), and generations are written back with %.0f, never in exponent form.
 */

/**
 * `info_of` splits a key-info entry "generation|expiresAt|lastModified|size" (expiresAt empty for
 * none). `is_live`: no expiry, or expiring after `now`. `retire` raises the retired generation (the
 * key-info hash's field "", never a key: keys are not empty) to the generation of a key whose entry
 * goes away: a key written again later gets a generation above it, so it never gets one it had before.
 */
const COMMON = `
local function info_of(entry)
  if not entry then return nil end
  local g, e, size = string.match(entry, '^([^|]*)|([^|]*)|[^|]*|([^|]*)$')
  if not g then error('edge-kv: a key-info entry is not in the edge-kv format') end
  if e == '' then e = nil end
  return { generation = tonumber(g), expires = e, size = tonumber(size) }
end
local function is_live(expires, now)
  return (not expires) or tonumber(expires) > now
end
local function retire(info, retired, generation)
  if (not retired) or tonumber(retired) < generation then
    redis.call('HSET', info, '', string.format('%.0f', generation))
  end
end
`;

/**
 * write. KEYS: record, index, key info.
 * ARGV: 1 member (key bytes), 2 now, 3 mode: the requirement ("a" any, "n" no live record, "g"
 *   generation match, "o" generation match or absent) then how to combine ("r" replace, "a" append,
 *   "p" prepend), 4 required generation, 5 value, 6 maxValueBytes, 7 "expiresAt|lastModified|"
 *   (expiresAt empty for none), 8 the record's bytes between its times and its value
 *   ("metadataLength|contentTypeLength|" + metadata + content type; a length empty for none),
 *   9 generationFloor, 10 freshGeneration, 11 server expiry in ms ("0": none).
 * Returns {0} precondition failed, {-1} too large, {1, generation} written, or
 * {1, generation, value} when the value was combined with the live one.
 *
 * The plain put (mode "ar") makes 3 Redis calls on an existing key (HMGET, SET, HSET) and 4 on a new
 * one (+ ZADD); the record's expiry goes with its SET (PX), and a SET replaces the whole record (and
 * drops an old TTL), so no field is ever left over from the previous record.
 */
export const WRITE_SCRIPT = `
local record, info = KEYS[1], KEYS[3]
local member, now, mode = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local found = redis.call('HMGET', info, '', member)
local entry = found[2]
local generation, size, live
if entry then
  local g, e, s = string.match(entry, '^([^|]*)|([^|]*)|[^|]*|([^|]*)$')
  if not g then return redis.error_reply('edge-kv: a key-info entry is not in the edge-kv format') end
  generation, size = tonumber(g), tonumber(s)
  live = e == '' or tonumber(e) > now
end
local require = string.sub(mode, 1, 1)
if require == 'n' then
  if live then return {0} end
elseif require ~= 'a' then
  if live then
    if generation ~= tonumber(ARGV[4]) then return {0} end
  elseif require ~= 'o' then
    return {0}
  end
end
local combine, value, max = string.sub(mode, 2, 2), ARGV[5], tonumber(ARGV[6])
local joined = live and combine ~= 'r'
if joined then
  if #value + size > max then return {-1} end
  local old = redis.call('GET', record)
  if old then
    local m, c, start = string.match(old, '^[^|]*|[^|]*|[^|]*|([^|]*)|([^|]*)|()')
    local kept = string.sub(old, start + (tonumber(m) or 0) + (tonumber(c) or 0))
    if combine == 'a' then value = kept .. value else value = value .. kept end
  else
    joined = false -- the server dropped the record already: it counts as expired
  end
end
if #value > max then return {-1} end
local issued
if entry then
  if generation >= tonumber(ARGV[9]) then issued = string.format('%.0f', generation + 1) else issued = ARGV[9] end
else
  local retired = found[1]
  if retired and tonumber(retired) >= tonumber(ARGV[10]) then issued = string.format('%.0f', tonumber(retired) + 1) else issued = ARGV[10] end
end
-- SET is the script's first write: on a server past maxmemory it fails before anything changed.
if ARGV[11] == '0' then
  redis.call('SET', record, issued .. '|' .. ARGV[7] .. ARGV[8] .. value)
else
  redis.call('SET', record, issued .. '|' .. ARGV[7] .. ARGV[8] .. value, 'PX', ARGV[11])
end
redis.call('HSET', info, member, issued .. '|' .. ARGV[7] .. #value)
if not entry then redis.call('ZADD', KEYS[2], 0, member) end
if joined then return {1, tonumber(issued), value} end
return {1, tonumber(issued)}
`;

/**
 * delete. KEYS: record, index, key info. ARGV: member, now, require ("any" | "expired" | "gen" |
 * "gen-or-absent"), required generation. Returns 1 deleted a live record, 2 deleted an expired one (also
 * one the server already dropped at its expiry), 0 absent, -1 precondition failed.
 */
export const DELETE_SCRIPT = `${COMMON}
local record, index, info = KEYS[1], KEYS[2], KEYS[3]
local member, now, require = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local found = redis.call('HMGET', info, '', member)
local retired, current = found[1], info_of(found[2])
local live = current ~= nil and is_live(current.expires, now)
if require == 'expired' then
  if live then return -1 end
elseif require ~= 'any' then
  if live then
    if current.generation ~= tonumber(ARGV[4]) then return -1 end
  elseif require ~= 'gen-or-absent' then
    return -1
  end
end
if not current then return 0 end
redis.call('UNLINK', record)
redis.call('ZREM', index, member)
redis.call('HDEL', info, member)
retire(info, retired, current.generation)
if live then return 1 end
return 2
`;

/**
 * scan. KEYS: index, key info. ARGV: lex min, lex max, limit, most index entries to examine.
 * Returns {resume, key1, info1, key2, info2, ...} (info as in the key-info hash): one HMGET per batch
 * of keys, no record is read. `resume` is "" when the scan reached `limit` items or the end of the
 * range, else the last key examined (the examination budget ran out among index entries without key
 * info, which are removed as found).
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
 * clear, one batch. KEYS: index, key info. ARGV: record key prefix, batch size. Removes up to `batch`
 * records with their index and key-info entries (keeping the highest generation as retired); returns
 * how many it removed (0: the store is empty).
 */
export const CLEAR_SCRIPT = `${COMMON}
local index, info, prefix = KEYS[1], KEYS[2], ARGV[1]
local batch = redis.call('ZRANGEBYLEX', index, '-', '+', 'LIMIT', 0, tonumber(ARGV[2]))
if #batch == 0 then return 0 end
local infos = redis.call('HMGET', info, '', unpack(batch))
local highest = 0
for i, member in ipairs(batch) do
  redis.call('UNLINK', prefix .. member)
  local current = info_of(infos[i + 1])
  if current and current.generation > highest then highest = current.generation end
end
redis.call('ZREM', index, unpack(batch))
redis.call('HDEL', info, unpack(batch))
if highest > 0 then retire(info, infos[1], highest) end
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
