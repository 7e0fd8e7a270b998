import { Cluster as RedisCluster, Redis as RedisClient } from 'ioredis';
import type { ContactIdentifierKind } from '../../actors/index.js';
import { contactIdentifierKinds } from '../../actors/index.js';
import type { SharedCommitBatch, SharedCoordination } from './coordination.js';
import { decode, encode } from './redis-codec.js';
import { RedisKeys, customerOfReminder } from './redis-keys.js';
import { RedisOutbox } from './redis-outbox.js';
import type { RedisConnection, RedisScripts } from './redis-scripts.js';
import { withScripts } from './redis-scripts.js';
import type { AuditDraft, AuditRecord } from '../audit/audit-chain.js';
import { sealAudit } from '../audit/audit-chain.js';
import { KairosError } from '../errors.js';
import type { AuditChange, CustomerPage, CustomerRecord, ErasureMeta, IdentityLink, ImportEntry, OutboxRecord, ReminderRecord, SegmentMoves, SharedCharge, StopEntry, Store, StoredSnapshot } from './store.js';
import { StaleSnapshotError, erasureMetaKeys, rehomedReminder, stopStorageKey, tellAudited } from './store.js';

/**
 * The Redis store (ioredis), for several Kairos nodes on one Redis or a Redis Cluster. Its
 * key layout is in redis-keys.ts, its Lua scripts in redis-scripts.ts, its outbox streams in
 * redis-outbox.ts.
 *
 * A commit writes the snapshot, its outbox entries and its reminders in one script per
 * customer, a compare-and-set on the snapshot's revision when the caller gives one (a node
 * holding a stale copy is refused, reloads and retries). Outbox entries are then relayed to
 * their channel's stream by an idempotent script; a crash between the two leaves the customer
 * in the dirty set, and the next start (or `relayPending`) finishes the relay. Reminders enter
 * the due index before the commit and leave it after: a due entry whose reminder is gone is
 * dropped when read.
 *
 * An erasure leaves a tombstone in the customer's `snap` hash (ERASE_SCRIPT): the revision,
 * past every copy a node may hold, and when. The commit script refuses to write over it (a
 * node that decided on a copy from before the erasure, `ERASED`: refused like a stale
 * revision), until the bank creates the id again (an import or `PUT`: IMPORT_SCRIPT clears
 * it, the revision kept) or it expires (`erasureTombstoneMs`; docs/privacy.md#redis). A meta
 * entry naming the customer (an identity conflict, `putMetaUnlessErased`) is refused over it
 * too, and the erasure looks for those naming them only once it is written.
 */

/**
 * The identifiers a stored list names (`kind` -> values: master data's `identifiers`, or the
 * actor state's `context.identifiers`, src/runtime/live-customer.ts), read without trusting its
 * shape: what is not a known kind and a string is left out.
 */
function identifiersIn(list: unknown): Array<{ kind: ContactIdentifierKind; value: string }> {
  if (list === null || typeof list !== 'object') return [];
  return Object.entries(list).flatMap(([kind, values]) =>
    contactIdentifierKinds.includes(kind as ContactIdentifierKind) && Array.isArray(values)
      ? values.filter((v): v is string => typeof v === 'string').map((value) => ({ kind: kind as ContactIdentifierKind, value }))
      : [],
  );
}

/** How long an erasure's tombstone stays (docs/privacy.md#redis): past any node's state of the customer from before it. */
export const ERASURE_TOMBSTONE_MS = 7 * 24 * 3_600_000;

export interface RedisStoreOptions {
  /** redis://host:port[/db] of one Redis */
  url?: string;
  /** seed nodes of a Redis Cluster (host:port) */
  cluster?: readonly string[];
  /** key prefix, to share a Redis between installations or tests */
  prefix?: string;
  /** connection errors (ioredis reconnects by itself; commands meanwhile fail or wait) */
  onError?: (err: Error) => void;
  /** how long an erasure's tombstone stays, ms (ERASURE_TOMBSTONE_MS; shorter in tests) */
  erasureTombstoneMs?: number;
}

/** One SCAN step of a node: the next cursor and the keys matching `pattern`. */
type ScanOne = (cursor: string, pattern: string, count: number) => Promise<[string, string[]]>;

export class RedisStore implements Store, SharedCoordination {
  readonly kind = 'redis';
  readonly shared = true;
  /** several nodes share it: the store itself is its coordination (claims, revisions, shared totals) */
  readonly coordination: SharedCoordination = this;
  onAudit: ((entry: AuditRecord) => void) | undefined;
  private readonly redis: RedisConnection & RedisScripts;
  private readonly k: RedisKeys;
  private readonly outbox: RedisOutbox;
  private readonly tombstoneMs: number;

