import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { DEAD_LETTERS_PER_CLAIM } from '../store/coordination.js';
import { MemoryStore } from '../store/memory-store.js';
import type { OutboxRecord, Store } from '../store/store.js';
import type { TestSmsc } from '../test-support/smsc.js';
import { startTestSmsc } from '../test-support/smsc.js';
import { CommittedFeed } from './committed-feed.js';
import type { DeliveryHost } from './delivery-host.js';
import { OutboxDispatcher } from './dispatcher.js';
import { SmppAdapter } from './smpp-adapter.js';

/** The own adapters' dispatcher on a single node, sending SMS to an SMSC simulator started here. */

/** a day after the run: the dispatcher's clock is the system's (a fixed date would expire the offers once the calendar passes it) */
const EXPIRES = Date.now() + 86_400_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const host: DeliveryHost = { submitDelivery: () => Promise.resolve({ kind: 'ack' }), submitEvent: () => Promise.resolve({ kind: 'ack' }) };
const sms = (instance: string): OutboxRecord => ({ kind: 'offer', instance, customer: instance.split(':')[0]!, channel: 'sms', campaign: 'camp', offer: 'off', content: { text: 'Hello' }, expiresAt: EXPIRES, at: 1, to: '+79160000001', seq: 0, attempts: 0 });

let smsc: TestSmsc | undefined;
const closing: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await Promise.race([close(), sleep(2000)]);
  await smsc?.close();
  smsc = undefined;
});

async function running(store: Store): Promise<{ submitted: string[]; committed: CommittedFeed }> {
  const submitted: string[] = [];
  smsc = await startTestSmsc((pdu) => {
    submitted.push(pdu.destination_addr ?? '');
    return { message_id: `m-${submitted.length}` };
  });
  const adapter = new SmppAdapter({ url: `smpp://127.0.0.1:${smsc.port}`, systemId: 'kairos', password: 'secret', source: 'BANK', ratePerSec: 100, logger: createLogger('silent'), clock: systemClock, host });
  const committed = new CommittedFeed();
  const d = new OutboxDispatcher({ store, clock: systemClock, logger: createLogger('silent'), metrics: createMetrics(), host, committed, adapters: [adapter], maxAttempts: 3, backoffMs: 30, pollMs: 20, subscriberWindow: 100 });
  closing.push(() => d.stop());
  d.start();
  return { submitted, committed };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** `n` dead letters at the head of the SMS queue (bad numbers, refused for good). */
async function deadLetters(store: Store, n: number): Promise<void> {
  const old = Array.from({ length: n }, (_, i) => sms(`c-${i}:1.a`));
  await store.commit({ snapshots: [], identities: [], outbox: old });
  for (const r of old) await store.failOutbox('sms', r.instance, 'bad number', { dead: true });
}

describe('OutboxDispatcher: dead letters keep their place without holding the queue', () => {
  it('an SMS queued behind 1,000 dead letters is sent', async () => {
    const store = new MemoryStore();
    await deadLetters(store, 1000);
    const { submitted, committed } = await running(store);
    committed.push(await store.commit({ snapshots: [], identities: [], outbox: [sms('fresh:1.a')] }));
    await until('the fresh SMS sent', async () => ((await store.getOutbox('sms', 'fresh:1.a')) === undefined ? true : undefined), 3000);
    expect(submitted).toHaveLength(1);
    // The dead letters are still there to be seen and retried.
    expect((await store.listOutbox('sms', 2000)).filter((r) => r.dead === true)).toHaveLength(1000);
  });

  it('an SMS queued behind more dead letters than one pass reads past is sent a few passes later', async () => {
    const store = new MemoryStore();
    await deadLetters(store, 2 * DEAD_LETTERS_PER_CLAIM + 500);
    const { submitted, committed } = await running(store);
    committed.push(await store.commit({ snapshots: [], identities: [], outbox: [sms('fresh:1.a')] }));
    await until('the fresh SMS sent', async () => ((await store.getOutbox('sms', 'fresh:1.a')) === undefined ? true : undefined), 5000);
    expect(submitted).toHaveLength(1);
  });
});
