import { describe, expect, it } from 'vitest';
import type { ContactIdentifierKind, GatewayEvent } from '../../actors/index.js';
import { compileCatalog } from '../../actors/index.js';
import { testCatalogDef } from '../../actors/test-support/fixtures.js';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { createMetrics } from '../metrics.js';
import { StopList } from '../stop-list.js';
import type { IdentityConflictRecord } from './identity-conflicts.js';
import { CONFLICT_PREFIX } from './identity-conflicts.js';
import { MemoryStore } from '../store/memory-store.js';
import type { CustomerRecord } from '../store/store.js';
import { BudgetLedger, CapacityLedger } from './budget-ledger.js';
import { CustomerHost } from './customer-host.js';
import type { HostOptions, HostReply } from './host-options.js';
import { FunnelLedger } from './funnel-ledger.js';
import { ModelRegistry } from './model-registry.js';
import { PropensityLedger } from './propensity-ledger.js';
import { UpliftLedger } from './uplift-ledger.js';
import { importedClient } from '../test-support/imported-client.js';

/**
 * The customer host on its own: the memory store, a manual clock (and a manual monotonic
 * time for idleness and queueing), a tiny catalog, no sockets and no demo bank. Passivation,
 * durable reminders, identity resolution, backpressure and per-customer ordering.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 10:00 in Moscow on a day of the manual clock (it never goes stale: nothing reads the wall clock) */
const T0 = Date.UTC(2030, 0, 15, 7, 0);
/** The brain's test catalog, with a follow-up a month after each shortfall offer and a catalog reminder before a policy ends. */
const catalog = compileCatalog(
  (() => {
    const def = testCatalogDef();
    const shortfall = def.campaigns.find((c) => c.id === 'shortfall')!;
    shortfall.followUp = { after: '30d', event: 'shortfall.followup' };
    def.reminders = [{ id: 'renewal', on: ['insurance.purchased'], at: 'event.data.endsAt', offset: '-14d', event: 'insurance.renewal-due' }];
    return def;
  })(),
);

/** The memory store, counting the identity lookups it answers. */
class CountingStore extends MemoryStore {
  readonly lookups: string[] = [];

  override lookupIdentity(kind: ContactIdentifierKind, value: string): Promise<string | undefined> {
    this.lookups.push(`${kind}:${value}`);
    return super.lookupIdentity(kind, value);
  }
}

const client = (n: number): CustomerRecord => importedClient(n, T0 - 24 * HOUR);

async function bank(count = 9): Promise<CountingStore> {
  const store = new CountingStore();
  await store.importCustomers(Array.from({ length: count }, (_, i) => ({ id: `c-${i + 1}`, record: client(i + 1) })));
  return store;
}

interface Harness {
  host: CustomerHost;
  store: CountingStore;
  clock: ManualClock;
  metrics: Metrics;
  /** the host's monotonic milliseconds: moved by hand */
  mono: { now: number };
}

function harness(store: CountingStore, options: Partial<HostOptions> = {}, clock = new ManualClock(T0)): Harness {
  const metrics = createMetrics();
  const mono = { now: 0 };
  const host = new CustomerHost({
    store,
    catalog: () => catalog,
    clock,
    logger: createLogger('silent'),
    metrics,
    stopList: new StopList(store),
    ledger: new BudgetLedger(),
    capacity: new CapacityLedger(),
    propensity: new PropensityLedger(),
    models: new ModelRegistry(),
    uplift: new UpliftLedger(),
    funnel: new FunnelLedger(),
    durability: 'commit',
    flushIntervalMs: 10,
    flushBatch: 1000,
    maxHotActors: 1000,
    maxInFlight: 1000,
    monotonicNow: () => mono.now,
    ...options,
  });
  return { host, store, clock, metrics, mono };
}

let seq = 0;
const shortfall = (customer: GatewayEvent['customer'], at: number, id = `e-${++seq}`): GatewayEvent => ({
  id,
  type: 'atm.withdrawal.declined',
  customer,
  channel: 'atm',
  at,
  data: { requested: 1000, balance: 800 },
});
const visit = (customer: GatewayEvent['customer'], at: number): GatewayEvent => ({ id: `v-${++seq}`, type: 'web.page.viewed', customer, channel: 'web', at, data: { page: '/deposits' } });

