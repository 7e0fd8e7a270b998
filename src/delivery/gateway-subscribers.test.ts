import { describe, expect, it } from 'vitest';
import type { CustomerContext, OutboxEntry } from '../../actors/index.js';
import { backofficeEntry } from '../test-support/outbox-entries.js';
import { compileCatalog } from '../../actors/index.js';
import { ManualClock } from '../clock.js';
import { emptyCatalog } from '../default-catalog.js';
import { KairosError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { BudgetLedger } from '../runtime/budget-ledger.js';
import { CustomerHost } from '../runtime/customer-host.js';
import { ModelRegistry } from '../runtime/model-registry.js';
import { PropensityLedger } from '../runtime/propensity-ledger.js';
import { UpliftLedger } from '../runtime/uplift-ledger.js';
import { StopList } from '../stop-list.js';
import { MemoryStore } from '../store/memory-store.js';
import { CommittedFeed } from './committed-feed.js';
import type { DeliveryHost } from './delivery-host.js';
import { OutboxDispatcher } from './dispatcher.js';
import type { DeliverFrame, Subscriber } from './gateway-subscribers.js';
import { GatewaySubscribers } from './gateway-subscribers.js';

/**
 * The gateway-subscriber adapter on the memory store, without sockets: each subscriber is an
 * endpoint that keeps the frames it is handed. Back-office entries are used, so no customer's
 * actor is told anything (offers are covered through the server in gateway-delivery.test.ts).
 */

class Endpoint implements Subscriber {
  readonly frames: DeliverFrame[] = [];
  open = true;
  deliver(frame: DeliverFrame): void {
    this.frames.push(frame);
  }
  /** the instances handed to it and not yet confirmed by the test */
  pending(confirmed: ReadonlySet<string>): string[] {
    return this.frames.map((f) => f.instance).filter((i) => !confirmed.has(i));
  }
}

const noHost: DeliveryHost = {
  submitDelivery: () => Promise.reject(new KairosError('internal', 'back-office deliveries are not reported')),
  submitEvent: () => Promise.reject(new KairosError('internal', 'no events here')),
};

const action = backofficeEntry;

/** Lets the store's reads (promise callbacks) and the adapter's follow-up reads run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** An offer for a screen of the internet bank, to a customer the store does not hold (erased, or never imported). */
const offer = (i: number): OutboxEntry => ({
  kind: 'offer',
  instance: `c-gone-${i}:1.a`,
  customer: `c-gone-${i}`,
  channel: 'ib',
  campaign: 'atm-shortfall',
  offer: 'atm-microcredit',
  content: { title: 'Кредит', text: 'До зарплаты' },
  expiresAt: 10_000_000,
  at: i,
});

/** A real customer host on the store, with no catalog to speak of; `maxInFlight: 0` refuses every request `overloaded`. */
function realHost(store: MemoryStore, maxInFlight: number): CustomerHost {
  return new CustomerHost({
    store,
    catalog: () => compileCatalog(emptyCatalog),
    clock: new ManualClock(1_000_000),
    logger: createLogger('silent'),
    metrics: createMetrics(),
    stopList: new StopList(store),
    ledger: new BudgetLedger(),
    propensity: new PropensityLedger(),
    models: new ModelRegistry(),
    uplift: new UpliftLedger(),
    durability: 'commit',
    flushIntervalMs: 10,
    flushBatch: 1000,
    maxHotActors: 100,
    maxInFlight,
  });
}

async function setup(
  window: number,
  entries: number,
  dispatched: ReadonlySet<string> = new Set(),
  entry: (i: number) => OutboxEntry = action,
  host: (store: MemoryStore) => DeliveryHost = () => noHost,
  maxAttempts = 3,
): Promise<{ store: MemoryStore; subs: GatewaySubscribers; clock: ManualClock }> {
  const store = new MemoryStore();
  if (entries > 0) await store.commit({ snapshots: [], identities: [], outbox: Array.from({ length: entries }, (_, i) => entry(i + 1)) });
  const clock = new ManualClock(1_000_000);
  const subs = new GatewaySubscribers({ store, logger: createLogger('error'), metrics: createMetrics(), window, pollMs: 1000, clock, retry: { maxAttempts, backoffMs: 1000 }, dispatched, host: host(store) });
  subs.start();
  return { store, subs, clock };
}

describe('the gateway-subscriber adapter', () => {
  it('hands a backlog out a window at a time, the next page at half the window, each entry once, and the outbox ends empty', async () => {
    const { store, subs } = await setup(10, 35);
    const a = new Endpoint();
    subs.subscribe(a, ['backoffice']);
    await settle();
    expect(a.frames).toHaveLength(10);
    const confirmed = new Set<string>();
    // Four confirmations leave six out: above half the window, no new page.
    for (const instance of a.pending(confirmed).slice(0, 4)) {
      await subs.confirm(a, { t: 'delivered', instance, channel: 'backoffice' });
      confirmed.add(instance);
    }
    await settle();
    expect(a.frames).toHaveLength(10);
    while (confirmed.size < 35) {
      const pending = a.pending(confirmed);
      expect(pending.length).toBeGreaterThan(0);
      expect(pending.length).toBeLessThanOrEqual(10);
      for (const instance of pending) {
        await subs.confirm(a, { t: 'delivered', instance });
        confirmed.add(instance);
      }
      await settle();
    }
    expect(new Set(a.frames.map((f) => f.instance)).size).toBe(a.frames.length);
    expect(a.frames).toHaveLength(35);
    expect(a.frames[0]).toEqual({ t: 'deliver', instance: 'bk-1', customer: 'c-1', channel: 'backoffice', campaign: 'atm-shortfall', offer: 'atm-microcredit', content: { action: 'issue_credit', vars: { n: 1 } } });
    expect(await store.listOutbox('backoffice', 100)).toEqual([]);
  });

  it('shares a channel round robin, and what a closing subscriber held goes to the other', async () => {
    const { subs } = await setup(4, 6);
    const a = new Endpoint();
    const b = new Endpoint();
    subs.subscribe(a, ['backoffice']);
    subs.subscribe(b, ['backoffice']);
    await settle();
    expect(a.frames.length + b.frames.length).toBe(6);
    expect(a.frames.length).toBeGreaterThan(0);
    expect(b.frames.length).toBeGreaterThan(0);
    a.open = false;
    subs.unsubscribe(a);
    await settle();
    // b takes what a held up to its window; the rest waits in the outbox until b confirms.
    expect(b.frames).toHaveLength(4);
    for (const f of [...b.frames]) await subs.confirm(b, { t: 'delivered', instance: f.instance });
    await settle();
    expect(new Set(b.frames.map((f) => f.instance))).toEqual(new Set(['bk-1', 'bk-2', 'bk-3', 'bk-4', 'bk-5', 'bk-6']));
  });

  it('sends committed entries straight out once the backlog is read, and keeps them in the outbox when no subscriber has room', async () => {
    const { store, subs } = await setup(2, 0);
    const a = new Endpoint();
    subs.subscribe(a, ['backoffice']);
    await settle();
    subs.push(await store.commit({ snapshots: [], identities: [], outbox: [action(1)] }));
    expect(a.frames.map((f) => f.instance)).toEqual(['bk-1']);
    subs.push(await store.commit({ snapshots: [], identities: [], outbox: [action(2), action(3)] }));
    expect(a.frames.map((f) => f.instance)).toEqual(['bk-1', 'bk-2']);
    await subs.confirm(a, { t: 'delivered', instance: 'bk-1' });
    await settle();
    expect(a.frames.map((f) => f.instance)).toEqual(['bk-1', 'bk-2', 'bk-3']);
    expect((await store.listOutbox('backoffice', 10)).map((r) => r.instance)).toEqual(['bk-2', 'bk-3']);
  });

  it("refuses a channel an own adapter delivers, too many channels, and a confirmation of what the subscriber was not handed", async () => {
    const { subs, clock } = await setup(4, 2, new Set(['email']));
    const a = new Endpoint();
    expect(() => subs.subscribe(a, ['backoffice', 'email'])).toThrow(expect.objectContaining({ code: 'invalid', message: expect.stringContaining('"email" is delivered by this server itself') }));
    expect(() => subs.subscribe(a, Array.from({ length: 65 }, (_, i) => `ch-${i}`))).toThrow(expect.objectContaining({ code: 'invalid', message: expect.stringContaining('at most 64 channels') }));
    await expect(subs.confirm(a, { t: 'delivered', instance: 'bk-1' })).rejects.toMatchObject({ code: 'invalid' });
    const b = new Endpoint();
    subs.subscribe(b, ['backoffice']);
    await settle();
    expect(b.frames).toHaveLength(2);
    // Another subscriber cannot confirm b's delivery; a failed one stays in the outbox, waiting for its retry.
    await expect(subs.confirm(a, { t: 'delivered', instance: 'bk-1' })).rejects.toMatchObject({ code: 'invalid' });
    await subs.confirm(b, { t: 'failed', instance: 'bk-1', reason: 'screen offline' });
    const c = new Endpoint();
    subs.subscribe(c, ['backoffice']);
    await settle();
    // A new subscriber reads the queue from its start: the failed entry is offered again (to b or c) once its backoff is over.
    expect([...b.frames, ...c.frames].filter((f) => f.instance === 'bk-1')).toHaveLength(1);
    clock.advance(1000);
    const d = new Endpoint();
    subs.subscribe(d, ['backoffice']);
    await settle();
    expect([...b.frames, ...c.frames, ...d.frames].filter((f) => f.instance === 'bk-1')).toHaveLength(2);
  });

  it("reports no seed-list copy to the customer's actor: it is the bank's test recipient's, not a contact", async () => {
    // noHost refuses every report: a seed copy's confirmation must not ask for one.
    const seed = (i: number): OutboxEntry => ({ ...offer(i), seed: true, to: '+79990000001' }) as OutboxEntry;
    const { store, subs } = await setup(4, 1, new Set(), seed);
    const a = new Endpoint();
    subs.subscribe(a, ['ib']);
    await settle();
    expect(a.frames.map((f) => f.instance)).toEqual(['c-gone-1:1.a']);
    await subs.confirm(a, { t: 'delivered', instance: 'c-gone-1:1.a' });
    expect(await store.listOutbox('ib', 10)).toEqual([]);
  });

  it('stores no confirmation the customer host did not take: the delivery stays the subscriber’s to confirm again', async () => {
    // The first attempt is the last: a `failed` one is a dead letter, reported to the customer's actor first.
    const { store, subs } = await setup(4, 1, new Set(), offer, (st) => realHost(st, 0), 1);
    const a = new Endpoint();
    subs.subscribe(a, ['ib']);
    await settle();
    expect(a.frames.map((f) => f.instance)).toEqual(['c-gone-1:1.a']);
    await expect(subs.confirm(a, { t: 'delivered', instance: 'c-gone-1:1.a' })).rejects.toMatchObject({ code: 'overloaded' });
    // Not stored, and still awaiting this subscriber's confirmation (a retry is not `invalid`), not handed out again.
    expect((await store.listOutbox('ib', 10)).map((r) => r.instance)).toEqual(['c-gone-1:1.a']);
    await expect(subs.confirm(a, { t: 'failed', instance: 'c-gone-1:1.a', reason: 'screen offline' })).rejects.toMatchObject({ code: 'overloaded' });
    expect((await store.listOutbox('ib', 10)).map((r) => [r.instance, r.attempts, r.dead ?? false])).toEqual([['c-gone-1:1.a', 0, false]]);
    await settle();
    expect(a.frames).toHaveLength(1);
  });

  it('stores a failed attempt to be retried without asking the customer host: its contact learns nothing until the last attempt', async () => {
    const { store, subs } = await setup(4, 1, new Set(), offer, (st) => realHost(st, 0));
    const a = new Endpoint();
    subs.subscribe(a, ['ib']);
    await settle();
    await subs.confirm(a, { t: 'failed', instance: 'c-gone-1:1.a', reason: 'screen offline' });
    expect(await store.getOutbox('ib', 'c-gone-1:1.a')).toMatchObject({ attempts: 1, lastError: 'screen offline', nextAttemptAt: 1_000_000 + 1000 });
  });

  it('stores the confirmation of an offer whose customer is gone (no contact to record it on) and answers it done', async () => {
    const { store, subs } = await setup(4, 2, new Set(), offer, (st) => realHost(st, 100));
    const a = new Endpoint();
    subs.subscribe(a, ['ib']);
    await settle();
    expect(a.frames).toHaveLength(2);
    await subs.confirm(a, { t: 'delivered', instance: 'c-gone-1:1.a' });
    await subs.confirm(a, { t: 'failed', instance: 'c-gone-2:1.a', reason: 'screen offline' });
    expect((await store.listOutbox('ib', 10)).map((r) => [r.instance, r.attempts])).toEqual([['c-gone-2:1.a', 1]]);
  });
});

/** The send-time check's activation of a passivated customer, through the dispatcher (a single node). */
describe('GatewaySubscribers: a customer whose activation fails', () => {
  it('an entry whose customer could not be activated once (a store read failed) is read again and delivered after the poll interval', async () => {
    let live = false;
    let failures = 1;
    const host: DeliveryHost = {
      submitDelivery: () => Promise.resolve({ kind: 'ack' }),
      submitEvent: () => Promise.resolve({ kind: 'ack' }),
      sendFacts: () => (live ? { context: { consents: {}, contacts: [] } as unknown as CustomerContext, stops: [], consentRequired: new Set() } : undefined),
      activate: () => {
        if (failures-- > 0) return Promise.reject(new Error('store read failed (transient)'));
        live = true;
        return Promise.resolve(true);
      },
    };
    const store = new MemoryStore();
    const committed = new CommittedFeed();
    const d = new OutboxDispatcher({ store, clock: new ManualClock(0), logger: createLogger('silent'), metrics: createMetrics(), host, committed, adapters: [], maxAttempts: 3, backoffMs: 30, pollMs: 50, subscriberWindow: 100 });
    const a = new Endpoint();
    d.start();
    d.subscribers.subscribe(a, ['ib']);
    try {
      committed.push(await store.commit({ snapshots: [], identities: [], outbox: [offer(1)] }));
      await new Promise((r) => setTimeout(r, 200));
      // A later entry moves the cursor on; the first is not left behind.
      committed.push(await store.commit({ snapshots: [], identities: [], outbox: [offer(2)] }));
      await new Promise((r) => setTimeout(r, 300));
      expect(a.frames.map((f) => f.instance).sort()).toEqual(['c-gone-1:1.a', 'c-gone-2:1.a']);
    } finally {
      await d.stop();
    }
  });
});
