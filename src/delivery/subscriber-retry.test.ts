import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../../actors/index.js';
import { deadPage } from '../admin/delivery-routes.js';
import { ManualClock } from '../clock.js';
import { KairosError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { RedisStore } from '../store/redis-store.js';
import type { OutboxRecord, Store } from '../store/store.js';
import { runRedisTests, startRedis } from '../test-support/redis.js';
import { tempDir } from '../test-support/test-kairos.js';
import { CommittedFeed } from './committed-feed.js';
import type { DeliveryHost } from './delivery-host.js';
import type { ChannelAdapter } from './dispatcher.js';
import { OutboxDispatcher } from './dispatcher.js';
import type { DeliverFrame, Subscriber } from './gateway-subscribers.js';

/**
 * A subscriber's `failed` confirmation follows the retry and dead-letter policy of the own
 * adapters (docs/delivery.md): retried after the backoff (not before), doubling, and after the
 * last attempt a dead letter that is not delivered again; and on Redis, dead letters never
 * keep a channel's claim from new entries. On each store (memory, LMDB, a real Redis), on a
 * manual clock: the dispatcher's poll runs on real time, the backoff on the manual clock.
 */

const START = 1_700_000_000_000;
const BACKOFF = 1000;
const MAX_ATTEMPTS = 3;
const POLL = 20;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class Endpoint implements Subscriber {
  readonly frames: DeliverFrame[] = [];
  open = true;
  deliver(frame: DeliverFrame): void {
    this.frames.push(frame);
  }
}

/** A customer host that records what it is told (no actor: the send-time check looks only at expiry). */
function recordingHost(): DeliveryHost & { reports: Array<[string, string]> } {
  const reports: Array<[string, string]> = [];
  return {
    reports,
    submitDelivery: (instance, status) => {
      reports.push([instance, status]);
      return Promise.resolve({ kind: 'ack' });
    },
    submitEvent: () => Promise.resolve({ kind: 'ack' }),
  };
}

const offer = (channel: string, instance: string, at = 1): OutboxEntry => ({
  kind: 'offer',
  instance,
  customer: instance.split(':')[0]!,
  channel,
  campaign: 'atm-shortfall',
  offer: 'atm-microcredit',
  content: { title: 'Кредит', text: 'До зарплаты' },
  expiresAt: START + 30 * 86_400_000,
  at,
});

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
let n = 0;
afterAll(async () => {
  await redis?.close();
});

const closing: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

const stores: Array<[string, () => Promise<Store>, boolean]> = [
  ['memory', () => Promise.resolve(new MemoryStore()), true],
  [
    'lmdb',
    () => {
      const t = tempDir('kairos-subscriber-retry-');
      const store = new LmdbStore(t.dir);
      closing.push(() => t.remove());
      return Promise.resolve(store);
    },
    true,
  ],
  [
    'redis',
    async () => {
      redis ??= await startRedis();
      return new RedisStore({ url: redis.url, prefix: `subretry${process.pid}-${++n}` }).open();
    },
    runRedisTests,
  ],
];

function running(store: Store, clock: ManualClock, host: DeliveryHost, adapters: readonly ChannelAdapter[] = []) {
  const committed = new CommittedFeed();
  const metrics = createMetrics();
  const d = new OutboxDispatcher({ store, consumer: 'node-1', clock, logger: createLogger('silent'), metrics, host, committed, adapters, maxAttempts: MAX_ATTEMPTS, backoffMs: BACKOFF, pollMs: POLL, subscriberWindow: 16 });
  // stopped before the store closes (the later cleanup runs first)
  closing.push(() => store.close());
  closing.push(() => d.stop());
  d.start();
  const count = async (result: string): Promise<number> => (await metrics.deliveries.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
  return { d, committed, count };
}

for (const [name, open, enabled] of stores) {
  describe.runIf(enabled)(`a subscriber's failed confirmation: ${name}`, () => {
    it('is retried after the backoff and not before, doubling; after the last attempt it is a dead letter, reported failed once, and not delivered again', async () => {
      const store = await open();
      const clock = new ManualClock(START);
      const host = recordingHost();
      const { d, committed, count } = running(store, clock, host);
      const sub = new Endpoint();
      d.subscribers.subscribe(sub, ['ib']);
      const instance = 'c-1:1.a';
      committed.push(await store.commit({ snapshots: [], identities: [], outbox: [offer('ib', instance)] }));
      await until('the first delivery', () => (sub.frames.length === 1 ? true : undefined));

      for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
        await d.subscribers.confirm(sub, { t: 'failed', instance, reason: 'operator screen offline' });
        const failedAt = clock.now();
        const delay = BACKOFF * 2 ** (attempt - 1);
        // Not before the backoff: many polls on the clock just short of it.
        await sleep(10 * POLL);
        clock.advance(delay - 1);
        await sleep(10 * POLL);
        expect(sub.frames).toHaveLength(attempt);
        // After it: delivered again within a poll or so.
        clock.advance(1);
        await until(`delivery ${attempt + 1}`, () => (sub.frames.length === attempt + 1 ? true : undefined));
        expect(sub.frames.at(-1)).toMatchObject({ t: 'deliver', instance, channel: 'ib' });
        const waited = await store.getOutbox('ib', instance);
        expect(waited).toMatchObject({ attempts: attempt, lastError: 'operator screen offline', nextAttemptAt: failedAt + delay });
        expect(waited).not.toHaveProperty('dead');
        // The customer's contact is told nothing while the delivery is retried.
        expect(host.reports).toEqual([]);
      }

      // The last attempt fails: a dead letter, as the own adapters leave theirs.
      await d.subscribers.confirm(sub, { t: 'failed', instance, reason: 'operator screen offline' });
      const dead = await store.getOutbox('ib', instance);
      expect(dead).toMatchObject({ attempts: MAX_ATTEMPTS, dead: true, lastError: 'operator screen offline' });
      expect(dead).not.toHaveProperty('nextAttemptAt');
      expect(host.reports).toEqual([[instance, 'failed']]);
      expect((await deadPage(store, 'ib', {})).entries.map((r) => r.instance)).toEqual([instance]);
      expect(await count('failed')).toBe(MAX_ATTEMPTS);
      expect(await count('dead')).toBe(1);

      // Never delivered again: not after any wait, nor to a new subscriber reading the queue from its start.
      clock.advance(10 * 3_600_000);
      await sleep(10 * POLL);
      const late = new Endpoint();
      d.subscribers.subscribe(late, ['ib']);
      await sleep(10 * POLL);
      expect(sub.frames).toHaveLength(MAX_ATTEMPTS);
      expect(late.frames).toEqual([]);
      // Delivered once more after an operator's retry (the admin route's store call and kick).
      const was = await store.getOutbox('ib', instance);
      expect(await store.retryOutbox('ib', instance)).toBe(true);
      d.retried(was!);
      await until('the retried dead letter delivered', () => (sub.frames.length + late.frames.length === MAX_ATTEMPTS + 1 ? true : undefined));
    });

    it('is not redelivered before its backoff to a subscriber that reads the queue again, while the entries after it go on', async () => {
      const store = await open();
      const clock = new ManualClock(START);
      const { d, committed } = running(store, clock, recordingHost());
      const sub = new Endpoint();
      d.subscribers.subscribe(sub, ['ib']);
      committed.push(await store.commit({ snapshots: [], identities: [], outbox: [offer('ib', 'c-1:1.a', 1)] }));
      await until('the first delivery', () => (sub.frames.length === 1 ? true : undefined));
      await d.subscribers.confirm(sub, { t: 'failed', instance: 'c-1:1.a', reason: 'busy' });
      // A new subscriber, and a new entry behind the waiting one.
      const other = new Endpoint();
      d.subscribers.subscribe(other, ['ib']);
      committed.push(await store.commit({ snapshots: [], identities: [], outbox: [offer('ib', 'c-2:1.a', 2)] }));
      await until('the entry behind it delivered', () => ([...sub.frames, ...other.frames].some((f) => f.instance === 'c-2:1.a') ? true : undefined));
      await sleep(10 * POLL);
      expect([...sub.frames, ...other.frames].filter((f) => f.instance === 'c-1:1.a')).toHaveLength(1);
      clock.advance(BACKOFF);
      await until('the retry', () => ([...sub.frames, ...other.frames].filter((f) => f.instance === 'c-1:1.a').length === 2 ? true : undefined));
    });
  });

  // Redis only: a single node's claim pages past dead letters already (dispatcher.test.ts)
  if (name === 'redis') describe.runIf(enabled)(`the own adapters' claim behind dead letters: ${name}`, () => {
    it('delivers a new entry of a channel with more dead letters than one claim takes', async () => {
      const store = await open();
      const clock = new ManualClock(START);
      const sent: string[] = [];
      const adapter: ChannelAdapter = {
        channel: 'sms',
        ratePerSec: 1_000_000,
        send: (r: OutboxRecord) => {
          if (r.instance.startsWith('bad-')) return Promise.reject(new KairosError('delivery_refused', 'no such number'));
          sent.push(r.instance);
          return Promise.resolve();
        },
      };
      const { committed } = running(store, clock, recordingHost(), [adapter]);
      // More than a claim's page (1,000) of refused SMS, each a dead letter at its first attempt.
      const bad = 1200;
      for (let b = 0; b < bad; b += 400) {
        committed.push(await store.commit({ snapshots: [], identities: [], outbox: Array.from({ length: 400 }, (_, i) => offer('sms', `bad-${b + i}:1.a`, b + i + 1)) }));
      }
      const deadCount = async (): Promise<number> => (await store.listOutbox('sms', 5000)).filter((r) => r.dead === true).length;
      await until('a claim’s page of dead letters', async () => ((await deadCount()) >= 1000 ? true : undefined), 20_000);
      committed.push(await store.commit({ snapshots: [], identities: [], outbox: [offer('sms', 'fresh:1.a', bad + 1)] }));
      await until('the fresh SMS sent', () => (sent.includes('fresh:1.a') ? true : undefined), 10_000);
      await until('every refused SMS a dead letter', async () => ((await deadCount()) === bad ? true : undefined), 10_000);
      expect(sent).toEqual(['fresh:1.a']);
      expect(await store.getOutbox('sms', 'fresh:1.a')).toBeUndefined();
    }, 60_000);
  });
}
