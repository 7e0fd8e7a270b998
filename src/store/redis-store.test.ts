import { afterAll, describe, expect, it } from 'vitest';
import { runRedisTests, startRedis, startRedisCluster } from '../test-support/redis.js';
import { RedisStore } from './redis-store.js';
import { StaleSnapshotError } from './store.js';
import { describeStoreContract, offerEntry } from './store.contract.js';

/**
 * The Redis store against real redis-server processes (no mocks): the store contract on one
 * Redis and on a Redis Cluster of three masters, then what only a shared store must do:
 * compare-and-set snapshots, relays finished after a crash, reminders and outbox entries
 * claimed by one node at a time.
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

  describe('shared by several nodes', () => {
    it('refuses a snapshot written from a stale revision, and writes nothing of that customer', async () => {
      const prefix = `s${process.pid}-${++n}`;
      const a = await singleStore(prefix);
      const b = await singleStore(prefix);
      try {
        await a.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 0 } } }], identities: [], outbox: [] });
        const seenByA = await a.getSnapshot('c-1');
        const seenByB = await b.getSnapshot('c-1');
        expect(seenByA?.rev).toBe(1);
        // A writes first; B, still at revision 1, is refused: nothing of c-1 from B lands (no SMS).
        await a.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 1 } }, expectRevision: seenByA!.rev! }], identities: [], outbox: [offerEntry('c-1', 'a-1')] });
        const stale = b.commit({
          snapshots: [
            { id: 'c-1', value: { v: 1, snapshot: { n: 2 } }, expectRevision: seenByB!.rev! },
            { id: 'c-2', value: { v: 1, snapshot: { n: 9 } } },
          ],
          identities: [],
          outbox: [offerEntry('c-1', 'b-1'), offerEntry('c-2', 'b-2')],
        });
        await expect(stale).rejects.toBeInstanceOf(StaleSnapshotError);
        await expect(stale).rejects.toMatchObject({ customer: 'c-1', revision: 2 });
        expect(await a.getSnapshot('c-1')).toEqual({ v: 1, snapshot: { n: 1 }, rev: 2 });
        expect((await a.listOutbox('sms', 10)).map((r) => r.instance).sort()).toEqual(['a-1', 'b-2']);
        // B reloads and retries on the fresh revision: accepted.
        const fresh = await b.getSnapshot('c-1');
        await b.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 2 } }, expectRevision: fresh!.rev! }], identities: [], outbox: [offerEntry('c-1', 'b-1')] });
        expect(await a.getSnapshot('c-1')).toEqual({ v: 1, snapshot: { n: 2 }, rev: 3 });
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('reserves shared budgets all or nothing: a customer whose contact would pass one is refused, and a stale one gives its share back', async () => {
      const prefix = `b${process.pid}-${++n}`;
      const a = await singleStore(prefix);
      try {
        const charge = (customer: string) => ({ customer, key: 'budget/camp', contacts: 1, cost: 2.5, maxContacts: 2 });
        const snap = (id: string) => ({ id, value: { v: 1, snapshot: { id } } });
        await a.commit({ snapshots: [snap('c-1')], identities: [], outbox: [offerEntry('c-1', 'i-1')], charges: [charge('c-1')] });
        expect(await a.sharedTotals(['budget/camp'])).toEqual(new Map([['budget/camp', { contacts: 1, cost: 2.5 }]]));
        // c-2 fits (2 of 2); c-3 would be the third: refused, nothing of it written.
        const over = a.commit({ snapshots: [snap('c-2'), snap('c-3')], identities: [], outbox: [offerEntry('c-2', 'i-2'), offerEntry('c-3', 'i-3')], charges: [charge('c-2'), charge('c-3')] });
        await expect(over).rejects.toMatchObject({ stale: [{ revision: -1 }] });
        const refused = ((await over.catch((e: unknown) => e)) as StaleSnapshotError).stale[0]!.customer;
        expect(await a.getSnapshot(refused)).toBeUndefined();
        expect((await a.listOutbox('sms', 10)).map((r) => r.customer).sort()).toEqual(['c-1', refused === 'c-2' ? 'c-3' : 'c-2']);
        expect((await a.sharedTotals(['budget/camp'])).get('budget/camp')).toEqual({ contacts: 2, cost: 5 });
        // A stale snapshot's reservation is given back.
        await a.commit({ snapshots: [{ ...snap('c-9'), expectRevision: 5 }], identities: [], outbox: [], charges: [{ ...charge('c-9'), maxContacts: 10 }] }).catch(() => undefined);
        expect((await a.sharedTotals(['budget/camp'])).get('budget/camp')).toEqual({ contacts: 2, cost: 5 });
      } finally {
        await a.close();
      }
    });

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

    it('lets one node at a time claim a due reminder, and another after the lease when the first died', async () => {
      const prefix = `m${process.pid}-${++n}`;
      const a = await singleStore(prefix);
      const b = await singleStore(prefix);
      try {
        const reminders = Array.from({ length: 20 }, (_, i) => ({ key: `c-${i}|expiry`, customer: `c-${i}`, due: 100 + i, event: 'offer.expiry' }));
        await a.commit({ snapshots: [], identities: [], outbox: [], reminders: { set: reminders, remove: [] } });
        const [fromA, fromB] = await Promise.all([a.claimReminders(1000, 15, 5000), b.claimReminders(1000, 15, 5000)]);
        const keys = [...fromA, ...fromB].map((r) => r.key);
        expect(new Set(keys).size).toBe(keys.length);
        expect(keys.sort()).toEqual(reminders.map((r) => r.key).sort());
        // Nothing is due for anyone during the lease; after it (A died), B claims A's.
        expect(await b.claimReminders(2000, 100, 5000)).toEqual([]);
        const again = await b.claimReminders(1000 + 5000, 100, 5000);
        expect(again.map((r) => r.key).sort()).toEqual(keys.sort());
        // A reminder dropped by its commit is gone from the index.
        await b.commit({ snapshots: [], identities: [], outbox: [], reminders: { set: [], remove: again.map((r) => r.key) } });
        expect(await a.claimReminders(Number.MAX_SAFE_INTEGER, 100, 5000)).toEqual([]);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('hands a channel’s entries to one consumer each; a dead consumer’s pending entries go to another', async () => {
      const prefix = `o${process.pid}-${++n}`;
      const a = await singleStore(prefix);
      const b = await singleStore(prefix);
      try {
        await a.commit({ snapshots: [], identities: [], outbox: Array.from({ length: 10 }, (_, i) => offerEntry(`c-${i}`, `i-${i}`)) });
        const [forA, forB] = await Promise.all([a.claimOutbox('sms', 'node-a', 6, 60_000), b.claimOutbox('sms', 'node-b', 6, 60_000)]);
        const all = [...forA, ...forB].map((r) => r.instance);
        expect(new Set(all).size).toBe(10);
        expect(all).toHaveLength(10);
        // B delivers its share; A dies with its share pending. After A's entries are idle long
        // enough, B claims them.
        for (const r of forB) expect(await b.removeOutbox('sms', r.instance)).toBe(true);
        expect(await b.claimOutbox('sms', 'node-b', 10, 60_000)).toEqual([]);
        await new Promise((r) => setTimeout(r, 50));
        const taken = await b.claimOutbox('sms', 'node-b', 10, 20);
        expect(taken.map((r) => r.instance).sort()).toEqual(forA.map((r) => r.instance).sort());
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
});
