import type { Cluster, Redis } from 'ioredis';
import { Cluster as RedisCluster, Redis as RedisClient } from 'ioredis';
import { Packr } from 'msgpackr';
import type { ContactIdentifierKind } from '../../actors/index.js';
import type { SharedCommitBatch, SharedCoordination } from './coordination.js';
import type { CustomerRecord, OutboxRecord, ReminderRecord, SharedCharge, StopEntry, Store, StoredSnapshot } from './store.js';
import { StaleSnapshotError, failed, retried, stopStorageKey } from './store.js';

/**
 * The Redis store (ioredis), for several Kairos nodes on one Redis or a Redis Cluster.
 *
 * Key layout (`<p>` is the prefix, `kairos` by default). Everything of one customer carries
 * the hash tag `{c:<id>}`, so it lives in one slot and one Lua script changes it atomically:
 *
 *   <p>:{c:<id>}:cust      master data (MessagePack)
 *   <p>:{c:<id>}:snap      hash: `v` the snapshot (MessagePack), `rev` its revision
 *   <p>:{c:<id>}:rem       hash: reminder key -> reminder (MessagePack)
 *   <p>:{c:<id>}:obx       hash: outbox entries committed with the snapshot, not yet relayed
 *
 * Shared keys, each group in a slot of its own:
 *
 *   <p>:id:<kind>:<value>  identifier -> customer id
 *   <p>:imported, <p>:seq  counters
 *   <p>:{stops}, :v        hash: stop entries; a counter bumped by every change (nodes reload on a new value)
 *   <p>:{shared}:totals    hash: totals shared across customers and nodes (budgets, capacity)
 *   <p>:{ctr:<key>}        hash: a counter summed across nodes (path -> number); <p>:counters lists them
 *   <p>:{meta}:v, :k       hash of meta values, and their keys in a sorted set (range by prefix)
 *   <p>:{rem}:due          sorted set: reminder keys by due time (claimed atomically)
 *   <p>:{obx:<ch>}:s       the channel's outbox stream (consumer group `dispatch`)
 *   <p>:{obx:<ch>}:r, :i   hash: instance -> record; hash: instance -> stream entry id
 *   <p>:{obx:<ch>}:q       sorted set: instance by seq, the queue in order (paged listing)
 *   <p>:{obx:<ch>}:d       sorted set: instances delivered or removed (by time), so a relay
 *                          repeated after a crash never queues one again
 *   <p>:{obx}:dirty        set: customers with outbox entries committed and not yet relayed
 *   <p>:channels           set: every channel that had an outbox entry
 *
 * A commit writes the snapshot, its outbox entries and its reminders in one script per
 * customer, a compare-and-set on the snapshot's revision when the caller gives one (a node
 * holding a stale copy is refused, reloads and retries). Outbox entries are then relayed to
 * their channel's stream by an idempotent script; a crash between the two leaves the customer
 * in the dirty set, and the next start (or `relayPending`) finishes the relay. Reminders enter
 * the due index before the commit and leave it after: a due entry whose reminder is gone is
 * dropped when read.
 */

const packr = new Packr({ useRecords: false, moreTypes: false });
const encode = (v: unknown): Buffer => packr.pack(v);
const decode = <T>(b: Buffer): T => packr.unpack(b) as T;

/** How long a relay or a removal remembers an instance, so a late repeat cannot queue it again. */
const DONE_RETENTION_MS = 7 * 86_400_000;
/** The consumer group every node's dispatcher reads a channel's stream through. */
export const OUTBOX_GROUP = 'dispatch';

