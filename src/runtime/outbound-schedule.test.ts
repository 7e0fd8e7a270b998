import { afterEach, describe, expect, it } from 'vitest';
import type { Catalog, CatalogDef } from '../../actors/index.js';
import { compileCatalog } from '../../actors/index.js';
import { at, testCatalogDef } from '../../actors/test-support/fixtures.js';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { MemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/store.js';
import { bareHost } from '../test-support/bare-host.js';
import type { CustomerHost } from './customer-host.js';
import { OutboundRuns } from './outbound-runs.js';
import { latestSlot } from './outbound-schedule.js';

/**
 * When runs start by themselves (a schedule's slots, in the policy's time zone), and a run
 * that channel capacity spreads over days: on a memory store, a host without sockets and a
 * manual clock.
 */

const MSK = 'Europe/Moscow';

describe('latestSlot', () => {
  it('once: its instant once come', () => {
    const once = at('2026-03-02T10:00:00+03:00');
    expect(latestSlot({ once }, MSK, once - 1)).toBeUndefined();
    expect(latestSlot({ once }, MSK, once + 5)).toBe(once);
  });

  it('daily: today\'s time once passed, else yesterday\'s, in the time zone', () => {
    const daily = { daily: 10 * 60 };
    expect(latestSlot(daily, MSK, at('2026-03-02T09:59:00+03:00'))).toBe(at('2026-03-01T10:00:00+03:00'));
    expect(latestSlot(daily, MSK, at('2026-03-02T10:00:00+03:00'))).toBe(at('2026-03-02T10:00:00+03:00'));
    expect(latestSlot(daily, 'Asia/Vladivostok', at('2026-03-02T10:00:00+03:00'))).toBe(at('2026-03-02T10:00:00+10:00'));
  });

  it('daily: the wall-clock time on a day the clocks change (Berlin), not midnight plus the minutes', () => {
    const daily = { daily: 10 * 60 };
    // 2026-03-29: 02:00 CET becomes 03:00 CEST; 2026-10-25: 03:00 CEST becomes 02:00 CET
    expect(latestSlot(daily, 'Europe/Berlin', at('2026-03-29T12:00:00+02:00'))).toBe(at('2026-03-29T10:00:00+02:00'));
    expect(latestSlot(daily, 'Europe/Berlin', at('2026-10-25T12:00:00+01:00'))).toBe(at('2026-10-25T10:00:00+01:00'));
    // a time the switch skips comes at the switch
    expect(latestSlot({ daily: 2 * 60 + 30 }, 'Europe/Berlin', at('2026-03-29T12:00:00+02:00'))).toBe(at('2026-03-29T03:00:00+02:00'));
  });

  it('weekly: the last such weekday\'s (1 = Monday), today\'s once its time passed', () => {
    // 2026-03-02 is a Monday
    const monday = { weekly: { weekday: 1, minuteOfDay: 9 * 60 + 30 } };
    expect(latestSlot(monday, MSK, at('2026-03-02T09:00:00+03:00'))).toBe(at('2026-02-23T09:30:00+03:00'));
    expect(latestSlot(monday, MSK, at('2026-03-02T09:30:00+03:00'))).toBe(at('2026-03-02T09:30:00+03:00'));
    expect(latestSlot(monday, MSK, at('2026-03-08T23:00:00+03:00'))).toBe(at('2026-03-02T09:30:00+03:00'));
    expect(latestSlot({ weekly: { weekday: 7, minuteOfDay: 0 } }, MSK, at('2026-03-02T09:00:00+03:00'))).toBe(at('2026-03-01T00:00:00+03:00'));
  });
});

/** The test catalog with an outbound SMS campaign over the seniors, changed by `change`, on a memory store and a host. */
function setup(change: (d: CatalogDef) => void): { catalog: Catalog; store: MemoryStore; clock: ManualClock; host: CustomerHost; runs: OutboundRuns } {
  const d = testCatalogDefWithRun();
  change(d);
  const catalog = compileCatalog(d);
  const store = new MemoryStore();
  const clock = new ManualClock(at('2026-03-02T08:00:00+03:00'));
  const host = bareHost(store, clock, catalog);
  const runs = new OutboundRuns({ store, clock, catalog: () => catalog, logger: createLogger('silent'), submit: (r, id) => host.submitRun(r, id), flush: () => host.flush(), pageSize: 3, backoffMs: 1 });
  return { catalog, store, clock, host, runs };
}

/** The test catalog with an outbound SMS campaign over the seniors. */
function testCatalogDefWithRun(): CatalogDef {
  const d = testCatalogDef();
  d.offers.find((o) => o.id === 'deposit')!.templates.sms = { text: '{{customer.name}}, вклад {{offer.rate | percent}}.' };
  d.campaigns.push({ id: 'deposit-run', name: 'Deposit run', status: 'active', offer: 'deposit', channels: ['sms'], outbound: { segments: ['seniors'] }, groups: [{ id: 'all', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 20 }] });
  return d;
}

/** Seniors (65) c-01 .. c-n with SMS consent and a phone, listed in the segment. */
async function seniors(store: MemoryStore, n: number): Promise<void> {
  const ids = Array.from({ length: n }, (_, i) => `c-${String(i + 1).padStart(2, '0')}`);
  await store.importCustomers(
    ids.map((id, i) => ({
      id,
      record: { stage: 'client', profile: { firstName: 'Анна', patronymic: 'Ивановна', age: 65 }, identifiers: { phone: [`+7916000${String(i).padStart(4, '0')}`] }, consents: { sms: { granted: true, at: 0, source: 'import' } }, importedAt: 0 },
    })),
  );
  await store.setSegmentMembers(ids.map((id) => ({ id, segments: ['seniors'] })));
}

const smsOf = async (store: MemoryStore): Promise<string[]> => (await store.listOutbox('sms', 1000)).filter((r) => r.kind === 'offer' && r.campaign === 'deposit-run').map((r) => r.customer);

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('scheduled runs', () => {
  it('start at their slot, once a slot; a slot already past when first seen is not run', async () => {
    const s = setup((d) => (d.campaigns.at(-1)!.outbound = { segments: ['seniors'], schedule: { daily: '10:00' } }));
    cleanup = () => s.host.close(0);
    await seniors(s.store, 4);
    // 08:00: yesterday's 10:00 is past when the schedule is first seen: not run
    await s.runs.tick();
    expect(await s.runs.list()).toEqual([]);
    s.clock.set(at('2026-03-02T10:00:30+03:00'));
    await s.runs.tick();
    await s.runs.idle();
    const [first] = await s.runs.list();
    expect(first).toMatchObject({ id: 'deposit-run~20260302T0700', startedBy: 'schedule', state: 'done', selected: 4, pages: 2 });
    expect((await smsOf(s.store)).sort()).toEqual(['c-01', 'c-02', 'c-03', 'c-04']);
    // the same slot again: nothing; the next day's: a second run (the caps and recency then hold)
    s.clock.set(at('2026-03-02T18:00:00+03:00'));
    await s.runs.tick();
    expect(await s.runs.list()).toHaveLength(1);
    s.clock.set(at('2026-03-03T10:01:00+03:00'));
    await s.runs.tick();
    await s.runs.idle();
    expect((await s.runs.list()).map((r) => r.id)).toEqual(['deposit-run~20260302T0700', 'deposit-run~20260303T0700']);
  });
});

describe('a run\'s pages', () => {
  it('are prefetched from the store a page at a time before their customers are handed over', async () => {
    const s = setup(() => undefined);
    cleanup = () => s.host.close(0);
    await seniors(s.store, 7);
    // (past the night's quiet hours: the SMS go out at once)
    s.clock.set(at('2026-03-02T10:00:00+03:00'));
    // what the store is asked to bring in, and what was already decided when it was asked
    const asked: Array<{ ids: string[]; sentBefore: number }> = [];
    (s.store as Store).prefetchCustomers = async (ids: readonly string[]): Promise<void> => {
      asked.push({ ids: [...ids], sentBefore: (await smsOf(s.store)).length });
    };
    await s.runs.start('deposit-run');
    await s.runs.idle();
    // pages of 3: each prefetched whole, before any of its customers was decided
    expect(asked).toEqual([
      { ids: ['c-01', 'c-02', 'c-03'], sentBefore: 0 },
      { ids: ['c-04', 'c-05', 'c-06'], sentBefore: 3 },
      { ids: ['c-07'], sentBefore: 6 },
    ]);
    expect(await smsOf(s.store)).toHaveLength(7);
  });
});

describe('a campaign that stops running mid-run', () => {
  it('pauses the run, contacting nobody and remembering nobody, and the run goes on when resumed', async () => {
    const s = setup(() => undefined);
    cleanup = () => s.host.close(0);
    await seniors(s.store, 5);
    s.clock.set(at('2026-03-02T12:00:00+03:00'));
    // the campaign paused in the catalog after the run began
    const paused = testCatalogDefWithRun();
    paused.campaigns.at(-1)!.status = 'paused';
    const pausedCatalog = compileCatalog(paused);
    let current: Catalog = s.catalog;
    // the host and the engine read the catalog in force, as a server's do
    const host = bareHost(s.store, s.clock, s.catalog, { catalog: () => current });
    const close = cleanup;
    cleanup = async () => {
      await host.close(0);
      await close?.();
    };
    const runs = new OutboundRuns({ store: s.store, clock: s.clock, catalog: () => current, logger: createLogger('silent'), submit: (r, id) => host.submitRun(r, id), flush: () => host.flush(), pageSize: 3, backoffMs: 1 });
    const run = await runs.start('deposit-run');
    current = pausedCatalog;
    await runs.idle();
    expect(await runs.get(run.id)).toMatchObject({ state: 'paused', selected: 0 });
    expect(await smsOf(s.store)).toEqual([]);
    current = s.catalog;
    await runs.resume(run.id);
    await runs.idle();
    expect(await runs.get(run.id)).toMatchObject({ state: 'done', selected: 5 });
    expect((await smsOf(s.store)).sort()).toEqual(['c-01', 'c-02', 'c-03', 'c-04', 'c-05']);
  });
});

describe('channel capacity', () => {
  it('spreads a run over days: it waits for the next day when the SMS capacity is used, and contacts each customer once', async () => {
    const s = setup((d) => (d.policy.channelCapacity = { sms: { perDay: 4 } }));
    cleanup = () => s.host.close(0);
    await seniors(s.store, 10);
    s.clock.set(at('2026-03-02T12:00:00+03:00'));
    const run = await s.runs.start('deposit-run');
    await s.runs.idle();
    let r = await s.runs.get(run.id);
    // the next day, from 09:00 (the SMS's quiet hours end): not at midnight, when the night would defer the SMS past today's count
    expect(r).toMatchObject({ state: 'waiting', waitingFor: 'capacity', waitingUntil: at('2026-03-03T09:00:00+03:00') });
    expect(await smsOf(s.store)).toHaveLength(4);
    // still today: nothing moves
    s.clock.set(at('2026-03-02T23:00:00+03:00'));
    await s.runs.tick();
    await s.runs.idle();
    expect((await s.runs.get(run.id))?.state).toBe('waiting');
    // the next morning: four more, and the run waits again
    s.clock.set(at('2026-03-03T08:59:00+03:00'));
    await s.runs.tick();
    expect((await s.runs.get(run.id))?.state).toBe('waiting');
    s.clock.set(at('2026-03-03T09:00:00+03:00'));
    await s.runs.tick();
    await s.runs.idle();
    expect(await smsOf(s.store)).toHaveLength(8);
    expect((await s.runs.get(run.id))?.state).toBe('waiting');
    s.clock.set(at('2026-03-04T09:00:00+03:00'));
    await s.runs.tick();
    await s.runs.idle();
    r = await s.runs.get(run.id);
    expect(r).toMatchObject({ state: 'done', selected: 10 });
    const sms = await smsOf(s.store);
    expect(sms).toHaveLength(10);
    expect(new Set(sms).size).toBe(10);
  });
});