  constructor(o: RedisStoreOptions) {
    this.k = new RedisKeys(o.prefix ?? 'kairos');
    this.tombstoneMs = o.erasureTombstoneMs ?? ERASURE_TOMBSTONE_MS;
    const client: RedisConnection =
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
    this.redis = withScripts(client);
    this.outbox = new RedisOutbox(this.redis, this.k);
  }

  /** Connects (and finishes any relay a crash interrupted): call once before use. */
  async open(): Promise<this> {
    await this.redis.ping();
    await this.outbox.index();
    await this.outbox.relayPending();
    return this;
  }

  // -------------------------------------------------------------------------------------
  // Customers

  async getSnapshot(id: string): Promise<StoredSnapshot | undefined> {
    return (await this.readSnapshot(id)).snapshot;
  }

  async readSnapshot(id: string): Promise<{ snapshot: StoredSnapshot | undefined; rev: number }> {
    // (one read: the revision is the snapshot's, or, without one, the tombstone's or what it left)
    const [v, revBytes] = await this.redis.hmgetBuffer(this.k.c(id, 'snap'), 'v', 'rev');
    const rev = Number(revBytes?.toString() ?? '0');
    if (v === null || v === undefined) return { snapshot: undefined, rev };
    return { snapshot: { ...decode<StoredSnapshot>(v), rev }, rev };
  }

  available(): boolean {
    return this.redis.status === 'ready';
  }

  async snapshotRevision(id: string): Promise<number> {
    return this.redis.kairosRevision(this.k.c(id, 'snap'), this.k.c(id, 'cust'));
  }

  async getCustomer(id: string): Promise<CustomerRecord | undefined> {
    const b = await this.redis.getBuffer(this.k.c(id, 'cust'));
    return b === null ? undefined : decode<CustomerRecord>(b);
  }

  async hasCustomer(id: string): Promise<boolean> {
    // (a tombstone, or the revision it left, is a `snap` hash without a snapshot: no customer)
    const [snapshot, record] = await Promise.all([this.redis.hexists(this.k.c(id, 'snap'), 'v'), this.redis.exists(this.k.c(id, 'cust'))]);
    return snapshot === 1 || record === 1;
  }

  async lookupIdentity(kind: ContactIdentifierKind, value: string): Promise<string | undefined> {
    return (await this.redis.get(this.k.link(kind, value))) ?? undefined;
  }

  async importCustomers(records: ReadonlyArray<ImportEntry>, marker?: { key: string; value: unknown }): Promise<void> {
    // Every unlink before any link: an identifier one row of the batch dropped and a later row
    // took is the later one's. The links of identifiers the records dropped go while they are
    // still this customer's (not across nodes at once: docs/identity.md).
    await Promise.all(
      records.flatMap(({ id, unlink }) => (Object.entries(unlink ?? {}) as Array<[ContactIdentifierKind, string[]]>).flatMap(([kind, values]) => values.map((v) => this.redis.kairosUnlink(this.k.link(kind, v), id)))),
    );
    // Then each record with its links, one record at a time apart (a stop between the two
    // leaves one record without its links, not a whole batch).
    const results = await Promise.all(
      records.map(async ({ id, record }) => {
        // (an erased id created again: its tombstone cleared, IMPORT_SCRIPT)
        const added = await this.redis.kairosImport(this.k.c(id, 'cust'), this.k.c(id, 'snap'), encode(record));
        await Promise.all((Object.entries(record.identifiers) as Array<[ContactIdentifierKind, string[]]>).flatMap(([kind, values]) => values.map((v) => this.redis.set(this.k.link(kind, v), id))));
        return added;
      }),
    );
    const added = results.reduce<number>((a, b) => a + b, 0);
    if (added > 0) await this.redis.incrby(this.k.imported, added);
    if (marker !== undefined) await this.putMeta(marker.key, marker.value);
  }

  async countImported(): Promise<number> {
    return Number((await this.redis.get(this.k.imported)) ?? '0');
  }

  // -------------------------------------------------------------------------------------
  // Commit

