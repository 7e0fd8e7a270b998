import type { Cluster, Redis } from 'ioredis';

/**
 * The Redis store's Lua scripts, each atomic on Redis (on a Cluster, all of a script's keys
 * are in one slot: see redis-keys.ts), and the commands they become on a client.
 */

/** The consumer group every node's dispatcher reads a channel's stream through. */
export const OUTBOX_GROUP = 'dispatch';

/**
 * One customer's part of a commit: KEYS snap, obx, rem; ARGV hasSnap ('1': write the snapshot),
 * snapshot, expected revision (-1: none), then n and field, value pairs of outbox entries, n
 * and field, value pairs of reminders to set, n and keys of reminders to drop. A customer
 * erased (the `snap` hash is their tombstone: `gone` set, see ERASE_SCRIPT) is refused with
 * `ERASED <rev>` whatever the revision expected, a stale revision with `STALE <rev>`: nothing
 * of theirs is written. The revision of a customer without a snapshot is the hash's `rev`
 * when there is one (erased, or created again after an erasure), else 0.
 */
const COMMIT_SCRIPT = `
local snap, obx, rem = KEYS[1], KEYS[2], KEYS[3]
local hasSnap, expect = ARGV[1], tonumber(ARGV[3])
local cur = redis.call('HMGET', snap, 'rev', 'gone')
local rev = tonumber(cur[1] or '0')
if cur[2] then return redis.error_reply('ERASED ' .. rev) end
if expect >= 0 and rev ~= expect then return redis.error_reply('STALE ' .. rev) end
if hasSnap == '1' then
  rev = rev + 1
  redis.call('HSET', snap, 'v', ARGV[2], 'rev', rev)
end
local i = 4
local nObx = tonumber(ARGV[i]); i = i + 1
for _ = 1, nObx do redis.call('HSET', obx, ARGV[i], ARGV[i + 1]); i = i + 2 end
local nSet = tonumber(ARGV[i]); i = i + 1
for _ = 1, nSet do redis.call('HSET', rem, ARGV[i], ARGV[i + 1]); i = i + 2 end
local nDel = tonumber(ARGV[i]); i = i + 1
for _ = 1, nDel do redis.call('HDEL', rem, ARGV[i]); i = i + 1 end
return rev
`;

/**
 * The erasure's first step, one customer's snapshot replaced by their tombstone: KEYS snap,
 * cust; ARGV now (ms), how long the tombstone lives (ms). The `snap` hash then holds only
 * `rev` (the revision it had, plus one: every copy any node holds is older) and `gone` (when),
 * expiring after the time given; COMMIT_SCRIPT refuses to write over it, and an import or
 * PUT of the id (IMPORT_SCRIPT) clears `gone`. Returns the snapshot it replaced and the master
 * data, each nil when there was none: the customer as no node can change them any more (the
 * identifiers to unlink).
 */
const ERASE_SCRIPT = `
local cur = redis.call('HMGET', KEYS[1], 'rev', 'v')
local rev = tonumber(cur[1] or '0')
local record = redis.call('GET', KEYS[2])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'rev', rev + 1, 'gone', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {cur[2], record}
`;

/**
 * A customer's master data written by an import (or `PUT`): KEYS cust, snap; ARGV record.
 * The bank creating an erased id again: the tombstone's `gone` is cleared, its revision kept
 * (without expiry), so a copy from before the erasure stays refused. Returns 1 when there was
 * no master data before.
 */
const IMPORT_SCRIPT = `
local new = 1 - redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
if redis.call('HDEL', KEYS[2], 'gone') == 1 then redis.call('PERSIST', KEYS[2]) end
return new
`;

/**
 * The store's revision of a customer, to tell a stale copy: KEYS snap, cust. The hash's `rev`
 * (a snapshot's, or a tombstone's); else 0 when there is master data; else -1 (nothing held:
 * any copy is stale, also once a tombstone expired).
 */
const REVISION_SCRIPT = `
local rev = redis.call('HGET', KEYS[1], 'rev')
if rev then return tonumber(rev) end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
return -1
`;

/**
 * Reserves shared totals (budgets, capacity) for one customer's contacts, all or nothing:
 * KEYS totals; ARGV n, then per item key, contacts, cost, maxContacts (-1: none), maxCost (-1: none).
 */
