import { describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../../actors/index.js';
import { KairosError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { MemoryStore } from '../store/memory-store.js';
import type { DeliveryHost } from './delivery-host.js';
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

const action = (i: number): OutboxEntry => ({
  kind: 'backoffice',
  instance: `bk-${i}`,
  customer: `c-${i}`,
  channel: 'backoffice',
  campaign: 'atm-shortfall',
  offer: 'atm-microcredit',
  action: 'issue_credit',
  vars: { n: i },
  at: i,
});

/** Lets the store's reads (promise callbacks) and the adapter's follow-up reads run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function setup(window: number, entries: number, dispatched: ReadonlySet<string> = new Set()): Promise<{ store: MemoryStore; subs: GatewaySubscribers }> {
  const store = new MemoryStore();
  if (entries > 0) await store.commit({ snapshots: [], identities: [], outbox: Array.from({ length: entries }, (_, i) => action(i + 1)) });
  const subs = new GatewaySubscribers({ store, logger: createLogger('error'), metrics: createMetrics(), window, pollMs: 1000, dispatched });
  subs.start(noHost);
  return { store, subs };
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
    const { subs } = await setup(4, 2, new Set(['email']));
    const a = new Endpoint();
    expect(() => subs.subscribe(a, ['backoffice', 'email'])).toThrow(expect.objectContaining({ code: 'invalid', message: expect.stringContaining('"email" is delivered by this server itself') }));
    expect(() => subs.subscribe(a, Array.from({ length: 65 }, (_, i) => `ch-${i}`))).toThrow(expect.objectContaining({ code: 'invalid', message: expect.stringContaining('at most 64 channels') }));
    await expect(subs.confirm(a, { t: 'delivered', instance: 'bk-1' })).rejects.toMatchObject({ code: 'invalid' });
    const b = new Endpoint();
    subs.subscribe(b, ['backoffice']);
    await settle();
    expect(b.frames).toHaveLength(2);
    // Another subscriber cannot confirm b's delivery; a failed one stays in the outbox.
    await expect(subs.confirm(a, { t: 'delivered', instance: 'bk-1' })).rejects.toMatchObject({ code: 'invalid' });
    await subs.confirm(b, { t: 'failed', instance: 'bk-1', reason: 'screen offline' });
    const c = new Endpoint();
    subs.subscribe(c, ['backoffice']);
    await settle();
    // A new subscriber reads the queue from its start: the failed entry is offered again (to b or c).
    expect([...b.frames, ...c.frames].filter((f) => f.instance === 'bk-1')).toHaveLength(2);
  });
});
