import { describe, expect, it } from 'vitest';
import type { Catalog, GatewayEvent } from '../../actors/index.js';
import { compileCatalog } from '../../actors/index.js';
import { granted, testCatalogDef } from '../../actors/test-support/fixtures.js';
import { ManualClock } from '../clock.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { MemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/store.js';
import { bareHost } from '../test-support/bare-host.js';
import { tempDir } from '../test-support/test-kairos.js';
import type { CustomerHost } from './customer-host.js';
import type { HostReply } from './host-options.js';
import { FunnelLedger } from './funnel-ledger.js';

/**
 * Late events and deferred messages through the host (memory store, manual clock, no
 * sockets): a late ATM event texts nothing; a segment entry in quiet hours is sent when the
 * customer's window opens, across a restart, or recorded as expired if its offer closes first.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
/** 00:00 in Moscow on a Tuesday of the manual clock (nothing reads the wall clock) */
const DAY0 = Date.UTC(2030, 0, 14, 21, 0);

/** The brain's test catalog and a campaign on entering the cafe lovers segment, by SMS, open `expiresIn`. */
function catalogWith(expiresIn: string): Catalog {
  const def = testCatalogDef();
  def.campaigns.push({
    id: 'cafe-welcome',
    name: 'Cafe welcome',
    status: 'active',
    offer: 'welcome',
    channels: ['sms'],
    trigger: { events: ['segment.entered.cafe_lovers'] },
    groups: [{ id: 'all', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 50 }],
    expiresIn,
  });
  return compileCatalog(def);
}

async function bank<S extends Store = MemoryStore>(store: S = new MemoryStore() as unknown as S): Promise<S> {
  const record = { stage: 'client' as const, profile: { firstName: 'Ирина', patronymic: 'Петровна', age: 45 }, identifiers: { phone: ['+79160000001'] }, consents: granted, importedAt: DAY0 - 30 * 24 * HOUR };
  await store.importCustomers([{ id: 'c-1', record }]);
  return store;
}

function hostOn(store: Store, clock: ManualClock, catalog: Catalog, funnel = new FunnelLedger()): CustomerHost {
  return bareHost(store, clock, catalog, { funnel });
}

function actions(reply: HostReply): unknown[] {
  expect(reply.kind).toBe('decision');
  return reply.kind === 'decision' ? reply.actions : [];
}

let seq = 0;
const cafe = (at: number): GatewayEvent => ({ id: `tx-${++seq}`, type: 'card.transaction', customer: { id: 'c-1' }, at, data: { amount: 100, mcc: '5812' } });

/** Two cafe payments on earlier days, then the third (the segment entry) at `third`; the clock follows the events. */
async function enterSegment(host: CustomerHost, clock: ManualClock, third: number): Promise<HostReply> {
  for (const t of [third - 2 * 24 * HOUR + 10 * HOUR, third - 24 * HOUR]) {
    clock.set(t);
    actions(await host.submitEvent(cafe(t)));
  }
  clock.set(third);
  return host.submitEvent(cafe(third));
}

describe('late events through the host', () => {
  it('an ATM event two hours late texts nothing and says stale_event', async () => {
    const store = await bank();
    const at = DAY0 + 10 * HOUR;
    const clock = new ManualClock(at + 2 * HOUR);
    const host = hostOn(store, clock, catalogWith('24h'));
    const reply = await host.submitEvent({ id: 'atm-1', type: 'atm.withdrawal.declined', customer: { id: 'c-1' }, channel: 'atm', at, data: { requested: 1000, balance: 800 } });
    expect(actions(reply)).toEqual([]);
    const card = await host.view('c-1');
    expect(card?.lastDecision).toEqual([expect.objectContaining({ campaign: 'shortfall', reason: 'stale_event' })]);
    expect(card?.contacts).toEqual([]);
    expect(card?.lastEventAt).toBe(at);
    await host.close(1000);
    expect(await store.listOutbox('sms', 10)).toEqual([]);
  });
});

describe('deferred messages through the host', () => {
  it('a segment entry at 22:30 is not sent then, and is sent at 09:00 by a new host on the same store', async () => {
    const store = await bank();
    const clock = new ManualClock(DAY0);
    const catalog = catalogWith('24h');
    const one = hostOn(store, clock, catalog);
    const t2230 = DAY0 + 22 * HOUR + 30 * MIN;
    expect(actions(await enterSegment(one, clock, t2230))).toEqual([]);
    expect((await one.view('c-1'))?.lastDecision).toContainEqual(expect.objectContaining({ campaign: 'cafe-welcome', reason: 'deferred:sms=quiet_hours' }));
    await one.close(1000);
    expect(await store.listOutbox('sms', 10)).toEqual([]);

    // Restarted: nothing live; at 08:59 nothing is due, at 09:00 the deferred message goes.
    const two = hostOn(store, clock, catalog);
    const nine = DAY0 + 24 * HOUR + 9 * HOUR;
    clock.set(nine - MIN);
    expect(await two.pollReminders()).toBe(0);
    clock.set(nine);
    expect(await two.pollReminders()).toBe(1);
    const card = await two.view('c-1');
    expect(card?.contacts).toEqual([expect.objectContaining({ campaign: 'cafe-welcome', channel: 'sms', at: nine, delivery: 'queued' })]);
    expect(card?.pending).toEqual([expect.objectContaining({ campaign: 'cafe-welcome', expiresAt: t2230 + 24 * HOUR })]);
    await two.close(1000);
    const queued = await store.listOutbox('sms', 10);
    expect(queued).toEqual([expect.objectContaining({ campaign: 'cafe-welcome', to: '+79160000001', expiresAt: t2230 + 24 * HOUR })]);
    // Fired once: nothing left but the offer's own expiry and the segment timer (the café visits leave the window).
    expect((await store.dueReminders(Number.MAX_SAFE_INTEGER, 10)).map((r) => r.key).sort()).toEqual([expect.stringMatching(/^c-1\|expiry:/), 'c-1|segments']);
  });

  it('is dropped, recorded as expired, when its offer would expire before the window opens', async () => {
    const store = await bank();
    const clock = new ManualClock(DAY0);
    const host = hostOn(store, clock, catalogWith('2h'));
    expect(actions(await enterSegment(host, clock, DAY0 + 22 * HOUR + 30 * MIN))).toEqual([]);
    expect((await host.view('c-1'))?.lastDecision).toContainEqual(expect.objectContaining({ campaign: 'cafe-welcome', reason: 'expired:sms=quiet_hours' }));
    clock.set(DAY0 + 33 * HOUR);
    expect(await host.pollReminders()).toBe(0);
    await host.close(1000);
    expect(await store.listOutbox('sms', 10)).toEqual([]);
    // No deferral left: only the segment timer (the café visits leave the 30-day window).
    expect((await store.dueReminders(Number.MAX_SAFE_INTEGER, 10)).map((r) => r.key)).toEqual(['c-1|segments']);
  });
});