const CHARGE_SCRIPT = `
local n, i, sum, order = tonumber(ARGV[1]), 2, {}, {}
for _ = 1, n do
  local k = ARGV[i]
  local s = sum[k]
  if not s then s = {0, 0, tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4])}; sum[k] = s; order[#order + 1] = k end
  s[1] = s[1] + tonumber(ARGV[i + 1]); s[2] = s[2] + tonumber(ARGV[i + 2])
  i = i + 5
end
for _, k in ipairs(order) do
  local s = sum[k]
  local c = tonumber(redis.call('HGET', KEYS[1], k .. '|c') or '0')
  local m = tonumber(redis.call('HGET', KEYS[1], k .. '|m') or '0')
  if (s[3] >= 0 and c + s[1] > s[3]) or (s[4] >= 0 and m >= s[4]) then return 0 end
end
for _, k in ipairs(order) do
  local s = sum[k]
  redis.call('HINCRBY', KEYS[1], k .. '|c', s[1])
  redis.call('HINCRBYFLOAT', KEYS[1], k .. '|m', s[2])
end
return 1
`;

/** Relays one entry to its channel: KEYS s, r, i, d, q; ARGV instance, record, seq. Idempotent. */
const RELAY_SCRIPT = `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 or redis.call('ZSCORE', KEYS[4], ARGV[1]) then return 0 end
local id = redis.call('XADD', KEYS[1], '*', 'i', ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], id)
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
return 1
`;

/**
 * An erased customer's entry, committed and maybe not yet relayed (another node's commit just
 * before the erasure): KEYS s, r, i, d, q; ARGV instance, now, oldest done to keep. Marked
 * done first, so a relay still to come never queues it (RELAY_SCRIPT), then removed if queued.
 */
const DROP_SCRIPT = `
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
local id = redis.call('HGET', KEYS[3], ARGV[1])
if id then
  redis.call('XDEL', KEYS[1], id)
  pcall(redis.call, 'XACK', KEYS[1], '${OUTBOX_GROUP}', id)
end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[3])
return 1
`;

/** Removes a delivered entry: KEYS s, r, i, d, q; ARGV instance, now, oldest done to keep. */
const REMOVE_SCRIPT = `
local id = redis.call('HGET', KEYS[3], ARGV[1])
if not id then return 0 end
redis.call('XDEL', KEYS[1], id)
pcall(redis.call, 'XACK', KEYS[1], '${OUTBOX_GROUP}', id)
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[3])
return 1
`;

/**
 * A failed attempt: KEYS s, r, i; ARGV instance, record as read, record, dead ('1': a dead
 * letter). Writes the record if it is still there (a concurrent removal wins) and still the
 * one read (another writer's change in between, a merge's rehome say, is not overwritten: the
 * caller reads it again); a dead letter leaves the channel's stream (acknowledged and deleted:
 * no consumer's claim reads it again) and keeps its record and its place in the order index.
 * Returns 1, 0 when there was no such entry, -1 when the record changed since it was read.
 */
const FAIL_SCRIPT = `
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if not cur then return 0 end
if cur ~= ARGV[2] then return -1 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
if ARGV[4] == '1' then
  local id = redis.call('HGET', KEYS[3], ARGV[1])
  if id then
    pcall(redis.call, 'XACK', KEYS[1], '${OUTBOX_GROUP}', id)
    redis.call('XDEL', KEYS[1], id)
  end
end
return 1
`;

/**
 * An entry due again now (a dead letter retried): KEYS s, r, i; ARGV instance, record as read,
 * record. Writes the record if it is still there and still the one read (as FAIL_SCRIPT); an
 * entry no longer in the stream (a dead letter) is added to it again, so a consumer's claim
 * reads it. Returns 1, 0 when there was no such entry, -1 when the record changed since it
 * was read.
 */
const RETRY_SCRIPT = `
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if not cur then return 0 end
if cur ~= ARGV[2] then return -1 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local id = redis.call('HGET', KEYS[3], ARGV[1])
if not id or #redis.call('XRANGE', KEYS[1], id, id) == 0 then
  id = redis.call('XADD', KEYS[1], '*', 'i', ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], id)
end
return 1
`;

/**
 * A dead letter a claim read from the stream (one written before dead letters left it), out of
 * the stream, if its record is still the one read (not retried meanwhile): KEYS s, r, i; ARGV
 * instance, record as read. Returns 1 when it left the stream.
 */
const DROP_DEAD_SCRIPT = `
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
local id = redis.call('HGET', KEYS[3], ARGV[1])
if not id then return 0 end
pcall(redis.call, 'XACK', KEYS[1], '${OUTBOX_GROUP}', id)
redis.call('XDEL', KEYS[1], id)
return 1
`;

/** Claims due reminders: KEYS due; ARGV until, limit, lease until. Moves each claimed one to the lease's end. */
const CLAIM_SCRIPT = `
local keys = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, k in ipairs(keys) do redis.call('ZADD', KEYS[1], ARGV[3], k) end
return keys
`;