function actions(reply: HostReply): unknown[] {
  expect(reply.kind).toBe('decision');
  return reply.kind === 'decision' ? reply.actions : [];
}

function customerOf(reply: HostReply): string {
  expect(reply.kind).toBe('decision');
  return reply.kind === 'decision' ? reply.customer : '';
}

async function counter(metrics: Metrics, name: string, labels: string): Promise<number> {
  const text = await metrics.registry.getSingleMetricAsString(name);
  return Number(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
}

/** Waits (a turn of the event loop at a time, 2,000 at most) until `done` holds: fails the test rather than hang it. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !done(); i++) await new Promise((r) => setImmediate(r));
  expect(done()).toBe(true);
}

describe('customer host: passivation', () => {
  it('keeps at most the bound of live actors; a released one comes back from its snapshot with its history', async () => {
    const { host, metrics } = harness(await bank(), { maxHotActors: 3 });
    const first = await host.submitEvent(shortfall({ id: 'c-1' }, T0, 'first'));
    expect(actions(first)).toHaveLength(1);
    for (let n = 2; n <= 9; n++) expect(actions(await host.submitEvent(shortfall({ id: `c-${n}` }, T0)))).toHaveLength(1);
    expect(host.hotCount).toBeLessThanOrEqual(3);
    expect(await counter(metrics, 'kairos_actor_passivations_total', 'reason="lru"')).toBeGreaterThanOrEqual(6);
    // c-1 was released: the same id gets the first answer, a new one no second SMS today.
    expect(await host.submitEvent(shortfall({ id: 'c-1' }, T0, 'first'))).toEqual({ ...first, duplicate: true });
    expect(actions(await host.submitEvent(shortfall({ id: 'c-1' }, T0 + 60_000)))).toEqual([]);
    expect((await host.view('c-1'))?.contacts).toHaveLength(1);
    expect(await counter(metrics, 'kairos_actor_activations_total', 'source="snapshot"')).toBeGreaterThanOrEqual(1);
  });

  it('releases actors idle past the bound at a sweep, and events keep their order across the release', async () => {
    const { host, mono, metrics } = harness(await bank(), { passivateAfterMs: 1000 });
    for (const n of [1, 2, 3]) expect(actions(await host.submitEvent(shortfall({ id: `c-${n}` }, T0)))).toHaveLength(1);
    // The host's gauges: three live, all written (replies wait for the commit), none in flight.
    const gauges = await metrics.registry.metrics();
    for (const line of ['kairos_hot_actors 3', 'kairos_dirty_actors 0', 'kairos_requests_in_flight 0']) expect(gauges.split('\n')).toContain(line);
    mono.now += 500;
    expect(host.sweep()).toBe(0);
    expect(host.hotCount).toBe(3);
    mono.now += 600;
    expect(host.sweep()).toBe(3);
    expect(host.hotCount).toBe(0);
    expect(await counter(metrics, 'kairos_actor_passivations_total', 'reason="idle"')).toBe(3);
    // Two events for a released customer at once: the second sees the first's SMS.
    const [a, b] = await Promise.all([host.submitEvent(shortfall({ id: 'c-4' }, T0)), host.submitEvent(shortfall({ id: 'c-4' }, T0))]);
    expect(actions(a)).toHaveLength(1);
    expect(actions(b)).toEqual([]);
    const [c, d] = await Promise.all([host.submitEvent(shortfall({ id: 'c-2' }, T0 + 1)), host.submitEvent(shortfall({ id: 'c-2' }, T0 + 2))]);
    expect([actions(c), actions(d)]).toEqual([[], []]);
    expect((await host.view('c-2'))?.contacts).toHaveLength(1);
  });

  it('releases the least recently used tenth of the clean actors each sweep while the heap is past its bound', async () => {
    const { host, metrics } = harness(await bank(), { maxHeapBytes: 1 });
    await Promise.all(Array.from({ length: 9 }, (_, i) => host.submitEvent(shortfall({ id: `c-${i + 1}` }, T0))));
    expect(host.hotCount).toBe(9);
    expect(host.sweep()).toBe(1);
    expect(host.hotCount).toBe(8);
    expect(await counter(metrics, 'kairos_actor_passivations_total', 'reason="memory"')).toBe(1);
    // The least recently used went: c-1, the first one stepped.
    expect(await host.view('c-1')).toBeDefined();
    expect(await counter(metrics, 'kairos_actor_activations_total', 'source="snapshot"')).toBe(1);
  });
});

describe('customer host: activation', () => {
  it("counts as activation time the event loop's own work, not the turns other work takes meanwhile", async () => {
    const { host, metrics } = harness(await bank());
    // Other work on the loop: microtasks of 50 ms each, one after another, for 400 ms. Each
    // `await` inside an activation waits behind one of them, so a wall-clock measure would be
    // at least 50 ms; the activation's own work, even cold on a loaded machine, stays under 25.
    const until = performance.now() + 400;
    const spin = (): void => {
      const t = performance.now();
      while (performance.now() - t < 50) {
        // busy
      }
      if (performance.now() < until) queueMicrotask(spin);
    };
    const reply = host.submitEvent(shortfall({ id: 'c-7' }, T0));
    queueMicrotask(spin);
    expect((await reply).kind).toBe('decision');
    const text = await metrics.registry.getSingleMetricAsString('kairos_actor_activation_seconds');
    expect(/kairos_actor_activation_seconds_count\{source="profile"\} (\d+)/.exec(text)?.[1]).toBe('1');
    expect(/kairos_actor_activation_seconds_bucket\{le="0.025",source="profile"\} (\d+)/.exec(text)?.[1]).toBe('1');
  });
});

describe('customer host: durable reminders', () => {
  it('fire when the clock moves past them, for a customer who is not live after a restart, once', async () => {
    const store = await bank();
    const clock = new ManualClock(T0);
    const one = harness(store, {}, clock);
    const offer = actions(await one.host.submitEvent(shortfall({ id: 'c-5' }, T0)))[0] as { instance: string };
    expect(offer.instance).toMatch(/^c-5:/);
    const endsAt = T0 + 60 * DAY;
    await one.host.submitEvent({ id: 'bought', type: 'insurance.purchased', customer: { id: 'c-5' }, at: T0, data: { endsAt } });
    await one.host.close(1000);
    const due = await store.dueReminders(Number.MAX_SAFE_INTEGER, 100);
    expect(due.map((r) => [r.key, r.due])).toEqual([
      [`c-5|expiry:${offer.instance}`, T0 + HOUR],
      ['c-5|followup:shortfall', T0 + 30 * DAY],
      ['c-5|catalog:renewal', endsAt - 14 * DAY],
    ]);

    // Restarted: nothing is live; the expiry fires once the clock has passed it, and only once.
    const two = harness(store, {}, clock);
    expect(two.host.hotCount).toBe(0);
    clock.advance(HOUR - 1);
    expect(await two.host.pollReminders()).toBe(0);
    clock.advance(HOUR);
    expect(await two.host.pollReminders()).toBe(1);
    const card = await two.host.view('c-5');
    expect(card?.pending).toEqual([]);
    expect(card?.contacts).toEqual([expect.objectContaining({ instance: offer.instance, outcome: 'expired' })]);
    expect(await counter(two.metrics, 'kairos_reminders_fired_total', 'kind="expiry"')).toBe(1);
    expect(await two.host.pollReminders()).toBe(0);
    await two.host.close(1000);
    const three = harness(store, {}, clock);
    expect(await three.host.pollReminders()).toBe(0);
    // A month on, the follow-up; two weeks before the policy ends, the catalog's reminder: each once.
    clock.set(T0 + 30 * DAY);
    expect(await three.host.pollReminders()).toBe(1);
    clock.set(endsAt);
    expect(await three.host.pollReminders()).toBe(1);
    expect(await three.host.pollReminders()).toBe(0);
    for (const kind of ['followup', 'catalog']) expect(await counter(three.metrics, 'kairos_reminders_fired_total', `kind="${kind}"`)).toBe(1);
    await three.host.flush();
    expect(await store.dueReminders(Number.MAX_SAFE_INTEGER, 100)).toEqual([]);
  });
});

describe('customer host: identity resolution', () => {
  it('resolves a customer by card, phone, e-mail and cookie, reading the store once while they are live', async () => {
    const store = await bank();
    const { host } = harness(store, { maxHotActors: 1 });
    for (const ref of [{ card: 'card-7' }, { phone: '+79160000007' }, { email: 'c7@bank.example' }]) {
      for (let i = 0; i < 2; i++) expect(customerOf(await host.submitEvent(visit(ref, T0)))).toBe('c-7');
    }
    // Each lookup's answer is remembered once c-7 is live: one read per identifier.
    expect(store.lookups).toEqual(['card:card-7', 'phone:+79160000007', 'email:c7@bank.example']);
    // c-8 takes the only place: c-7 is released, and the store is read for them again.
    expect(customerOf(await host.submitEvent(visit({ id: 'c-8' }, T0)))).toBe('c-8');
    expect(customerOf(await host.submitEvent(visit({ card: 'card-7' }, T0)))).toBe('c-7');
    expect(store.lookups.filter((l) => l === 'card:card-7')).toHaveLength(2);
    // A login links a cookie to a customer; an unknown cookie is a new visitor.
    expect(customerOf(await host.submitEvent(visit({ id: 'c-8', cookie: 'ck-8' }, T0)))).toBe('c-8');
    expect(customerOf(await host.submitEvent(visit({ cookie: 'ck-8' }, T0)))).toBe('c-8');
    expect(customerOf(await host.submitEvent(visit({ cookie: 'ck-new' }, T0)))).toMatch(/^v-/);
  });

  it('sees new links before they are committed, and a new link of an identifier wins over the old one', async () => {
    const store = await bank();
    // Write-behind with no commit due: nothing reaches the store during the test.
    const { host } = harness(store, { durability: 'write-behind', flushIntervalMs: 3_600_000 });
    const visitor = customerOf(await host.submitEvent(visit({ cookie: 'ck-1' }, T0)));
    expect(visitor).toMatch(/^v-/);
    expect(await store.lookupIdentity('cookie', 'ck-1')).toBeUndefined();
    expect(customerOf(await host.submitEvent(visit({ cookie: 'ck-1' }, T0)))).toBe(visitor);
    // A prospect on first sight by phone, found again by it before any commit.
    const prospect = customerOf(await host.submitEvent(visit({ phone: '+79990000001' }, T0)));
    expect(prospect).toMatch(/^p-/);
    expect(customerOf(await host.submitEvent(visit({ phone: '+79990000001' }, T0)))).toBe(prospect);
    // The visitor logs in as c-3: the cookie is c-3's from the next event on.
    expect(customerOf(await host.submitEvent(visit({ id: 'c-3', cookie: 'ck-1' }, T0)))).toBe('c-3');
    expect(customerOf(await host.submitEvent(visit({ cookie: 'ck-1' }, T0)))).toBe('c-3');
    expect(host.dirtyCount).toBeGreaterThan(0);
    await host.flush();
    expect(await store.lookupIdentity('cookie', 'ck-1')).toBe('c-3');
    expect(await store.lookupIdentity('phone', '+79990000001')).toBe(prospect);
  });

  it('does not remember a lookup that a link overtook', async () => {
    const store = await bank();
    const { host } = harness(store, { maxHotActors: 1 });
    const visitor = customerOf(await host.submitEvent(visit({ cookie: 'ck-9' }, T0)));
    await host.flush();
    expect(customerOf(await host.submitEvent(visit({ id: 'c-4' }, T0)))).toBe('c-4'); // the visitor is released
    // The visitor's next event reads the store (the cookie is theirs), but their activation is
    // held until the cookie has been linked to c-5 by a login.
    const getSnapshot = store.getSnapshot.bind(store);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    store.getSnapshot = async (id: string) => {
      if (id === visitor) await gate;
      return getSnapshot(id);
    };
    const lookups = store.lookups.length;
    const held = host.submitEvent(visit({ cookie: 'ck-9' }, T0));
    await until(() => store.lookups.length > lookups);
    expect(customerOf(await host.submitEvent(visit({ id: 'c-5', cookie: 'ck-9' }, T0)))).toBe('c-5');
    open();
    expect(customerOf(await held)).toBe(visitor);
    expect(customerOf(await host.submitEvent(visit({ cookie: 'ck-9' }, T0)))).toBe('c-5');
  });

  it('delivers one customer’s events in arrival order whichever identifier names them', async () => {
    const { host } = harness(await bank());
    // Sent in one turn: by card (a store lookup), by id, by phone, by e-mail. Only the first gets the SMS.
    const replies = await Promise.all([
      host.submitEvent(shortfall({ card: 'card-2' }, T0)),
      host.submitEvent(shortfall({ id: 'c-2' }, T0 + 1)),
      host.submitEvent(shortfall({ phone: '+79160000002' }, T0 + 2)),
      host.submitEvent(shortfall({ email: 'c2@bank.example' }, T0 + 3)),
    ]);
    expect(replies.map(customerOf)).toEqual(['c-2', 'c-2', 'c-2', 'c-2']);
    expect(replies.map((r) => actions(r).length)).toEqual([1, 0, 0, 0]);
    expect((await host.view('c-2'))?.lastEventAt).toBe(T0 + 3);
  });

  it('decides a live customer’s event in the call that submits it, yet never before an event for them still resolving', async () => {
    const { host, store } = harness(await bank(), { durability: 'write-behind', flushIntervalMs: 3_600_000 });
    expect(customerOf(await host.submitEvent(visit({ card: 'card-3' }, T0)))).toBe('c-3');
    await host.flush();
    // Live, named by id or by a card remembered: stepped before submitEvent returns (no promise on the way).
    expect(host.dirtyCount).toBe(0);
    const now = host.submitEvent(visit({ id: 'c-3' }, T0 + 1));
    expect(host.dirtyCount).toBe(1);
    expect(customerOf(await now)).toBe('c-3');
    // By phone (a store lookup), then by id and by card in the same turn: theirs wait for it. Only the first gets the SMS.
    const lookups = store.lookups.length;
    const replies = await Promise.all([
      host.submitEvent(shortfall({ phone: '+79160000003' }, T0 + 2)),
      host.submitEvent(shortfall({ id: 'c-3' }, T0 + 3)),
      host.submitEvent(shortfall({ card: 'card-3' }, T0 + 4)),
    ]);
    expect(store.lookups.length).toBe(lookups + 1);
    expect(replies.map(customerOf)).toEqual(['c-3', 'c-3', 'c-3']);
    expect(replies.map((r) => actions(r).length)).toEqual([1, 0, 0]);
  });

  it('forgets an identifier remembered for an erased customer', async () => {
    const { host } = harness(await bank());
    for (let i = 0; i < 2; i++) expect(customerOf(await host.submitEvent(visit({ phone: '+79160000004' }, T0)))).toBe('c-4');
    expect(await host.erase('c-4')).toEqual({ identifiers: 3 });
    expect(customerOf(await host.submitEvent(visit({ phone: '+79160000004' }, T0)))).toMatch(/^p-/);
  });
  it('records no conflict naming a customer erased while the event naming them was being resolved', async () => {
    for (const erased of ['c-6', 'c-5']) {
      const store = await bank();
      const { host } = harness(store);
      // c-6's phone named for c-5: its lookup read, its answer held until c-6 (the holder) or c-5 (the claimant) is erased.
      const lookupIdentity = store.lookupIdentity.bind(store);
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      store.lookupIdentity = async (kind: ContactIdentifierKind, value: string) => {
        const found = await lookupIdentity(kind, value);
        if (value === '+79160000006') await gate;
        return found;
      };
      const lookups = store.lookups.length;
      const event = host.submitEvent(visit({ id: 'c-5', phone: '+79160000006' }, T0));
      await until(() => store.lookups.length > lookups);
      expect(await host.erase(erased)).toEqual({ identifiers: 3 });
      open();
      await event;
      await host.flush();
      const naming = (await store.listMeta(CONFLICT_PREFIX, 10)).map((m) => m.value as IdentityConflictRecord).filter((c) => c.holder === erased || c.claimant === erased);
      expect(naming, erased).toEqual([]);
    }
  });

  it('records conflicts naming a customer again once their erasure failed (they are still there)', async () => {
    const store = await bank();
    const { host } = harness(store);
    const eraseCustomer = store.eraseCustomer.bind(store);
    // (the store looks for the entries naming them, as it does before its transaction, then fails)
    store.eraseCustomer = async (_id, _identities, _audit, meta) => {
      if (typeof meta === 'function') await meta();
      throw new Error('the disk is full');
    };
    await expect(host.erase('c-6')).rejects.toThrow(/the disk is full/);
    store.eraseCustomer = eraseCustomer;
    // c-6's phone named for c-5: a conflict naming c-6, who was not erased
    await host.submitEvent(visit({ id: 'c-5', phone: '+79160000006' }, T0));
    await host.flush();
    const naming = (await store.listMeta(CONFLICT_PREFIX, 10)).map((m) => m.value as IdentityConflictRecord).map((c) => [c.holder, c.claimant]);
    expect(naming).toEqual([['c-6', 'c-5']]);
  });
});

describe('customer host: backpressure', () => {
  it('answers overloaded past the in-flight bound, naming the request; a refused request changed nothing', async () => {
    const { host, metrics } = harness(await bank(), { maxInFlight: 4 });
    const events = Array.from({ length: 9 }, (_, i) => shortfall({ id: `c-${i + 1}` }, T0));
    const replies = await Promise.all(events.map((e) => host.submitEvent(e)));
    expect(replies.slice(0, 4).map((r) => r.kind)).toEqual(['decision', 'decision', 'decision', 'decision']);
    expect(replies.slice(4)).toEqual(events.slice(4).map((e) => ({ kind: 'error', re: e.id, code: 'overloaded', message: 'too many requests in flight, retry later' })));
    expect(await counter(metrics, 'kairos_actor_activations_total', 'source="profile"')).toBe(4);
    // Sent again, now that the burst is through, they are decided.
    for (const e of events.slice(4)) expect(actions(await host.submitEvent(e))).toHaveLength(1);
  });

  it('answers overloaded once the oldest request in flight has waited past the queueing bound', async () => {
    const { host, mono, metrics } = harness(await bank(), { maxQueueMs: 50 });
    const first = host.submitEvent(shortfall({ id: 'c-1' }, T0));
    mono.now += 80;
    expect(await metrics.registry.getSingleMetricAsString('kairos_oldest_request_wait_seconds')).toMatch(/^kairos_oldest_request_wait_seconds 0\.08$/m);
    const refused = await host.submitEvent(shortfall({ id: 'c-2' }, T0, 'late'));
    expect(refused).toEqual({ kind: 'error', re: 'late', code: 'overloaded', message: 'requests in flight have waited 80 ms, past the 50 ms bound; retry later' });
    expect(actions(await first)).toHaveLength(1);
    expect(actions(await host.submitEvent(shortfall({ id: 'c-2' }, T0, 'late')))).toHaveLength(1);
  });

  it('refuses new requests once closing, and commits what was accepted before', async () => {
    const store = await bank();
    const { host } = harness(store, { durability: 'write-behind', flushIntervalMs: 3_600_000 });
    expect(actions(await host.submitEvent(shortfall({ id: 'c-1' }, T0)))).toHaveLength(1);
    expect(await store.getSnapshot('c-1')).toBeUndefined();
    await host.close(1000);
    expect(await store.getSnapshot('c-1')).toBeDefined();
    expect(await host.submitEvent(shortfall({ id: 'c-2' }, T0, 'after'))).toEqual({ kind: 'error', re: 'after', code: 'overloaded', message: 'server is shutting down' });
  });
});

describe('customer host: per-customer ordering', () => {
  it('runs each customer’s messages in arrival order while customers interleave, responses and delivery reports included', async () => {
    const { host } = harness(await bank());
    const offered = await Promise.all([1, 2, 3].map((n) => host.submitEvent(shortfall({ id: `c-${n}` }, T0))));
    const instances = offered.map((r) => (actions(r)[0] as { instance: string }).instance);
    // For each customer at once: the delivery report, the answer, a repeat of the answer, a new shortfall.
    const replies = await Promise.all(
      instances.flatMap((instance, i) => [
        host.submitDelivery(instance, 'delivered'),
        host.submitResponse({ id: `r-${i}`, instance, outcome: 'accepted', at: T0 + 1000 }),
        host.submitResponse({ id: `r-${i}`, instance, outcome: 'accepted', at: T0 + 2000 }),
        host.submitEvent(shortfall({ id: `c-${i + 1}` }, T0 + 3000)),
      ]),
    );
    for (let i = 0; i < 3; i++) {
      const [delivered, answer, again, next] = replies.slice(i * 4, i * 4 + 4);
      expect(delivered).toMatchObject({ kind: 'ack', duplicate: false });
      expect(answer).toMatchObject({ kind: 'ack', re: `r-${i}`, duplicate: false });
      expect(again).toMatchObject({ kind: 'ack', re: `r-${i}`, duplicate: true });
      expect(actions(next!)).toEqual([]);
      const card = await host.view(`c-${i + 1}`);
      expect(card?.contacts).toEqual([expect.objectContaining({ instance: instances[i], outcome: 'accepted' })]);
    }
  });
});