/** One customer's part of a commit: KEYS snap, obx, rem; ARGV: see COMMIT_SCRIPT. */
const COMMIT_SCRIPT = `
local snap, obx, rem = KEYS[1], KEYS[2], KEYS[3]
local hasSnap, expect = ARGV[1], tonumber(ARGV[3])
local rev = tonumber(redis.call('HGET', snap, 'rev') or '0')
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

type Client = Redis | Cluster;

interface Scripts {
  kairosCommit(snap: string, obx: string, rem: string, ...args: Array<string | Buffer | number>): Promise<number>;
  kairosRelay(s: string, r: string, i: string, d: string, q: string, instance: string, record: Buffer, seq: number): Promise<number>;
  kairosRemove(s: string, r: string, i: string, d: string, q: string, instance: string, now: number, keepAfter: number): Promise<number>;
  kairosClaim(due: string, until: number, limit: number, leaseUntil: number): Promise<string[]>;
  kairosUnlink(link: string, customer: string): Promise<number>;
  kairosCharge(totals: string, ...args: Array<string | number>): Promise<number>;
}

export interface RedisStoreOptions {
  /** redis://host:port[/db] of one Redis */
  url?: string;
  /** seed nodes of a Redis Cluster (host:port) */
  cluster?: readonly string[];
  /** key prefix, to share a Redis between installations or tests */
  prefix?: string;
  /** connection errors (ioredis reconnects by itself; commands meanwhile fail or wait) */
  onError?: (err: Error) => void;
}

export class RedisStore implements Store, SharedCoordination {
  readonly kind = 'redis';
  readonly shared = true;
  /** several nodes share it: the store itself is its coordination (claims, revisions, shared totals) */
  readonly coordination: SharedCoordination = this;
  private readonly redis: Client & Scripts;
  private readonly p: string;
  /** channels already in the `channels` set */
  private readonly knownChannels = new Set<string>();

  constructor(o: RedisStoreOptions) {
    this.p = o.prefix ?? 'kairos';
    const client: Client =
      o.cluster !== undefined && o.cluster.length > 0
        ? new RedisCluster(
            o.cluster.map((hp) => {
              const [host = '127.0.0.1', port = '6379'] = hp.split(':');
              return { host, port: Number(port) };
            }),
            { enableAutoPipelining: true, redisOptions: { maxRetriesPerRequest: 3 } },
          )
        : new RedisClient(o.url ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true, maxRetriesPerRequest: 3, lazyConnect: false });
    client.on('error', (err: Error) => o.onError?.(err));
    client.defineCommand('kairosCommit', { numberOfKeys: 3, lua: COMMIT_SCRIPT });
    client.defineCommand('kairosRelay', { numberOfKeys: 5, lua: RELAY_SCRIPT });
    client.defineCommand('kairosRemove', { numberOfKeys: 5, lua: REMOVE_SCRIPT });
    client.defineCommand('kairosClaim', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
    client.defineCommand('kairosCharge', { numberOfKeys: 1, lua: CHARGE_SCRIPT });
    client.defineCommand('kairosUnlink', { numberOfKeys: 1, lua: UNLINK_SCRIPT });
    this.redis = client as Client & Scripts;
  }

  /** Connects (and finishes any relay a crash interrupted): call once before use. */
  async open(): Promise<this> {
    await this.redis.ping();
    await this.indexOutbox();
    await this.relayPending();
    return this;
  }

  /**
   * Builds a channel's order index (`:q`) from its records where the two disagree: a store
   * written before the index. Idempotent, so several nodes starting at once do no harm.
   */
  private async indexOutbox(): Promise<void> {
    for (const channel of await this.redis.smembers(`${this.p}:channels`)) {
      const [held, indexed] = await Promise.all([this.redis.hlen(this.ch(channel, 'r')), this.redis.zcard(this.ch(channel, 'q'))]);
      if (held === indexed) continue;
      const all = await this.redis.hgetallBuffer(this.ch(channel, 'r'));
      const entries = Object.entries(all).flatMap(([instance, b]) => [decode<OutboxRecord>(b).seq, instance]);
      if (entries.length > 0) await this.redis.zadd(this.ch(channel, 'q'), ...entries);
    }
  }

  // -------------------------------------------------------------------------------------
  // Keys

  private c(id: string, what: 'cust' | 'snap' | 'rem' | 'obx'): string {
    return `${this.p}:{c:${id}}:${what}`;
  }

  private ch(channel: string, what: 's' | 'r' | 'i' | 'd' | 'q'): string {
    return `${this.p}:{obx:${channel}}:${what}`;
  }

  private link(kind: string, value: string): string {
    return `${this.p}:id:${kind}:${value}`;
  }

  private get dirtyKey(): string {
    return `${this.p}:{obx}:dirty`;
  }

  private get totalsKey(): string {
    return `${this.p}:{shared}:totals`;
  }

  private get dueKey(): string {
    return `${this.p}:{rem}:due`;
  }

  // -------------------------------------------------------------------------------------
  // Customers

  async getSnapshot(id: string): Promise<StoredSnapshot | undefined> {
    const [v, rev] = await this.redis.hmgetBuffer(this.c(id, 'snap'), 'v', 'rev');
    if (v === null || v === undefined) return undefined;
    const s = decode<StoredSnapshot>(v);
    return { ...s, rev: Number(rev?.toString() ?? '0') };
  }

  available(): boolean {
    return this.redis.status === 'ready';
  }

  async snapshotRevision(id: string): Promise<number> {
    return Number((await this.redis.hget(this.c(id, 'snap'), 'rev')) ?? '0');
  }

  async getCustomer(id: string): Promise<CustomerRecord | undefined> {
    const b = await this.redis.getBuffer(this.c(id, 'cust'));
    return b === null ? undefined : decode<CustomerRecord>(b);
  }

  async hasCustomer(id: string): Promise<boolean> {
    return (await this.redis.exists(this.c(id, 'snap'), this.c(id, 'cust'))) > 0;
  }

  async lookupIdentity(kind: ContactIdentifierKind, value: string): Promise<string | undefined> {
    return (await this.redis.get(this.link(kind, value))) ?? undefined;
  }

  async importCustomers(records: ReadonlyArray<{ id: string; record: CustomerRecord }>): Promise<void> {
    const results = await Promise.all(
      records.map(async ({ id, record }) => {
        const old = await this.redis.set(this.c(id, 'cust'), encode(record), 'GET');
        await Promise.all(
          (Object.entries(record.identifiers) as Array<[ContactIdentifierKind, string[]]>).flatMap(([kind, values]) => values.map((v) => this.redis.set(this.link(kind, v), id))),
        );
        return old === null ? 1 : 0;
      }),
    );
    const added = results.reduce<number>((a, b) => a + b, 0);
    if (added > 0) await this.redis.incrby(`${this.p}:imported`, added);
  }

  async countImported(): Promise<number> {
    return Number((await this.redis.get(`${this.p}:imported`)) ?? '0');
  }

  // -------------------------------------------------------------------------------------
  // Commit

  async commit(batch: SharedCommitBatch): Promise<OutboxRecord[]> {
    // Before the customers' scripts, all at once (independent, idempotent): sequence numbers
    // (one INCRBY for the batch), identity links, the customers whose entries must be relayed,
    // the reminders' due times, channels not seen before.
    const n = batch.outbox.length;
    const remSet = batch.reminders?.set ?? [];
    const newChannels = [...new Set(batch.outbox.map((e) => e.channel))].filter((c) => !this.knownChannels.has(c));
    const [last] = await Promise.all([
      n === 0 ? Promise.resolve(0) : this.redis.incrby(`${this.p}:seq`, n),
      ...batch.identities.map((l) => this.redis.set(this.link(l.kind, l.value), l.customer)),
      n === 0 ? undefined : this.redis.sadd(this.dirtyKey, ...new Set(batch.outbox.map((e) => e.customer))),
      remSet.length === 0 ? undefined : this.redis.zadd(this.dueKey, ...remSet.flatMap((r) => [r.due, r.key])),
      newChannels.length === 0 ? undefined : this.redis.sadd(`${this.p}:channels`, ...newChannels).then(() => newChannels.forEach((c) => this.knownChannels.add(c))),
    ]);
    const records: OutboxRecord[] = batch.outbox.map((e, i) => ({ ...e, seq: last - n + 1 + i, attempts: 0 }));

    // Group by customer what goes into each customer's script.
    interface Part {
      snapshot?: { value: StoredSnapshot; expect: number };
      /** a revision to check when there is no snapshot */
      expect?: number;
      obx: OutboxRecord[];
      remSet: ReminderRecord[];
      remDel: string[];
    }
    const parts = new Map<string, Part>();
    const part = (id: string): Part => {
      let x = parts.get(id);
      if (x === undefined) {
        x = { obx: [], remSet: [], remDel: [] };
        parts.set(id, x);
      }
      return x;
    };
    for (const s of batch.snapshots) {
      // The revision is the store's own, not part of what is written.
      const value: StoredSnapshot = { v: s.value.v, snapshot: s.value.snapshot };
      part(s.id).snapshot = { value, expect: s.expectRevision ?? -1 };
    }
    for (const e of batch.expect ?? []) {
      const x = part(e.id);
      x.expect = e.revision;
    }
    for (const r of records) part(r.customer).obx.push(r);
    for (const r of batch.reminders?.set ?? []) part(r.customer).remSet.push(r);
    for (const key of batch.reminders?.remove ?? []) part(customerOfReminder(key)).remDel.push(key);

    const stale: Array<{ customer: string; revision: number }> = [];
    const revisions = new Map<string, number>();
    // Shared totals first: a customer whose contacts would pass a budget or a capacity is
    // refused (nothing of it written); what was reserved for one whose script then fails is given back.
    const charges = new Map<string, SharedCharge[]>();
    for (const c of batch.charges ?? []) charges.set(c.customer, [...(charges.get(c.customer) ?? []), c]);
    const refused = new Set<string>();
    await Promise.all(
      [...charges].map(async ([id, list]) => {
        const args = [list.length, ...list.flatMap((c) => [c.key, c.contacts, c.cost, c.maxContacts ?? -1, c.maxCost ?? -1])];
        if ((await this.redis.kairosCharge(this.totalsKey, ...args)) !== 1) refused.add(id);
      }),
    );
    for (const id of refused) {
      parts.delete(id);
      stale.push({ customer: id, revision: -1 });
    }
    await Promise.all(
      [...parts].map(async ([id, x]) => {
        const args: Array<string | Buffer | number> = [x.snapshot === undefined ? '0' : '1', x.snapshot === undefined ? '' : encode(x.snapshot.value), x.snapshot?.expect ?? x.expect ?? -1];
        args.push(x.obx.length);
        for (const r of x.obx) args.push(`${r.channel}\u001f${r.instance}`, encode(r));
        args.push(x.remSet.length);
        for (const r of x.remSet) args.push(r.key, encode(r));
        args.push(x.remDel.length, ...x.remDel);
        try {
          revisions.set(id, await this.redis.kairosCommit(this.c(id, 'snap'), this.c(id, 'obx'), this.c(id, 'rem'), ...args));
        } catch (err) {
          const m = /^STALE (\d+)/.exec((err as Error).message);
          if (m === null) throw err;
          stale.push({ customer: id, revision: Number(m[1]) });
          await this.release(charges.get(id) ?? []);
        }
      }),
    );
    // After, all at once: relay what was committed, drop the removed reminders of the
    // customers committed from the due index, write the totals.
    const committed = records.filter((r) => revisions.has(r.customer));
    const staleIds = new Set(stale.map((x) => x.customer));
    const removed = (batch.reminders?.remove ?? []).filter((k) => !staleIds.has(customerOfReminder(k)));
    await Promise.all([
      this.relay(committed),
      removed.length === 0 ? undefined : this.redis.zrem(this.dueKey, ...removed),
      batch.meta === undefined || batch.meta.length === 0 ? undefined : this.putMetaMany(batch.meta),
      this.addCounters(batch.counters ?? []),
    ]);
    if (stale.length > 0) throw new StaleSnapshotError(stale, committed);
    return committed;
  }

  private counterKey(key: string): string {
    return `${this.p}:{ctr:${key}}`;
  }

  /** Adds to counters kept as sums across nodes: a hash per counter, a field per number. */
  private async addCounters(entries: ReadonlyArray<{ key: string; delta: Readonly<Record<string, number>> }>): Promise<void> {
    if (entries.length === 0) return;
    await Promise.all([
      this.redis.sadd(`${this.p}:counters`, ...entries.map((e) => e.key)),
      ...entries.flatMap((e) => Object.entries(e.delta).map(([path, d]) => this.redis.hincrbyfloat(this.counterKey(e.key), path, d))),
    ]);
  }

  async readCounters(prefix: string): Promise<Array<{ key: string; value: Record<string, number> }>> {
    const keys = (await this.redis.smembers(`${this.p}:counters`)).filter((k) => k.startsWith(prefix)).sort();
    const values = await Promise.all(keys.map((k) => this.redis.hgetall(this.counterKey(k))));
    return keys.map((key, i) => ({ key, value: Object.fromEntries(Object.entries(values[i] ?? {}).map(([path, v]) => [path, Number(v)])) }));
  }

  /** Gives back shared totals reserved for a customer whose commit was refused. */
  private async release(charges: readonly SharedCharge[]): Promise<void> {
    await Promise.all(charges.flatMap((c) => [this.redis.hincrby(this.totalsKey, `${c.key}|c`, -c.contacts), this.redis.hincrbyfloat(this.totalsKey, `${c.key}|m`, -c.cost)]));
  }

  async sharedTotals(keys: readonly string[]): Promise<Map<string, { contacts: number; cost: number }>> {
    const out = new Map<string, { contacts: number; cost: number }>();
    if (keys.length === 0) return out;
    const values = await this.redis.hmget(this.totalsKey, ...keys.flatMap((k) => [`${k}|c`, `${k}|m`]));
    keys.forEach((k, i) => out.set(k, { contacts: Number(values[2 * i] ?? '0'), cost: Number(values[2 * i + 1] ?? '0') }));
    return out;
  }

  /** Relays committed outbox entries to their channels' streams, then clears them from their customers. */
  private async relay(records: readonly OutboxRecord[]): Promise<void> {
    if (records.length === 0) return;
    await Promise.all(
      records.map((r) => this.redis.kairosRelay(this.ch(r.channel, 's'), this.ch(r.channel, 'r'), this.ch(r.channel, 'i'), this.ch(r.channel, 'd'), this.ch(r.channel, 'q'), r.instance, encode(r), r.seq)),
    );
    const byCustomer = new Map<string, string[]>();
    for (const r of records) byCustomer.set(r.customer, [...(byCustomer.get(r.customer) ?? []), `${r.channel}\u001f${r.instance}`]);
    await Promise.all(
      [...byCustomer].map(async ([id, fields]) => {
        await this.redis.hdel(this.c(id, 'obx'), ...fields);
        if ((await this.redis.hlen(this.c(id, 'obx'))) === 0) await this.redis.srem(this.dirtyKey, id);
      }),
    );
  }

  /** Finishes relays a crash interrupted (called by open). */
  async relayPending(): Promise<number> {
    let relayed = 0;
    for (const id of await this.redis.smembers(this.dirtyKey)) {
      const pending = await this.redis.hgetallBuffer(this.c(id, 'obx'));
      const records = Object.values(pending).map((b) => decode<OutboxRecord>(b));
      if (records.length === 0) await this.redis.srem(this.dirtyKey, id);
      await this.relay(records);
      relayed += records.length;
    }
    return relayed;
  }

  // -------------------------------------------------------------------------------------
  // Erasure

  async eraseCustomer(id: string, identities: ReadonlyArray<{ kind: ContactIdentifierKind; value: string }>): Promise<boolean> {
    const held = (await this.redis.exists(this.c(id, 'snap'), this.c(id, 'cust'))) > 0;
    let unlinked = 0;
    for (const { kind, value } of identities) unlinked += await this.redis.kairosUnlink(this.link(kind, value), id);
    const reminders = await this.redis.hkeys(this.c(id, 'rem'));
    if (reminders.length > 0) await this.redis.zrem(this.dueKey, ...reminders);
    await this.redis.del(this.c(id, 'snap'), this.c(id, 'cust'), this.c(id, 'rem'), this.c(id, 'obx'));
    await this.redis.srem(this.dirtyKey, id);
    for (const channel of await this.redis.smembers(`${this.p}:channels`)) {
      const all = await this.redis.hgetallBuffer(this.ch(channel, 'r'));
      for (const [instance, b] of Object.entries(all)) {
        if (decode<OutboxRecord>(b).customer === id) await this.removeOutbox(channel, instance);
      }
    }
    return held || unlinked > 0;
  }

  // -------------------------------------------------------------------------------------
  // Reminders

  async dueReminders(until: number, limit: number): Promise<ReminderRecord[]> {
    const keys = await this.redis.zrangebyscore(this.dueKey, '-inf', until, 'LIMIT', 0, limit);
    return this.remindersFor(keys, until);
  }

  /**
   * Claims due reminders for this node: each is moved `leaseMs` into the future, so no other
   * node claims it meanwhile; if this node dies before the reminder's commit drops it, it
   * comes due again when the lease ends.
   */
  async claimReminders(until: number, limit: number, leaseMs: number): Promise<ReminderRecord[]> {
    const keys = await this.redis.kairosClaim(this.dueKey, until, limit, until + leaseMs);
    return this.remindersFor(keys, Infinity);
  }

  private async remindersFor(keys: readonly string[], until: number): Promise<ReminderRecord[]> {
    const out: ReminderRecord[] = [];
    const gone: string[] = [];
    const found = await Promise.all(keys.map((k) => this.redis.hgetBuffer(this.c(customerOfReminder(k), 'rem'), k)));
    for (const [i, b] of found.entries()) {
      if (b === null) gone.push(keys[i]!);
      else {
        const r = decode<ReminderRecord>(b);
        if (r.due <= until) out.push(r);
      }
    }
    // A due entry whose reminder is gone (its commit failed, or it was dropped meanwhile).
    if (gone.length > 0) await this.redis.zrem(this.dueKey, ...gone);
    return out.sort((a, b) => a.due - b.due || (a.key < b.key ? -1 : 1));
  }

  // -------------------------------------------------------------------------------------
  // Outbox

  async listOutbox(channel: string, limit: number, afterSeq?: number): Promise<OutboxRecord[]> {
    // The order index holds the queued entries by seq (delivered ones leave it).
    const instances = await this.redis.zrangebyscore(this.ch(channel, 'q'), afterSeq === undefined ? '-inf' : `(${afterSeq}`, '+inf', 'LIMIT', 0, limit);
    if (instances.length === 0) return [];
    const found = await this.redis.hmgetBuffer(this.ch(channel, 'r'), ...instances);
    return found.flatMap((b) => (b === null ? [] : [decode<OutboxRecord>(b)]));
  }

  async getOutbox(channel: string, instance: string): Promise<OutboxRecord | undefined> {
    const b = await this.redis.hgetBuffer(this.ch(channel, 'r'), instance);
    return b === null ? undefined : decode<OutboxRecord>(b);
  }

  async removeOutbox(channel: string, instance: string): Promise<boolean> {
    const now = Date.now();
    return (
      (await this.redis.kairosRemove(this.ch(channel, 's'), this.ch(channel, 'r'), this.ch(channel, 'i'), this.ch(channel, 'd'), this.ch(channel, 'q'), instance, now, now - DONE_RETENTION_MS)) === 1
    );
  }

  private async updateOutbox(channel: string, instance: string, change: (r: OutboxRecord) => OutboxRecord): Promise<boolean> {
    const key = this.ch(channel, 'r');
    const b = await this.redis.hgetBuffer(key, instance);
    if (b === null) return false;
    // HSET only if still there (a concurrent removal wins).
    const r = change(decode<OutboxRecord>(b));
    const set = await this.redis.eval("if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]); return 1 end return 0", 1, key, instance, encode(r));
    return set === 1;
  }

  failOutbox(channel: string, instance: string, reason: string, next: { retryAt?: number; dead?: boolean } = {}): Promise<boolean> {
    return this.updateOutbox(channel, instance, (r) => failed(r, reason, next));
  }

  retryOutbox(channel: string, instance: string): Promise<boolean> {
    return this.updateOutbox(channel, instance, retried);
  }

  /**
   * Entries of a channel for this consumer (a node's dispatcher) through the stream's
   * consumer group: first its own pending ones (a retry's), then what other consumers left
   * pending longer than `minIdleMs` (a dead node's), then new ones. Each stays pending for
   * this consumer until removed, so no other node sends it meanwhile.
   */
  async claimOutbox(channel: string, consumer: string, limit: number, minIdleMs: number): Promise<OutboxRecord[]> {
    const stream = this.ch(channel, 's');
    await this.ensureGroup(stream);
    type Entry = [string, string[]];
    // Its own pending entries first (waiting for a retry), then a dead consumer's, then new ones.
    const own = (await this.redis.xreadgroup('GROUP', OUTBOX_GROUP, consumer, 'COUNT', limit, 'STREAMS', stream, '0')) as Array<[string, Entry[]]> | null;
    const entries: Entry[] = (own ?? []).flatMap(([, list]) => list).filter((e) => e[1] !== null && e[1].length > 0);
    if (entries.length < limit) {
      const claimed = (await this.redis.xautoclaim(stream, OUTBOX_GROUP, consumer, minIdleMs, '0-0', 'COUNT', limit - entries.length)) as [string, Array<Entry | null>, string[]?];
      entries.push(...claimed[1].filter((e): e is Entry => e !== null && e[1] !== null));
    }
    if (entries.length < limit) {
      const read = (await this.redis.xreadgroup('GROUP', OUTBOX_GROUP, consumer, 'COUNT', limit - entries.length, 'STREAMS', stream, '>')) as Array<[string, Array<[string, string[]]>]> | null;
      for (const [, list] of read ?? []) entries.push(...list);
    }
    const instances = entries.map(([, fields]) => fields[fields.indexOf('i') + 1] ?? '');
    if (instances.length === 0) return [];
    const found = await this.redis.hmgetBuffer(this.ch(channel, 'r'), ...instances);
    return found.flatMap((b) => (b === null ? [] : [decode<OutboxRecord>(b)]));
  }

  private async ensureGroup(stream: string): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', stream, OUTBOX_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err as Error).message.includes('BUSYGROUP')) throw err;
    }
  }

  // -------------------------------------------------------------------------------------
  // Stop list and meta

  async listStops(): Promise<StopEntry[]> {
    const all = await this.redis.hgetallBuffer(`${this.p}:{stops}`);
    return Object.values(all).map((b) => decode<StopEntry>(b));
  }

  async putStop(entry: StopEntry): Promise<void> {
    await this.redis
      .multi()
      .hset(`${this.p}:{stops}`, stopStorageKey(entry.key, entry.channel, entry.campaign), encode(entry))
      .incr(`${this.p}:{stops}:v`)
      .exec();
  }

  async deleteStop(key: string, channel: string | undefined, campaign: string | undefined): Promise<boolean> {
    const result = await this.redis.multi().hdel(`${this.p}:{stops}`, stopStorageKey(key, channel, campaign)).incr(`${this.p}:{stops}:v`).exec();
    return Number(result?.[0]?.[1] ?? 0) > 0;
  }

  async stopListVersion(): Promise<number> {
    return Number((await this.redis.get(`${this.p}:{stops}:v`)) ?? '0');
  }

  async getMeta(key: string): Promise<unknown> {
    const b = await this.redis.hgetBuffer(`${this.p}:{meta}:v`, key);
    return b === null ? undefined : decode(b);
  }

  async putMeta(key: string, value: unknown): Promise<void> {
    await this.putMetaMany([{ key, value }]);
  }

  private async putMetaMany(entries: ReadonlyArray<{ key: string; value: unknown }>): Promise<void> {
    await this.redis
      .multi()
      .hset(`${this.p}:{meta}:v`, ...entries.flatMap((e) => [e.key, encode(e.value)]))
      .zadd(`${this.p}:{meta}:k`, ...entries.flatMap((e) => [0, e.key]))
      .exec();
  }

  async listMeta(prefix: string, limit: number): Promise<Array<{ key: string; value: unknown }>> {
    // Newest last: the last `limit` keys of the prefix's range, in key order.
    const keys = (await this.redis.zrevrangebylex(`${this.p}:{meta}:k`, `[${prefix}\uffff`, `[${prefix}`, 'LIMIT', 0, limit)).filter((k) => k.startsWith(prefix)).reverse();
    if (keys.length === 0) return [];
    const values = await this.redis.hmgetBuffer(`${this.p}:{meta}:v`, ...keys);
    return keys.flatMap((key, i) => {
      const b = values[i];
      return b === null || b === undefined ? [] : [{ key, value: decode(b) }];
    });
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

/** The customer a reminder key (`<customer>|<name>`) belongs to. */
function customerOfReminder(key: string): string {
  const i = key.indexOf('|');
  return i < 0 ? key : key.slice(0, i);
}