/** Deletes an identity link only if it still points to this customer: KEYS link; ARGV customer. */
const UNLINK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]); return 1 end
return 0
`;

/**
 * Replaces a hash field only if it is still the value read (compare and set): KEYS hash; ARGV
 * field, value as read, value. Returns 1, 0 when the field is gone (a concurrent removal
 * wins), -1 when another writer changed it since it was read.
 */
const UPDATE_IF_UNCHANGED_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
if cur ~= ARGV[2] then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`;

/**
 * Appends an audit entry if the trail's head is still the one it was sealed on, with its
 * change: KEYS head, entries, stops, stops version, meta values, meta keys, then the `snap`
 * keys of customers whose erasure refuses the change (`AuditChange.unlessErased`); ARGV head
 * seq expected, seq, hash, entry (JSON), stop key to delete ('' none), stop key to put ('' none),
 * stop value, then n meta and key, value pairs. Returns 1, 0 (the stop to delete is not there,
 * or one of the customers is erased: their tombstone; nothing written) or -1 (another node
 * appended first: seal on the new head and retry).
 */
const AUDIT_SCRIPT = `
for i = 7, #KEYS do
  if redis.call('HEXISTS', KEYS[i], 'gone') == 1 then return 0 end
end
local head = redis.call('GET', KEYS[1])
local seq = 0
if head then seq = tonumber(string.match(head, '^(%d+)')) end
if seq ~= tonumber(ARGV[1]) then return -1 end
if ARGV[5] ~= '' then
  if redis.call('HDEL', KEYS[3], ARGV[5]) == 0 then return 0 end
  redis.call('INCR', KEYS[4])
end
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[6], ARGV[7])
  -- the opt-out marker of the entry's key (KEYS[3] .. ':m', the stops' slot): see STOP_PUT_SCRIPT
  redis.call('HSET', KEYS[3] .. ':m', string.match(ARGV[6], '^[^|]*'), redis.call('INCR', KEYS[4]))
end
local n, i = tonumber(ARGV[8]), 9
for _ = 1, n do
  redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[6], 0, ARGV[i])
  i = i + 2
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
redis.call('SET', KEYS[1], ARGV[2] .. ' ' .. ARGV[3])
return 1
`;

/**
 * Meta entries that name customers, unless one of them is erased (`putMetaUnlessErased`): KEYS
 * meta values, meta keys, then the customers' `snap` keys; ARGV key, value pairs. Returns 1
 * (written) or 0 (a customer's tombstone, `gone`, is there: nothing written). In one step, so
 * an erasure, which writes the tombstone before it looks for the entries naming the customer,
 * finds every entry written before it and none is written after.
 */
const PUT_META_UNLESS_ERASED_SCRIPT = `
for i = 3, #KEYS do
  if redis.call('HEXISTS', KEYS[i], 'gone') == 1 then return 0 end
end
for i = 1, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[2], 0, ARGV[i])
end
return 1
`;

/**
 * Puts a stop entry and, in the same step, its opt-out marker: KEYS stops, version, markers;
 * ARGV storage key, entry, stop key. The marker (stop key -> the version this add made) is
 * what the send claim checks: an entry added after the version a node's copy was read at.
 */
const STOP_PUT_SCRIPT = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local v = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[3], ARGV[3], v)
return v
`;

/**
 * The send claim (send-check.ts), one atomic step before a send starts: KEYS the customer's
 * snap, the stop markers (on a Redis Cluster only the first: the markers are then read after
 * it, `kairosSendClaim` with one key); ARGV revision, stop-list version, then stop keys.
 * Returns 1 (go: nothing changed since the node read the customer at `revision` and the stop
 * list at that version), 0 (the customer changed: a consent revoked, say), -1 (one of the stop
 * keys was added since). Read only: the go is the point the send starts; what changed is
 * checked again by the caller.
 */
const SEND_CLAIM_SCRIPT = `
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
if rev ~= tonumber(ARGV[1]) then return 0 end
if #KEYS < 2 then return 1 end
local v = tonumber(ARGV[2])
for i = 3, #ARGV do
  local m = redis.call('HGET', KEYS[2], ARGV[i])
  if m and tonumber(m) > v then return -1 end
