/**
 * The Lua scripts of the Redis hub. Each runs atomically inside Redis, so ids stay gap-free
 * per topic however many processes publish at once, and a reader never sees a stream's
 * head and its entries from two different moments.
 *
 * Keys per topic (see `keysOf` in hub-redis.ts): a hash `<prefix>m:<topic>` holding the
 * stream's epoch (`e`) and its newest id (`s`), and a stream `<prefix>s:<topic>` whose
 * entries carry `e` (epoch), `i` (id), `t` (publish time, epoch ms) and `j` (the envelope
 * JSON, encoded once, here).
 *
 * Entry ids are Redis's own (`*`, time-based), not `<id>-0`: a process's blocking reader
 * remembers the last entry id it read per topic, and a stream that was lost and made again
 * (a new epoch, ids from 1) must still sort after it, or the reader would silently skip
 * the new stream's first messages. Resuming needs no entry ids: ids are gap-free and the
 * stream holds a contiguous suffix of them, so "after id c" is the newest `head - c` entries.
 */

/**
 * Publishes messages, to one topic or several, in order, as one atomic step (a batch).
 * KEYS: meta and stream of each topic of the batch (2 per topic). ARGV: MAXLEN, then one new
 * epoch per topic (used when that topic has none), then one (topic number from 1, t, envelope
 * suffix) triple per message, where the suffix is everything of the envelope after
 * `{"id":<id>`. Returns `[epoch, id]` per message.
 */
export const publishScript = `
local topics = #KEYS / 2
local epochs = {}
for k = 1, topics do
  local meta, stream = KEYS[2 * k - 1], KEYS[2 * k]
  local epoch = redis.call('HGET', meta, 'e')
  if not epoch then
    epoch = ARGV[1 + k]
    redis.call('DEL', stream)
    redis.call('HSET', meta, 'e', epoch, 's', 0)
  end
  redis.call('PERSIST', meta)
  epochs[k] = epoch
end
local out = {}
for i = 2 + topics, #ARGV, 3 do
  local k = tonumber(ARGV[i])
  local meta, stream, epoch = KEYS[2 * k - 1], KEYS[2 * k], epochs[k]
  local id = redis.call('HINCRBY', meta, 's', 1)
  redis.call('XADD', stream, 'MAXLEN', ARGV[1], '*', 'e', epoch, 'i', id, 't', ARGV[i + 1], 'j', '{"id":' .. id .. ARGV[i + 2])
  out[#out + 1] = {epoch, id}
end
return out
`;

/**
 * Reads a topic's epoch, head and the entries after a cursor, in one step.
 * KEYS: meta, stream. ARGV: new epoch (a topic never seen gets it, kept `emptyTtl` seconds
 * until something is published), emptyTtl, MAXLEN, cursor epoch ('' for a bare id),
 * cursor id ('' for "from now on").
 * Returns `[epoch, head, entries newest first, gap (0|1)]`.
 */
export const sinceScript = `
local meta = redis.call('HMGET', KEYS[1], 'e', 's')
local epoch, head = meta[1], tonumber(meta[2])
if not epoch then
  epoch = ARGV[1]
  head = 0
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', epoch, 's', 0)
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
if ARGV[5] == '' then return {epoch, head, {}, 0} end
local cursor = tonumber(ARGV[5])
local maxlen = tonumber(ARGV[3])
if (ARGV[4] ~= '' and ARGV[4] ~= epoch) or cursor > head then
  return {epoch, head, redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', maxlen), 1}
end
if cursor == head then return {epoch, head, {}, 0} end
local wanted = head - cursor
local entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', math.min(wanted, maxlen))
local gap = 0
if #entries < wanted then gap = 1 end
return {epoch, head, entries, gap}
`;
