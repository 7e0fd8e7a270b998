import { afterAll, describe, expect, it } from 'vitest';
import { runRedisTests, startRedis, startRedisCluster } from '../test-support/redis.js';
import { RedisStore } from './redis-store.js';
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
