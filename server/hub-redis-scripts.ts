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
 * Publishes one or more messages to one topic.
 * KEYS: meta, stream. ARGV: new epoch (used when the topic has none), MAXLEN, then one
 * (t, envelope suffix) pair per message, where the suffix is everything of the envelope after
 * `{"id":<id>`. Returns `[epoch, firstId]`.
 */
export const publishScript = `
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', epoch, 's', 0)
end
redis.call('PERSIST', KEYS[1])
local first = nil
for i = 3, #ARGV, 2 do
  local id = redis.call('HINCRBY', KEYS[1], 's', 1)
  first = first or id
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], '*', 'e', epoch, 'i', id, 't', ARGV[i], 'j', '{"id":' .. id .. ARGV[i + 1])
end
return {epoch, first}
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