end
return 1
`;

/** A lease taken free or renewed by its owner: KEYS lease; ARGV owner, ttl ms. 1: held, 0: another's. */
const LEASE_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]); return 1 end
if cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/** A lease given back by its owner only: KEYS lease; ARGV owner. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

/** A connection to one Redis or to a Redis Cluster. */
export type RedisConnection = Redis | Cluster;

/** The scripts as commands of a client (`withScripts`). */
export interface RedisScripts {
  kairosCommit(snap: string, obx: string, rem: string, ...args: Array<string | Buffer | number>): Promise<number>;
  kairosRelay(s: string, r: string, i: string, d: string, q: string, instance: string, record: Buffer, seq: number): Promise<number>;
  kairosRemove(s: string, r: string, i: string, d: string, q: string, instance: string, now: number, keepAfter: number): Promise<number>;
  kairosDrop(s: string, r: string, i: string, d: string, q: string, instance: string, now: number, keepAfter: number): Promise<number>;
  kairosEraseBuffer(snap: string, cust: string, now: number, ttlMs: number): Promise<[snapshot: Buffer | null, record: Buffer | null]>;
  kairosImport(cust: string, snap: string, record: Buffer): Promise<number>;
  kairosRevision(snap: string, cust: string): Promise<number>;
  kairosClaim(due: string, until: number, limit: number, leaseUntil: number): Promise<string[]>;
  kairosUnlink(link: string, customer: string): Promise<number>;
  kairosCharge(totals: string, ...args: Array<string | number>): Promise<number>;
  kairosUpdateIfUnchanged(hash: string, field: string, read: Buffer, value: Buffer): Promise<number>;
  kairosFail(s: string, r: string, i: string, instance: string, read: Buffer, record: Buffer, dead: 0 | 1): Promise<number>;
  kairosRetry(s: string, r: string, i: string, instance: string, read: Buffer, record: Buffer): Promise<number>;
  kairosDropDead(s: string, r: string, i: string, instance: string, record: Buffer): Promise<number>;
  kairosAudit(numberOfKeys: number, ...args: Array<string | Buffer | number>): Promise<number>;
  kairosPutMetaUnlessErased(numberOfKeys: number, ...args: Array<string | Buffer>): Promise<number>;
  kairosStopPut(stops: string, version: string, markers: string, field: string, entry: Buffer, key: string): Promise<number>;
  kairosSendClaim(numberOfKeys: number, ...args: Array<string | number>): Promise<number>;
  kairosLease(lease: string, owner: string, ttlMs: number): Promise<number>;
  kairosRelease(lease: string, owner: string): Promise<number>;
}

/** Defines the scripts as commands on `client` (ioredis runs each by its SHA, sending the source only when Redis lacks it). */
export function withScripts(client: RedisConnection): RedisConnection & RedisScripts {
  client.defineCommand('kairosCommit', { numberOfKeys: 3, lua: COMMIT_SCRIPT });
  client.defineCommand('kairosRelay', { numberOfKeys: 5, lua: RELAY_SCRIPT });
  client.defineCommand('kairosRemove', { numberOfKeys: 5, lua: REMOVE_SCRIPT });
  client.defineCommand('kairosDrop', { numberOfKeys: 5, lua: DROP_SCRIPT });
  client.defineCommand('kairosErase', { numberOfKeys: 2, lua: ERASE_SCRIPT });
  client.defineCommand('kairosImport', { numberOfKeys: 2, lua: IMPORT_SCRIPT });
  client.defineCommand('kairosRevision', { numberOfKeys: 2, lua: REVISION_SCRIPT });
  client.defineCommand('kairosClaim', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
  client.defineCommand('kairosCharge', { numberOfKeys: 1, lua: CHARGE_SCRIPT });
  client.defineCommand('kairosUnlink', { numberOfKeys: 1, lua: UNLINK_SCRIPT });
  client.defineCommand('kairosUpdateIfUnchanged', { numberOfKeys: 1, lua: UPDATE_IF_UNCHANGED_SCRIPT });
  client.defineCommand('kairosFail', { numberOfKeys: 3, lua: FAIL_SCRIPT });
  client.defineCommand('kairosRetry', { numberOfKeys: 3, lua: RETRY_SCRIPT });
  client.defineCommand('kairosDropDead', { numberOfKeys: 3, lua: DROP_DEAD_SCRIPT });
  client.defineCommand('kairosStopPut', { numberOfKeys: 3, lua: STOP_PUT_SCRIPT });
  client.defineCommand('kairosLease', { numberOfKeys: 1, lua: LEASE_SCRIPT });
  client.defineCommand('kairosRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
  // The number of keys is given at each call (1 on a Cluster, 2 on one Redis).
  client.defineCommand('kairosSendClaim', { lua: SEND_CLAIM_SCRIPT });
  // (6, and the `snap` keys of the customers named, on one Redis; 6 on a Cluster)
  client.defineCommand('kairosAudit', { lua: AUDIT_SCRIPT });
  // (2, and the `snap` keys of the customers named: one Redis only)
  client.defineCommand('kairosPutMetaUnlessErased', { lua: PUT_META_UNLESS_ERASED_SCRIPT });
  return client as RedisConnection & RedisScripts;
}
