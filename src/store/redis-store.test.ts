import type { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { runRedisTests, startRedis, startRedisCluster } from '../test-support/redis.js';
import { Redis } from 'ioredis';
import { ERASURE_TOMBSTONE_MS, RedisStore } from './redis-store.js';
import { describeSharedStoreContract } from './shared-store.contract.js';
import { describeStoreContract, offerEntry } from './store.contract.js';

/**
 * The Redis store against real redis-server processes (no mocks): the store contract and the
 * shared-store contract (compare-and-set snapshots, shared totals, counters, claims) on one
 * Redis and on a Redis Cluster of three masters, then what is Redis's own: relays finished
 * after a crash, the order index built for a store written before it.
 */

let single: Awaited<ReturnType<typeof startRedis>> | undefined;
let cluster: Awaited<ReturnType<typeof startRedisCluster>> | undefined;
let n = 0;

afterAll(async () => {
  await single?.close();
  await cluster?.close();
});

async function singleStore(prefix = `t${process.pid}-${++n}`): Promise<RedisStore> {
  single ??= await startRedis();
  return new RedisStore({ url: single.url, prefix }).open();
}

async function clusterStore(prefix = `t${process.pid}-${++n}`): Promise<RedisStore> {
  cluster ??= await startRedisCluster(3);
  return new RedisStore({ cluster: cluster.nodes, prefix }).open();
}


describe.runIf(runRedisTests)('redis', () => {
  describeStoreContract(
    'redis',
    async () => {
      const prefix = `c${process.pid}-${++n}`;
      const store = await singleStore(prefix);
      return { store, reopen: () => singleStore(prefix), cleanup: () => Promise.resolve() };
    },
    { durable: true },
  );

  describeStoreContract(
    'redis cluster (3 masters)',
    async () => {
      const prefix = `k${process.pid}-${++n}`;
      const store = await clusterStore(prefix);
      return { store, reopen: () => clusterStore(prefix), cleanup: () => Promise.resolve() };
    },
    { durable: true },
  );

  describeSharedStoreContract('redis', (prefix) => singleStore(prefix));
  describeSharedStoreContract('redis cluster (3 masters)', (prefix) => clusterStore(prefix));

  describe('shared by several nodes', () => {
    it('finishes a relay a crash interrupted, once, and never queues a delivered entry again', async () => {
      const prefix = `r${process.pid}-${++n}`;
      const a = await singleStore(prefix);
      try {
        const [rec] = await a.commit({ snapshots: [], identities: [], outbox: [offerEntry('c-1', 'i-1')] });
        // As if the process died between the customer's commit and the relay: the entry is back
        // in the customer's pending hash and the customer in the dirty set.
        const redis = (a as unknown as { redis: { hset: (...x: unknown[]) => Promise<number>; sadd: (...x: unknown[]) => Promise<number> } }).redis;
        const { Packr } = await import('msgpackr');
        const packr = new Packr({ useRecords: false, moreTypes: false });
        const pending = { ...offerEntry('c-2', 'i-2'), seq: 99, attempts: 0 };
        await redis.hset(`${prefix}:{c:c-2}:obx`, 'sms\u001fi-2', packr.pack(pending));
        await redis.hset(`${prefix}:{c:c-1}:obx`, 'sms\u001fi-1', packr.pack(rec));
        await redis.sadd(`${prefix}:{obx}:dirty`, 'c-2', 'c-1');
        // i-1 was relayed already and then delivered.
        expect(await a.removeOutbox('sms', 'i-1')).toBe(true);
        const b = await singleStore(prefix); // a restart: open() relays what is pending
        try {
          expect((await b.listOutbox('sms', 10)).map((r) => r.instance)).toEqual(['i-2']);
          expect(await b.relayPending()).toBe(0);
          expect((await b.listOutbox('sms', 10)).map((r) => r.instance)).toEqual(['i-2']);
        } finally {
          await b.close();
        }
      } finally {
        await a.close();
      }
    });

    it('leaves a tombstone at an erasure: the revision and when, nothing else, for ERASURE_TOMBSTONE_MS; a re-creation keeps only the revision', async () => {
      const prefix = `e${process.pid}-${++n}`;
      const a = await singleStore(prefix);
      const raw = new Redis(single!.url);
      try {
        const snap = `${prefix}:{c:c-1}:snap`;
        await a.importCustomers([{ id: 'c-1', record: { stage: 'client', profile: { firstName: 'Ирина' }, identifiers: { phone: ['+79160000001'] }, importedAt: 1 } }]);
        await a.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 1 } }, expectRevision: 0 }], identities: [], outbox: [] });
        const before = Date.now();
        expect(await a.eraseCustomer('c-1', [{ kind: 'phone', value: '+79160000001' }])).toBe(true);
        const tombstone = await raw.hgetall(snap);
        expect(Object.keys(tombstone).sort()).toEqual(['gone', 'rev']);
        expect(tombstone.rev).toBe('2');
        expect(Number(tombstone.gone)).toBeGreaterThanOrEqual(before);
        expect(await raw.pttl(snap)).toBeGreaterThan(ERASURE_TOMBSTONE_MS - 60_000);
        expect((await raw.keys(`${prefix}:*c-1*`)).filter((k) => k !== snap)).toEqual([]);
        // Created again: the revision stays, without expiry.
        await a.importCustomers([{ id: 'c-1', record: { stage: 'client', profile: { firstName: 'Вера' }, identifiers: {}, importedAt: 2 } }]);
        expect(await raw.hgetall(snap)).toEqual({ rev: '2' });
        expect(await raw.pttl(snap)).toBe(-1);
        // A tombstone that ran out: nothing left; a copy of the customer is stale all the same (-1: nothing held).
        const short = await new RedisStore({ url: single!.url, prefix, erasureTombstoneMs: 50 }).open();
        try {
          await short.eraseCustomer('c-1', []);
          await new Promise((r) => setTimeout(r, 150));
          expect(await raw.exists(snap)).toBe(0);
          expect(await short.snapshotRevision('c-1')).toBe(-1);
        } finally {
          await short.close();
        }
      } finally {
        await raw.quit();
        await a.close();
      }
    });

    it("scans every customer of a Cluster once though a master's connection drops between two pages (never another master's keys in its place)", async () => {
      const store = await clusterStore();
      try {
        const ids = Array.from({ length: 60 }, (_, i) => `k-${i}`);
        await store.importCustomers(ids.map((id) => ({ id, record: { stage: 'client', profile: {}, identifiers: {}, importedAt: 1 } })));
        const cluster = (store as unknown as { redis: Cluster }).redis;
        const seen: string[] = [];
        let cursor: string | undefined;
        let dropped = false;
        for (let i = 0; i < 500; i++) {
          const page = await store.scanCustomers(cursor, 5);
          seen.push(...page.customers.map((c) => c.id));
          if (page.next === undefined) break;
          cursor = page.next;
          // After the second page (the scan still on its first master), the last master's
          // connection ends: ioredis takes it off the node list until the next slots refresh.
          if (i === 1) {
            dropped = true;
            const last = cluster.nodes('master').sort((a, b) => `${a.options.host}:${a.options.port}`.localeCompare(`${b.options.host}:${b.options.port}`))[2]!;
            const ended = new Promise((r) => last.once('end', r));
            last.disconnect();
            await ended;
            expect(cluster.nodes('master').length).toBe(2);
          }
        }
        expect(dropped).toBe(true);
        expect(seen.length).toBe(ids.length);
        expect(seen.sort()).toEqual([...ids].sort());
        // A cursor of an older Kairos (a master's place in a list) or naming a master that is no
        // longer one (a failover): the phase again from its first master, every customer seen.
        for (const old of ['c|1|7', 'c|10.255.255.1:7000|3']) {
          const again = new Set<string>();
          let at: string | undefined = old;
          for (let i = 0; i < 500 && at !== undefined; i++) {
            const page = await store.scanCustomers(at, 5);
            for (const c of page.customers) again.add(c.id);
            at = page.next;
          }
          expect([...again].sort()).toEqual([...ids].sort());
        }
      } finally {
        await store.close();
      }
    });

    it('takes back, on a Cluster, a meta entry naming a customer erased between its write and the check after it', async () => {
      const prefix = `m${process.pid}-${++n}`;
      const a = await clusterStore(prefix);
      const b = await clusterStore(prefix);
      try {
        await a.importCustomers([{ id: 'c-1', record: { stage: 'client', profile: {}, identifiers: {}, importedAt: 1 } }]);
        // (B's write lands, then A's erasure, which looked for the entries naming c-1 before it: none found)
        const internals = b as unknown as { putMetaMany: (entries: ReadonlyArray<{ key: string; value: unknown }>) => Promise<void> };
        const putMetaMany = internals.putMetaMany.bind(b);
        internals.putMetaMany = async (entries) => {
          await putMetaMany(entries);
          await a.eraseCustomer('c-1', [], undefined, []);
        };
        expect(await b.putMetaUnlessErased('named/1', { n: 1 }, ['c-2', 'c-1'])).toBe(false);
        expect(await a.listMeta('named/', 10)).toEqual([]);
        expect(await a.getMeta('named/1')).toBeUndefined();
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('takes back what a commit wrote before its script for a customer erased in between (identity links, relay mark, due times)', async () => {
      const prefix = `t${process.pid}-${++n}`;
      const a = await singleStore(prefix);
      const b = await singleStore(prefix);
      const raw = new Redis(single!.url);
      try {
        await a.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 1 } } }], identities: [], outbox: [] });
        // B's script for c-1 runs only once A's erasure is done: after B's links, relay mark and due times.
        const node = b as unknown as { redis: Record<string | symbol, unknown> & { kairosCommit: (...x: unknown[]) => Promise<number> } };
        const client = node.redis;
        node.redis = new Proxy(client, {
          get(target, p) {
            if (p === 'kairosCommit') {
              return async (...x: unknown[]) => {
                await a.eraseCustomer('c-1', []);
                return target.kairosCommit(...x);
              };
            }
            const v: unknown = Reflect.get(target, p, target);
            return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
          },
        });
        const reminder = { key: 'c-1|expiry', customer: 'c-1', due: 100, event: 'offer.expiry' };
        const refused = b.commit({
          snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 2 } }, expectRevision: 1 }],
          identities: [{ kind: 'cookie', value: 'ck-1', customer: 'c-1' }],
          outbox: [offerEntry('c-1', 'b-1')],
          reminders: { set: [reminder], remove: [] },
        });
        await expect(refused).rejects.toMatchObject({ stale: [{ customer: 'c-1', erased: true }] });
        expect(await raw.get(`${prefix}:id:cookie:ck-1`)).toBeNull();
        expect(await raw.smembers(`${prefix}:{obx}:dirty`)).toEqual([]);
        expect(await raw.zrange(`${prefix}:{rem}:due`, 0, -1)).toEqual([]);
        expect(await a.listOutbox('sms', 10)).toEqual([]);
      } finally {
        await raw.quit();
        await a.close();
        await b.close();
      }
    });

    it('keeps an erased customer’s entries that another node committed just before the erasure from its relay', async () => {
      const prefix = `d${process.pid}-${++n}`;
      const a = await singleStore(prefix);
      const b = await singleStore(prefix);
      const raw = new Redis(single!.url);
      try {
        // B's script lands before A's tombstone (its entry waits in c-1's `obx` hash); its relay only after A's erasure is done.
        const outbox = (b as unknown as { outbox: { relay: (r: readonly unknown[]) => Promise<void> } }).outbox;
        const relay = outbox.relay.bind(outbox);
        outbox.relay = async (records) => {
          if (records.length > 0) await a.eraseCustomer('c-1', []);
          return relay(records);
        };
        await b.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 1 } } }], identities: [], outbox: [offerEntry('c-1', 'b-1')] });
        outbox.relay = relay;
        expect(await a.listOutbox('sms', 10)).toEqual([]);
        expect(await a.getOutbox('sms', 'b-1')).toBeUndefined();
        expect(await raw.xlen(`${prefix}:{obx:sms}:s`)).toBe(0);
        expect(await raw.exists(`${prefix}:{c:c-1}:obx`)).toBe(0);
        expect(await a.getSnapshot('c-1')).toBeUndefined();
      } finally {
        await raw.quit();
        await a.close();
        await b.close();
      }
    });

    it('takes an erased customer out of the segments another node’s commit just before the erasure put them in', async () => {
      const prefix = `m${process.pid}-${++n}`;
      const a = await singleStore(prefix);
      const b = await singleStore(prefix);
      const raw = new Redis(single!.url);
      try {
        await a.commit({ snapshots: [{ id: 'c-2', value: { v: 1, snapshot: {} }, segments: { enter: ['seniors'], exit: [] } }], identities: [], outbox: [] });
        // B's script lands before A's tombstone; its segment moves only after A's erasure is done.
        const node = b as unknown as { moveMembers: (s: readonly unknown[]) => Promise<void> };
        const move = node.moveMembers.bind(b);
        node.moveMembers = async (snapshots) => {
          if (snapshots.length > 0) await a.eraseCustomer('c-1', []);
          return move(snapshots);
        };
        await b.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: {} }, segments: { enter: ['seniors', 'cafe_lovers'], exit: [] } }], identities: [], outbox: [] });
        expect(await a.listSegmentMembers('seniors', 10)).toEqual(['c-2']);
        expect(await a.listSegmentMembers('cafe_lovers', 10)).toEqual([]);
        expect(await raw.exists(`${prefix}:{c:c-1}:seg`)).toBe(0);
      } finally {
        await raw.quit();
        await a.close();
        await b.close();
      }
    });

    it('takes dead letters written before they left the stream out of it as a claim meets them, so the next claim reads past them', async () => {
      const prefix = `x${process.pid}-${++n}`;
      const a = await singleStore(prefix);
      try {
        await a.commit({ snapshots: [], identities: [], outbox: Array.from({ length: 12 }, (_, i) => offerEntry(`c-${i}`, `d-${i}`, i + 1)) });
        const claimed = await a.coordination.claimOutbox('sms', 'node-a', 10, 60_000);
        expect(claimed).toHaveLength(10);
        // As an earlier version failed them for good: the record rewritten, the entry left pending in the stream.
        const redis = (a as unknown as { redis: { hset: (...x: unknown[]) => Promise<number> } }).redis;
        const { Packr } = await import('msgpackr');
        const packr = new Packr({ useRecords: false, moreTypes: false });
        for (const r of claimed) await redis.hset(`${prefix}:{obx:sms}:r`, r.instance, packr.pack({ ...r, attempts: 1, lastError: 'bad number', dead: true }));
        await a.commit({ snapshots: [], identities: [], outbox: [offerEntry('c-new', 'fresh', 100)] });
        // The claim that meets them answers none of them; the next goes on past them.
        expect((await a.coordination.claimOutbox('sms', 'node-a', 10, 60_000)).filter((r) => r.dead === true)).toEqual([]);
        expect((await a.coordination.claimOutbox('sms', 'node-a', 10, 60_000)).map((r) => r.instance)).toEqual(['d-10', 'd-11', 'fresh']);
        // Still dead letters in the queue, and one retried is claimed again.
        expect((await a.listOutbox('sms', 100)).filter((r) => r.dead === true)).toHaveLength(10);
        expect(await a.retryOutbox('sms', 'd-3')).toBe(true);
        expect((await a.coordination.claimOutbox('sms', 'node-a', 10, 60_000)).map((r) => r.instance)).toEqual(['d-10', 'd-11', 'fresh', 'd-3']);
      } finally {
        await a.close();
      }
    });

    it('loses no change to an outbox record another writer made between a read and its write (a merge moving it, another node failing it)', async () => {
      const prefix = `w${process.pid}-${++n}`;
      const a = await singleStore(prefix);
      const b = await singleStore(prefix);
      const records = `${prefix}:{obx:sms}:r`;
      try {
        await a.commit({ snapshots: [], identities: [], outbox: [offerEntry('c-2', 'i-2', 1), offerEntry('c-3', 'i-3', 2), offerEntry('c-4', 'i-4', 3), offerEntry('c-5', 'i-5', 4), offerEntry('c-6', 'i-6', 5)] });
        expect(await a.failOutbox('sms', 'i-3', 'bad number', { dead: true })).toBe(true);
        const merge = (from: string): Promise<unknown> => a.commit({ snapshots: [], identities: [], outbox: [], rehome: { from, to: 'c-1' } });

        // B fails i-2, and A's merge moves it to c-1 just after B read it.
        afterRead(b, records, () => merge('c-2'));
        expect(await b.failOutbox('sms', 'i-2', 'timeout', { retryAt: 500 })).toBe(true);
        expect(await a.getOutbox('sms', 'i-2')).toMatchObject({ customer: 'c-1', attempts: 1, lastError: 'timeout', nextAttemptAt: 500 });

        // B retries the dead letter i-3, and A's merge moves it to c-1 just after B read it.
        afterRead(b, records, () => merge('c-3'));
        expect(await b.retryOutbox('sms', 'i-3')).toBe(true);
        const retried = await a.getOutbox('sms', 'i-3');
        expect(retried).toMatchObject({ customer: 'c-1', attempts: 1 });
        expect(retried?.dead).toBeUndefined();

        // A's merge reads i-4, and B fails it for good before A writes it back as c-1's.
        afterRead(a, records, () => b.failOutbox('sms', 'i-4', 'refused', { dead: true }));
        await merge('c-4');
        expect(await a.getOutbox('sms', 'i-4')).toMatchObject({ customer: 'c-1', attempts: 1, lastError: 'refused', dead: true });

        // A removal (a delivery) just after B read i-5 still wins: nothing written back.
        afterRead(b, records, () => a.removeOutbox('sms', 'i-5'));
        expect(await b.failOutbox('sms', 'i-5', 'timeout', { retryAt: 500 })).toBe(false);
        expect(await a.getOutbox('sms', 'i-5')).toBeUndefined();

        // A record another writer changes after every read: B gives up (409) rather than spin, and overwrites none of it.
        afterRead(b, records, () => a.failOutbox('sms', 'i-6', 'busy', { retryAt: 900 }), 20);
        await expect(b.failOutbox('sms', 'i-6', 'timeout', { retryAt: 500 })).rejects.toMatchObject({ code: 'conflict' });
        expect(await a.getOutbox('sms', 'i-6')).toMatchObject({ customer: 'c-6', attempts: 20, lastError: 'busy', nextAttemptAt: 900 });

        // The moved records are c-1's; the retried one is claimed, the dead letter is not.
        expect((await a.listOutbox('sms', 10)).map((r) => [r.instance, r.customer])).toEqual([
          ['i-2', 'c-1'],
          ['i-3', 'c-1'],
          ['i-4', 'c-1'],
          ['i-6', 'c-6'],
        ]);
        expect((await a.coordination.claimOutbox('sms', 'node-a', 10, 60_000)).map((r) => r.instance).sort()).toEqual(['i-2', 'i-3', 'i-6']);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('builds the order index of a store written before it when a node opens it', async () => {
      const prefix = `q${process.pid}-${++n}`;
      const a = await singleStore(prefix);
      try {
        await a.commit({ snapshots: [], identities: [], outbox: [offerEntry('c-1', 'i-1', 1), offerEntry('c-2', 'i-2', 2), offerEntry('c-3', 'i-3', 3)] });
        // As an earlier version left it: records and stream, no order index.
        const redis = (a as unknown as { redis: { del: (...x: string[]) => Promise<number> } }).redis;
        await redis.del(`${prefix}:{obx:sms}:q`);
        expect(await a.listOutbox('sms', 10)).toEqual([]);
        const b = await singleStore(prefix);
        try {
          expect((await b.listOutbox('sms', 2)).map((r) => r.instance)).toEqual(['i-1', 'i-2']);
          expect(await b.removeOutbox('sms', 'i-1')).toBe(true);
          expect((await b.listOutbox('sms', 10)).map((r) => r.instance)).toEqual(['i-2', 'i-3']);
          expect(await a.getOutbox('sms', 'i-3')).toMatchObject({ instance: 'i-3', customer: 'c-3' });
        } finally {
          await b.close();
        }
      } finally {
        await a.close();
      }
    });
  });
});


/**
 * Runs `then` (another writer's change) just after each of this store's next `times` reads of
 * the hash `key` (one field or all), before the store writes what it read: a deterministic
 * interleaving.
 */
function afterRead(store: RedisStore, key: string, then: () => Promise<unknown>, times = 1): void {
  const client = (store as unknown as { redis: Record<string, unknown> }).redis;
  const reads = ['hgetBuffer', 'hgetallBuffer'] as const;
  const originals = reads.map((m) => [m, client[m] as (...x: unknown[]) => Promise<unknown>] as const);
  const restore = (): void => {
    for (const [m] of originals) delete client[m];
  };
  for (const [m, read] of originals) {
    client[m] = async (...x: unknown[]) => {
      const got = await read.apply(client, x);
      if (x[0] !== key) return got;
      if (--times === 0) restore();
      await then();
      return got;
    };
  }
}