  async commit(batch: SharedCommitBatch): Promise<OutboxRecord[]> {
    // Before the customers' scripts, all at once (independent, idempotent): sequence numbers
    // (one INCRBY for the batch), the customers whose entries must be relayed, the reminders'
    // due times, channels not seen before, and which customers given identity links are erased.
    const n = batch.outbox.length;
    const remSet = batch.reminders?.set ?? [];
    const [last, erasedOwners] = await Promise.all([
      n === 0 ? Promise.resolve(0) : this.redis.incrby(this.k.seq, n),
      this.erasedOf(batch.identities.map((l) => l.customer)),
      n === 0 ? undefined : this.redis.sadd(this.k.dirty, ...new Set(batch.outbox.map((e) => e.customer))),
      remSet.length === 0 ? undefined : this.redis.zadd(this.k.due, ...remSet.flatMap((r) => [r.due, r.key])),
      this.outbox.noteChannels(batch.outbox.map((e) => e.channel)),
    ]);
    // Identity links before the scripts, but none to a customer erased (their script refuses them
    // below; one erased meanwhile has its links taken back after).
    const links = batch.identities.filter((l) => !erasedOwners.has(l.customer));
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

    const stale: Array<{ customer: string; revision: number; erased?: true }> = [];
    /** customers whose script found them erased (their tombstone) */
    const erased = new Set<string>();
    const revisions = new Map<string, number>();
    // Shared totals first: a customer whose contacts would pass a budget or a capacity is
    // refused (nothing of it written); what was reserved for one whose script then fails is given back.
    const charges = new Map<string, SharedCharge[]>();
    for (const c of batch.charges ?? []) charges.set(c.customer, [...(charges.get(c.customer) ?? []), c]);
    const refused = new Set<string>();
    await Promise.all([
      ...links.map((l) => this.redis.set(this.k.link(l.kind, l.value), l.customer)),
      ...[...charges].map(async ([id, list]) => {
        const args = [list.length, ...list.flatMap((c) => [c.key, c.contacts, c.cost, c.maxContacts ?? -1, c.maxCost ?? -1])];
        if ((await this.redis.kairosCharge(this.k.totals, ...args)) !== 1) refused.add(id);
      }),
    ]);
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
          revisions.set(id, await this.redis.kairosCommit(this.k.c(id, 'snap'), this.k.c(id, 'obx'), this.k.c(id, 'rem'), ...args));
        } catch (err) {
          const m = /^(STALE|ERASED) (\d+)/.exec((err as Error).message);
          if (m === null) throw err;
          if (m[1] === 'ERASED') {
            erased.add(id);
            stale.push({ customer: id, revision: Number(m[2]), erased: true });
          } else stale.push({ customer: id, revision: Number(m[2]) });
          await this.release(charges.get(id) ?? []);
        }
      }),
    );
    // After, all at once: relay what was committed, drop the removed reminders of the
    // customers committed from the due index, move the segment members, write the totals.
    const committed = records.filter((r) => revisions.has(r.customer));
    const staleIds = new Set(stale.map((x) => x.customer));
    const removed = (batch.reminders?.remove ?? []).filter((k) => !staleIds.has(customerOfReminder(k)));
    await Promise.all([
      this.outbox.relay(committed),
      removed.length === 0 ? undefined : this.redis.zrem(this.k.due, ...removed),
      batch.meta === undefined || batch.meta.length === 0 ? undefined : this.putMetaMany(batch.meta),
      this.addCounters(batch.counters ?? []),
      this.moveMembers(batch.snapshots.filter((s) => revisions.has(s.id))),
      erased.size === 0 ? undefined : this.takeBack(erased, links, remSet),
    ]);
    if (stale.length > 0) throw new StaleSnapshotError(stale, committed);
    if (batch.rehome !== undefined) await this.rehome(batch.rehome.from, batch.rehome.to);
    return committed;
  }

  /** The customers among `ids` erased: a tombstone in their `snap` hash. */
  private async erasedOf(ids: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(ids)];
    const gone = await Promise.all(unique.map((id) => this.redis.hexists(this.k.c(id, 'snap'), 'gone')));
    return new Set(unique.filter((_, i) => gone[i] === 1));
  }

  /**
   * What a commit wrote before the scripts for customers its scripts then found erased (the
   * erasure came between), taken back where it still names them: identity links, the mark
   * that their outbox entries wait for a relay (none was written), due times of reminders
   * their scripts did not write.
   */
  private async takeBack(erased: ReadonlySet<string>, links: readonly IdentityLink[], reminders: readonly ReminderRecord[]): Promise<void> {
    await Promise.all([
      ...links.filter((l) => erased.has(l.customer)).map((l) => this.redis.kairosUnlink(this.k.link(l.kind, l.value), l.customer)),
      ...[...erased].map(async (id) => {
        if ((await this.redis.hlen(this.k.c(id, 'obx'))) === 0) await this.redis.srem(this.k.dirty, id);
      }),
      ...reminders
        .filter((r) => erased.has(r.customer))
        .map(async (r) => {
          if ((await this.redis.hexists(this.k.c(r.customer, 'rem'), r.key)) === 0) await this.redis.zrem(this.k.due, r.key);
        }),
    ]);
  }

  /**
   * Committed customers' segment moves: each segment's sorted set, and the customer's own set
   * (for the erasure). A customer who entered a segment and is found erased after (their
   * commit landed just before the tombstone, these moves after the erasure took them out of
   * their segments) is taken out again.
   */
  private async moveMembers(snapshots: ReadonlyArray<{ id: string; segments?: SegmentMoves }>): Promise<void> {
    await Promise.all(
      snapshots.flatMap(({ id, segments }) => [
        ...(segments?.exit ?? []).map((s) => this.redis.zrem(this.k.segment(s), id)),
        ...(segments?.enter ?? []).map((s) => this.redis.zadd(this.k.segment(s), 0, id)),
        ...(segments === undefined || segments.exit.length === 0 ? [] : [this.redis.srem(this.k.c(id, 'seg'), ...segments.exit)]),
        ...(segments === undefined || segments.enter.length === 0 ? [] : [this.redis.sadd(this.k.c(id, 'seg'), ...segments.enter)]),
      ]),
    );
    const entered = snapshots.filter((s) => (s.segments?.enter.length ?? 0) > 0);
    if (entered.length === 0) return;
    const erased = await this.erasedOf(entered.map((s) => s.id));
    await Promise.all(
      entered
        .filter((s) => erased.has(s.id))
        .flatMap(({ id, segments }) => [...(segments?.enter ?? []).map((s) => this.redis.zrem(this.k.segment(s), id)), this.redis.del(this.k.c(id, 'seg'))]),
    );
  }

  /**
   * SCAN over the customers' keys, on each master of a cluster in turn: first the master data
   * (`cust`, with the snapshot if there is one), then the snapshots of customers without master
   * data. The cursor is `<phase>|<node>|<SCAN cursor>`.
   */
  async scanCustomers(cursor: string | undefined, limit: number): Promise<CustomerPage> {
    const [phase = 'c', at = '0', given = '0'] = (cursor ?? 'c|0|0').split('|');
    let nodeAt = at;
    let scanAt = given;
    const masters = this.masterKeys();
    if (masters !== undefined) {
      if (masters.length === 0) throw new KairosError('unavailable', 'the Redis Cluster has not told its slots yet: the scan of the customers cannot start; retry');
      // A phase's start; or a cursor of an older Kairos (a master's place in a list), or naming
      // a master that is no longer one (a failover): the phase again from its first master
      // (a customer may be seen twice, none skipped).
      const fresh = at === '0' && given === '0';
      if (fresh || !masters.includes(at)) {
        nodeAt = masters[0]!;
        if (!fresh) scanAt = '0';
      }
    }
    const node = await this.scanNode(masters, nodeAt);
    if (node === undefined) return { customers: [] };
    const what = phase === 'c' ? 'cust' : 'snap';
    const head = `${this.k.prefix}:{c:`;
    const tail = `}:${what}`;
    const [nextScan, keys] = await node.scan(scanAt, `${head}*${tail}`, limit);
    const ids = keys.filter((k) => k.startsWith(head) && k.endsWith(tail)).map((k) => k.slice(head.length, -tail.length));
    const customers: CustomerPage['customers'] = [];
    await Promise.all(
      ids.map(async (id) => {
        const [snapshot, record] = await Promise.all([this.getSnapshot(id), this.getCustomer(id)]);
        // A snapshot with master data was given in the first phase.
        if (phase === 's' && record !== undefined) return;
        if (snapshot === undefined && record === undefined) return;
        customers.push({ id, ...(snapshot === undefined ? {} : { snapshot }), ...(record === undefined ? {} : { record }) });
      }),
    );
    let next: string | undefined;
    const after = masters?.[masters.indexOf(node.key) + 1];
    if (nextScan !== '0') next = `${phase}|${node.key}|${nextScan}`;
    else if (after !== undefined) next = `${phase}|${after}|0`;
    else if (phase === 'c') next = `s|${masters?.[0] ?? '0'}|0`;
    return next === undefined ? { customers } : { customers, next };
  }

  /** A cluster's masters as its slot table names them (`host:port`, sorted); undefined for one Redis. */
  private masterKeys(): string[] | undefined {
    if (!(this.redis instanceof RedisCluster)) return undefined;
    return [...new Set(this.redis.slots.map((owners) => owners?.[0]).filter((k): k is string => k !== undefined))].sort();
  }

  /**
   * The node a scan's cursor names (a cluster's master by `host:port`, so that a node list
   * changing meanwhile never moves the scan onto another node). A master whose connection is gone (ioredis drops a cluster node's
   * connection for good and waits for the next slots refresh) is connected again through a
   * refresh; one still missing stops the scan (`unavailable`) rather than skip its customers.
   */
  private async scanNode(masters: readonly string[] | undefined, at: string): Promise<{ key: string; scan: ScanOne } | undefined> {
    if (masters === undefined || !(this.redis instanceof RedisCluster)) {
      const redis = this.redis;
      return at === '0' ? { key: '0', scan: (cursor, pattern, count) => redis.scan(cursor, 'MATCH', pattern, 'COUNT', count) } : undefined;
    }
    const cluster = this.redis;
    const key = at;
    const find = (): RedisClient | undefined => cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === key);
    let node = find();
    if (node === undefined) {
      await new Promise<void>((resolve) => cluster.refreshSlotsCache(() => resolve()));
      node = find();
    }
    if (node === undefined) throw new KairosError('unavailable', `the Redis Cluster master ${key} is not connected: the scan of the customers stops there rather than skip its customers; retry`);
    const found = node;
    return { key, scan: (cursor, pattern, count) => found.scan(cursor, 'MATCH', pattern, 'COUNT', count) };
  }

  async setSegmentMembers(entries: ReadonlyArray<{ id: string; segments: readonly string[] }>, reset = false): Promise<void> {
    if (reset) {
      // every segment's sorted set, on each master of a cluster (the keys are spread over slots; each master by name, as scanCustomers)
      const masters = this.masterKeys();
      for (const name of masters ?? ['0']) {
        const node = (await this.scanNode(masters, name))!;
        let at = '0';
        do {
          const [next, keys] = await node.scan(at, `${this.k.segment('')}*`, 1000);
          await Promise.all(keys.map((k) => this.redis.del(k)));
          at = next;
        } while (at !== '0');
      }
    }
    await Promise.all(
      entries.map(async ({ id, segments }) => {
        const was = reset ? [] : await this.redis.smembers(this.k.c(id, 'seg'));
        const exit = was.filter((s) => !segments.includes(s));
        await Promise.all([
          ...exit.map((s) => this.redis.zrem(this.k.segment(s), id)),
          ...segments.map((s) => this.redis.zadd(this.k.segment(s), 0, id)),
          this.redis.del(this.k.c(id, 'seg')).then(() => (segments.length === 0 ? 0 : this.redis.sadd(this.k.c(id, 'seg'), ...segments))),
        ]);
      }),
    );
  }

  async listSegmentMembers(segment: string, limit: number, after?: string): Promise<string[]> {
    return this.redis.zrangebylex(this.k.segment(segment), after === undefined ? '-' : `(${after}`, '+', 'LIMIT', 0, limit);
  }

  /**
   * `CommitBatch.rehome`, after the rest of the batch and not in its transaction: each outbox
   * record of `from` is rewritten in place as `to`'s (where it is still queued, without
   * undoing another node's fail or retry of it meanwhile: RedisOutbox.rehome), each reminder
   * set as `to`'s, then dropped as `from`'s. Every step is safe to repeat.
   */
  private async rehome(from: string, to: string): Promise<void> {
    await this.outbox.rehome(from, to);
    const reminders = await this.redis.hgetallBuffer(this.k.c(from, 'rem'));
    for (const [key, b] of Object.entries(reminders)) {
      const moved = rehomedReminder(decode<ReminderRecord>(b), from, to);
      if ((await this.redis.hsetnx(this.k.c(to, 'rem'), moved.key, encode(moved))) === 1) await this.redis.zadd(this.k.due, moved.due, moved.key);
      await this.redis.zrem(this.k.due, key);
      await this.redis.hdel(this.k.c(from, 'rem'), key);
    }
  }

  /** Adds to counters kept as sums across nodes: a hash per counter, a field per number. */
  private async addCounters(entries: ReadonlyArray<{ key: string; delta: Readonly<Record<string, number>> }>): Promise<void> {
    if (entries.length === 0) return;
    await Promise.all([
      this.redis.sadd(this.k.counters, ...entries.map((e) => e.key)),
      ...entries.flatMap((e) => Object.entries(e.delta).map(([path, d]) => this.redis.hincrbyfloat(this.k.counter(e.key), path, d))),
    ]);
  }

  async readCounters(prefix: string): Promise<Array<{ key: string; value: Record<string, number> }>> {
    const keys = (await this.redis.smembers(this.k.counters)).filter((k) => k.startsWith(prefix)).sort();
    const values = await Promise.all(keys.map((k) => this.redis.hgetall(this.k.counter(k))));
    return keys.map((key, i) => ({ key, value: Object.fromEntries(Object.entries(values[i] ?? {}).map(([path, v]) => [path, Number(v)])) }));
  }

  /** Gives back shared totals reserved for a customer whose commit was refused. */
  private async release(charges: readonly SharedCharge[]): Promise<void> {
    await Promise.all(charges.flatMap((c) => [this.redis.hincrby(this.k.totals, `${c.key}|c`, -c.contacts), this.redis.hincrbyfloat(this.k.totals, `${c.key}|m`, -c.cost)]));
  }

  async sharedTotals(keys: readonly string[]): Promise<Map<string, { contacts: number; cost: number }>> {
    const out = new Map<string, { contacts: number; cost: number }>();
    if (keys.length === 0) return out;
    const values = await this.redis.hmget(this.k.totals, ...keys.flatMap((k) => [`${k}|c`, `${k}|m`]));
    keys.forEach((k, i) => out.set(k, { contacts: Number(values[2 * i] ?? '0'), cost: Number(values[2 * i + 1] ?? '0') }));
    return out;
  }

  /** Finishes relays a crash interrupted (open does it too). */
  relayPending(): Promise<number> {
    return this.outbox.relayPending();
  }

  // -------------------------------------------------------------------------------------
  // Erasure

  async eraseCustomer(id: string, identities: ReadonlyArray<{ kind: ContactIdentifierKind; value: string }>, audit?: AuditDraft, meta?: ErasureMeta): Promise<boolean> {
    // The erasure is several steps over the customer's keys and the channels' (each one safe
    // to repeat): its entry is the last step (docs/audit.md). What can fail in it fails first.
    if (audit !== undefined) sealAudit(undefined, audit);
    // First the snapshot replaced by the tombstone: from here on no node's commit writes
    // anything of the customer's (COMMIT_SCRIPT), whatever copy of them it holds.
    const [snapshot, record] = await this.redis.kairosEraseBuffer(this.k.c(id, 'snap'), this.k.c(id, 'cust'), Date.now(), this.tombstoneMs);
    const held = snapshot !== null || record !== null;
    // The identifiers given (the caller's copy), and those the stored state and master data
    // name as the tombstone found them: another node may have linked one since that copy was read.
    const links = new Map<string, { kind: ContactIdentifierKind; value: string }>();
    const named = [
      ...identities,
      ...(record === null ? [] : identifiersIn(decode<CustomerRecord>(record).identifiers)),
      ...(snapshot === null ? [] : identifiersIn((decode<StoredSnapshot>(snapshot).snapshot as { context?: { identifiers?: unknown } } | undefined)?.context?.identifiers)),
    ];
    for (const l of named) links.set(`${l.kind}:${l.value}`, l);
    let unlinked = 0;
    for (const { kind, value } of links.values()) unlinked += await this.redis.kairosUnlink(this.k.link(kind, value), id);
    const reminders = await this.redis.hkeys(this.k.c(id, 'rem'));
    if (reminders.length > 0) await this.redis.zrem(this.k.due, ...reminders);
    for (const s of await this.redis.smembers(this.k.c(id, 'seg'))) await this.redis.zrem(this.k.segment(s), id);
    // Outbox entries committed (by another node, just before the tombstone) and maybe not yet
    // relayed: kept from the relay to come, or taken out of their channel.
    await this.outbox.dropPending(await this.redis.hkeys(this.k.c(id, 'obx')));
    await this.redis.del(this.k.c(id, 'cust'), this.k.c(id, 'rem'), this.k.c(id, 'obx'), this.k.c(id, 'seg'));
    await this.redis.srem(this.k.dirty, id);
    await this.outbox.eraseCustomer(id);
    // The meta entries naming the customer, looked for only now, after the tombstone: another
    // node's entry naming them (putMetaUnlessErased) is in the store by now, or refused.
    await this.deleteMeta((await erasureMetaKeys(meta)) ?? []);
    if (audit !== undefined) await this.appendAudit(audit);
    return held || unlinked > 0;
  }

  // -------------------------------------------------------------------------------------
  // Reminders

  async dueReminders(until: number, limit: number): Promise<ReminderRecord[]> {
    const keys = await this.redis.zrangebyscore(this.k.due, '-inf', until, 'LIMIT', 0, limit);
    return this.remindersFor(keys, until);
  }

  /**
   * Claims due reminders for this node: each is moved `leaseMs` into the future, so no other
   * node claims it meanwhile; if this node dies before the reminder's commit drops it, it
   * comes due again when the lease ends.
   */
  async claimReminders(until: number, limit: number, leaseMs: number): Promise<ReminderRecord[]> {
    const keys = await this.redis.kairosClaim(this.k.due, until, limit, until + leaseMs);
    return this.remindersFor(keys, Infinity);
  }

  private async remindersFor(keys: readonly string[], until: number): Promise<ReminderRecord[]> {
    const out: ReminderRecord[] = [];
    const gone: string[] = [];
    const found = await Promise.all(keys.map((k) => this.redis.hgetBuffer(this.k.c(customerOfReminder(k), 'rem'), k)));
    for (const [i, b] of found.entries()) {
      if (b === null) gone.push(keys[i]!);
      else {
        const r = decode<ReminderRecord>(b);
        if (r.due <= until) out.push(r);
      }
    }
    // A due entry whose reminder is gone (its commit failed, or it was dropped meanwhile).
    if (gone.length > 0) await this.redis.zrem(this.k.due, ...gone);
    return out.sort((a, b) => a.due - b.due || (a.key < b.key ? -1 : 1));
  }

  async claimLease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.kairosLease(this.k.lease(key), owner, Math.max(1, Math.round(ttlMs)))) === 1;
  }

  async releaseLease(key: string, owner: string): Promise<void> {
    await this.redis.kairosRelease(this.k.lease(key), owner);
  }

  async leaseHolder(key: string): Promise<string | undefined> {
    return (await this.redis.get(this.k.lease(key))) ?? undefined;
  }

  // -------------------------------------------------------------------------------------
  // Outbox

  listOutbox(channel: string, limit: number, afterSeq?: number): Promise<OutboxRecord[]> {
    return this.outbox.list(channel, limit, afterSeq);
  }

  getOutbox(channel: string, instance: string): Promise<OutboxRecord | undefined> {
    return this.outbox.get(channel, instance);
  }

  removeOutbox(channel: string, instance: string): Promise<boolean> {
    return this.outbox.remove(channel, instance);
  }

  failOutbox(channel: string, instance: string, reason: string, next: { retryAt?: number; dead?: boolean } = {}): Promise<boolean> {
    return this.outbox.fail(channel, instance, reason, next);
  }

  async retryOutbox(channel: string, instance: string, audit?: AuditDraft): Promise<boolean> {
    // The outbox lives in the channel's keys, the trail in its own slot: the retry, then its
    // entry (docs/audit.md). What can fail in the entry fails first.
    if (audit !== undefined) sealAudit(undefined, audit);
    if (!(await this.outbox.retry(channel, instance))) return false;
    if (audit !== undefined) await this.appendAudit(audit);
    return true;
  }

  /** A channel's entries for this node's dispatcher through the stream's consumer group (RedisOutbox.claim). */
  claimOutbox(channel: string, consumer: string, limit: number, minIdleMs: number): Promise<OutboxRecord[]> {
    return this.outbox.claim(channel, consumer, limit, minIdleMs);
  }

  // -------------------------------------------------------------------------------------
  // Stop list and meta

  async listStops(): Promise<StopEntry[]> {
    const all = await this.redis.hgetallBuffer(this.k.stops);
    return Object.values(all).map((b) => decode<StopEntry>(b));
  }

  /** The entry, the version bump and the entry's opt-out marker in one script (see `claimSend`). */
  async putStop(entry: StopEntry): Promise<void> {
    await this.redis.kairosStopPut(this.k.stops, this.k.stopsVersion, this.k.stopMarkers, stopStorageKey(entry.key, entry.channel, entry.campaign), encode(entry), entry.key);
  }

  /**
   * The send claim: go (`true`) only if the customer's snapshot is still at `revision` and no
   * key of `stopKeys` was put on the stop list after version `stopVersion`. On one Redis a
   * single script; on a Cluster the customer's slot and the stops' slot are read in two steps
   * (docs/delivery.md says what remains).
   */
  async claimSend(customer: string, revision: number, stopVersion: number, stopKeys: readonly string[]): Promise<boolean> {
    const snap = this.k.c(customer, 'snap');
    if (!(this.redis instanceof RedisCluster)) return (await this.redis.kairosSendClaim(2, snap, this.k.stopMarkers, revision, stopVersion, ...stopKeys)) === 1;
    if ((await this.redis.kairosSendClaim(1, snap, revision, stopVersion)) !== 1) return false;
    if (stopKeys.length === 0) return true;
    const markers = await this.redis.hmget(this.k.stopMarkers, ...stopKeys);
    return markers.every((m) => m === null || Number(m) <= stopVersion);
  }

  async deleteStop(key: string, channel: string | undefined, campaign: string | undefined): Promise<boolean> {
    const result = await this.redis.multi().hdel(this.k.stops, stopStorageKey(key, channel, campaign)).incr(this.k.stopsVersion).exec();
    return Number(result?.[0]?.[1] ?? 0) > 0;
  }

  async stopListVersion(): Promise<number> {
    return Number((await this.redis.get(this.k.stopsVersion)) ?? '0');
  }

  async getMeta(key: string): Promise<unknown> {
    const b = await this.redis.hgetBuffer(this.k.metaValues, key);
    return b === null ? undefined : decode(b);
  }

  async putMeta(key: string, value: unknown): Promise<void> {
    await this.putMetaMany([{ key, value }]);
  }

  private async putMetaMany(entries: ReadonlyArray<{ key: string; value: unknown }>): Promise<void> {
    await this.redis
      .multi()
      .hset(this.k.metaValues, ...entries.flatMap((e) => [e.key, encode(e.value)]))
      .zadd(this.k.metaKeys, ...entries.flatMap((e) => [0, e.key]))
      .exec();
  }

  async putMetaUnlessErased(key: string, value: unknown, customers: readonly string[]): Promise<boolean> {
    return this.putMetaManyUnlessErased([{ key, value }], customers);
  }

  /**
   * Meta entries naming `customers`, unless one of them is erased (their tombstone). On one
   * Redis a single script; on a Cluster the tombstones and the meta are in different slots:
   * checked before the write and again after it, and the entries taken back when an erasure
   * came in between (it may have looked for the entries naming its customer before the write).
   */
  private async putMetaManyUnlessErased(entries: ReadonlyArray<{ key: string; value: unknown }>, customers: readonly string[]): Promise<boolean> {
    if (!(this.redis instanceof RedisCluster)) {
      const snaps = [...new Set(customers)].map((id) => this.k.c(id, 'snap'));
      const written = await this.redis.kairosPutMetaUnlessErased(2 + snaps.length, this.k.metaValues, this.k.metaKeys, ...snaps, ...entries.flatMap((e) => [e.key, encode(e.value)]));
      return written === 1;
    }
    if ((await this.erasedOf(customers)).size > 0) return false;
    await this.putMetaMany(entries);
    if ((await this.erasedOf(customers)).size === 0) return true;
    await this.deleteMeta(entries.map((e) => e.key));
    return false;
  }

  async deleteMeta(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.redis.multi().hdel(this.k.metaValues, ...keys).zrem(this.k.metaKeys, ...keys).exec();
  }

  async listMeta(prefix: string, limit: number): Promise<Array<{ key: string; value: unknown }>> {
    // Newest last: the last `limit` keys of the prefix's range, in key order.
    const keys = (await this.redis.zrevrangebylex(this.k.metaKeys, `[${prefix}\uffff`, `[${prefix}`, 'LIMIT', 0, limit)).filter((k) => k.startsWith(prefix)).reverse();
    if (keys.length === 0) return [];
    const values = await this.redis.hmgetBuffer(this.k.metaValues, ...keys);
    return keys.flatMap((key, i) => {
      const b = values[i];
      return b === null || b === undefined ? [] : [{ key, value: decode(b) }];
    });
  }

  // -------------------------------------------------------------------------------------
  // Audit trail

  async appendAudit(draft: AuditDraft, change: AuditChange = {}): Promise<AuditRecord | undefined> {
    // On a Cluster the stops and meta live in other slots than the trail: the change is
    // written first, then the entry (docs/audit.md). On one Redis, one script does both.
    const split = this.redis instanceof RedisCluster;
    // What can fail, before anything is written: the entry (sealed again on the head below).
    sealAudit(undefined, draft);
    // Customers whose erasure refuses the change: on one Redis their tombstones are read in the
    // script; on a Cluster, before anything is written, and with the meta (putMetaManyUnlessErased).
    const guard = change.unlessErased ?? [];
    if (split && guard.length > 0 && (await this.erasedOf(guard)).size > 0) return undefined;
    if (split && change.deleteStop !== undefined) {
      if (!(await this.deleteStop(change.deleteStop.key, change.deleteStop.channel, change.deleteStop.campaign))) return undefined;
    }
    if (split && change.putStop !== undefined) await this.putStop(change.putStop);
    if (split && change.meta !== undefined && change.meta.length > 0) {
      if (guard.length === 0) await this.putMetaMany(change.meta);
      else if (!(await this.putMetaManyUnlessErased(change.meta, guard))) return undefined;
    }
    const d = split ? undefined : change.deleteStop;
    const p = split ? undefined : change.putStop;
    const meta = split ? [] : (change.meta ?? []);
    const snaps = split ? [] : [...new Set(guard)].map((id) => this.k.c(id, 'snap'));
    for (;;) {
      const head = await this.redis.get(this.k.auditHead);
      const [seq = '0', hash = ''] = head === null ? [] : head.split(' ');
      const entry = sealAudit(head === null ? undefined : { seq: Number(seq), hash }, draft);
      const done = await this.redis.kairosAudit(
        6 + snaps.length,
        this.k.auditHead,
        this.k.auditEntries,
        // On a Cluster the script touches only the trail's slot: the other keys are unused names in it.
        ...(split ? [1, 2, 3, 4].map((i) => `${this.k.auditEntries}:${i}`) : [this.k.stops, this.k.stopsVersion, this.k.metaValues, this.k.metaKeys]),
        ...snaps,
        head === null ? 0 : Number(seq),
        entry.seq,
        entry.hash,
        JSON.stringify(entry),
        d === undefined ? '' : stopStorageKey(d.key, d.channel, d.campaign),
        p === undefined ? '' : stopStorageKey(p.key, p.channel, p.campaign),
        p === undefined ? '' : encode(p),
        meta.length,
        ...meta.flatMap((m) => [m.key, encode(m.value)]),
      );
      if (done === 1) {
        tellAudited(this, entry);
        return entry;
      }
      if (done === 0) return undefined;
    }
  }

  async listAudit(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const head = await this.redis.get(this.k.auditHead);
    const last = head === null ? 0 : Number(head.split(' ')[0]);
    const from = Math.floor(afterSeq) + 1;
    const to = Math.min(last, from + limit - 1);
    if (to < from) return [];
    const fields = Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
    const values = await this.redis.hmget(this.k.auditEntries, ...fields);
    // A missing entry is left out: the chain then breaks there.
    return values.flatMap((v) => (v === null ? [] : [JSON.parse(v) as AuditRecord]));
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}