/** The campaign's funnel summed over channel, offer and group, and whether its stages add up (funnel-ledger.ts). */
function funnelOf(funnel: FunnelLedger, campaign: string) {
  const [row] = funnel.report({ campaign, by: [] });
  expect(row).toBeDefined();
  const r = row!;
  expect(r.triggered).toBe(r.offered + r.control + (r.suppressed - r.cancelled) + r.waiting);
  return r;
}

describe('a deferral in the customer history and the funnel, across a restart', () => {
  const stores: Array<{ name: string; open: () => { store: () => Store; reopen: () => Promise<void>; close: () => Promise<void> } }> = [
    {
      name: 'memory',
      open: () => {
        const store = new MemoryStore();
        return { store: () => store, reopen: async () => {}, close: async () => {} };
      },
    },
    {
      name: 'LMDB',
      open: () => {
        const dir = tempDir();
        let store = new LmdbStore(dir.dir);
        return {
          store: () => store,
          reopen: async () => {
            await store.close();
            store = new LmdbStore(dir.dir);
          },
          close: async () => {
            await store.close();
            dir.remove();
          },
        };
      },
    },
  ];
  for (const kind of stores) {
    it(`${kind.name}: the card shows it deferred, then retried; the retry is not a second trigger`, async () => {
      const s = kind.open();
      try {
        await bank(s.store());
        const clock = new ManualClock(DAY0);
        const catalog = catalogWith('24h');
        const funnel = new FunnelLedger();
        const one = hostOn(s.store(), clock, catalog, funnel);
        const t2230 = DAY0 + 22 * HOUR + 30 * MIN;
        const nine = DAY0 + 33 * HOUR;
        expect(actions(await enterSegment(one, clock, t2230))).toEqual([]);
        const waiting = { campaign: 'cafe-welcome', at: t2230, status: 'deferred', channels: ['sms'], reason: 'quiet_hours', trigger: 'card.transaction', retryAt: nine, until: t2230 + 24 * HOUR };
        expect((await one.view('c-1'))?.deferrals).toEqual([waiting]);
        await one.close(1000);
        expect(funnelOf(funnel, 'cafe-welcome')).toMatchObject({ triggered: 1, deferred: 1, resumed: 0, waiting: 1, suppressed: 0, offered: 0 });

        // Restarted: the card's history comes from the store, without the in-memory last decision.
        await s.reopen();
        const again = new FunnelLedger();
        await again.counters.loadFrom(s.store(), 1000);
        expect(funnelOf(again, 'cafe-welcome')).toMatchObject({ triggered: 1, deferred: 1, waiting: 1 });
        const two = hostOn(s.store(), clock, catalog, again);
        const before = await two.view('c-1');
        expect(before?.lastDecision).toEqual([]);
        expect(before?.deferrals).toEqual([waiting]);

        clock.set(nine);
        expect(await two.pollReminders()).toBe(1);
        const { retryAt: _retried, ...rest } = waiting;
        expect((await two.view('c-1'))?.deferrals).toEqual([{ ...rest, status: 'retried', resolvedAt: nine, outcome: 'offered' }]);
        await two.close(1000);
        // One trigger, offered at its retry: nothing waits.
        expect(funnelOf(again, 'cafe-welcome')).toMatchObject({ triggered: 1, deferred: 1, resumed: 1, waiting: 0, offered: 1, suppressed: 0 });

        await s.reopen();
        const three = hostOn(s.store(), clock, catalog);
        expect((await three.view('c-1'))?.deferrals).toEqual([expect.objectContaining({ status: 'retried', outcome: 'offered' })]);
        await three.close(1000);
      } finally {
        await s.close();
      }
    });
  }

  it('an offer that would close before the window: expired in the history, suppressed once in the funnel', async () => {
    const store = await bank();
    const clock = new ManualClock(DAY0);
    const funnel = new FunnelLedger();
    const host = hostOn(store, clock, catalogWith('2h'), funnel);
    const t2230 = DAY0 + 22 * HOUR + 30 * MIN;
    expect(actions(await enterSegment(host, clock, t2230))).toEqual([]);
    expect((await host.view('c-1'))?.deferrals).toEqual([{ campaign: 'cafe-welcome', at: t2230, status: 'expired', channels: ['sms'], reason: 'quiet_hours', trigger: 'card.transaction', resolvedAt: t2230 }]);
    await host.close(1000);
    expect(funnelOf(funnel, 'cafe-welcome')).toMatchObject({ triggered: 1, suppressed: 1, deferred: 0, waiting: 0, suppressedBy: { expired: 1 } });
  });
});
