import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LmdbStore } from '../store/lmdb-store.js';
import type { Store } from '../store/store.js';
import { testCatalog } from '../../actors/test-support/fixtures.js';
import { ManualClock } from '../clock.js';
import type { KairosError } from '../errors.js';
import { createLogger } from '../logger.js';
import { MemoryStore } from '../store/memory-store.js';
import type { CustomerRecord } from '../store/store.js';
import { DraftCounts } from './draft-count.js';
import { SNAPSHOT_VERSION } from './snapshot-migrations.js';
import { initialCustomerContext } from '../../actors/index.js';

/** A draft rule counted over every stored customer: snapshots and imported master data, with progress, cancellable. */

const T0 = Date.UTC(2031, 4, 20, 9, 0);
const record = (age: number): CustomerRecord => ({ stage: 'client', profile: { firstName: 'Ирина', age }, identifiers: {}, importedAt: T0 });

async function base<S extends Store = MemoryStore>(store: S = new MemoryStore() as unknown as S): Promise<S> {
  // 40 imported customers aged 40..79; 10 more known only by their snapshot (prospects aged 65).
  await store.importCustomers(Array.from({ length: 40 }, (_, i) => ({ id: `m-${String(i).padStart(2, '0')}`, record: record(40 + i) })));
  const snapshots = Array.from({ length: 10 }, (_, i) => {
    const context = initialCustomerContext({ id: `s-${i}`, stage: 'prospect', profile: { age: 65 }, identifiers: {}, at: T0, reason: 'event' });
    return { id: `s-${i}`, value: { v: SNAPSHOT_VERSION, snapshot: { value: 'active', context } } };
  });
  // A snapshot overrides the master data: m-00 (40 in the file) is 70 now.
  const m0 = initialCustomerContext({ id: 'm-00', stage: 'client', profile: { age: 70 }, identifiers: {}, at: T0, reason: 'import' });
  snapshots.push({ id: 'm-00', value: { v: SNAPSHOT_VERSION, snapshot: { value: 'active', context: m0 } } });
  await store.commit({ snapshots, identities: [], outbox: [] });
  return store;
}

const counts = (store: Store, pageSize = 7, maxRunning = 2): DraftCounts => new DraftCounts({ store, catalog: () => testCatalog, clock: new ManualClock(T0), logger: createLogger('silent'), pageSize, maxRunning });

/** The worker as built (`npm run build`): vitest runs the sources, which a worker thread cannot load. */
const workerUrl = new URL('../../dist/src/runtime/draft-count-worker.js', import.meta.url);
const inWorkers = (store: Store, threads: number, pageSize = 7): DraftCounts =>
  new DraftCounts({ store, catalog: () => testCatalog, clock: new ManualClock(T0), logger: createLogger('silent'), pageSize, threads, workersFrom: 0, workerUrl });

describe('draft segment counts', () => {
  it('counts a rule over snapshots and master data, the snapshot first, with progress as it goes', async () => {
    const store = await base();
    const c = counts(store);
    const started = c.start({ attr: 'profile.age', op: 'gte', value: 60 });
    expect(started).toMatchObject({ state: 'running', scanned: 0, matched: 0, startedAt: T0 });
    const seen: number[] = [];
    for (let j = c.get(started.job)!; j.state === 'running'; j = c.get(started.job)!) {
      seen.push(j.scanned);
      await new Promise((resolve) => setImmediate(resolve));
    }
    // m-20..m-39 (60..79), m-00 by its snapshot (70), the 10 prospects.
    expect(c.get(started.job)).toMatchObject({ state: 'done', scanned: 50, matched: 31 });
    expect(new Set(seen).size).toBeGreaterThan(3);
    const clients = c.start({ all: [{ attr: 'stage', op: 'eq', value: 'client' }, { attr: 'profile.age', op: 'gte', value: 60 }] });
    expect(await c.settled(clients.job)).toMatchObject({ state: 'done', scanned: 50, matched: 21 });
  });

  it('reads a customer known only by master data as an activation would: typed attributes, the age from the birth date', async () => {
    const store = new MemoryStore();
    // Imported aged 59: two of them turned 60 since (T0 is 2031-05-20), one has not yet.
    const imported = (id: string, birthDate: string, tier: string, sms: boolean): { id: string; record: CustomerRecord } => ({
      id,
      record: { ...record(59), birthDate, attributes: { tier, income: tier === 'gold' ? 200_000 : 50_000 }, consents: { sms: { granted: sms, at: T0, source: 'import' } } },
    });
    await store.importCustomers([imported('a-1', '1971-01-10', 'gold', true), imported('a-2', '1971-05-20', 'gold', false), imported('a-3', '1971-05-21', 'silver', true)]);
    const c = counts(store);
    const count = async (rule: unknown): Promise<number | undefined> => (await c.settled(c.start(rule).job))?.matched;
    expect(await count({ attr: 'profile.attributes.tier', op: 'eq', value: 'gold' })).toBe(2);
    expect(await count({ attr: 'profile.attributes.income', op: 'gt', value: 100_000 })).toBe(2);
    expect(await count({ attr: 'profile.age', op: 'gte', value: 60 })).toBe(2);
  });

  it('is cancellable, bounded in how many run at once, and refuses a wrong rule naming the field', async () => {
    const store = await base();
    const c = counts(store, 1, 1);
    const first = c.start({ attr: 'profile.age', op: 'gte', value: 60 });
    expect(() => c.start({ attr: 'profile.age', op: 'gte', value: 60 })).toThrow(expect.objectContaining({ code: 'conflict' }) as KairosError);
    expect(c.cancel(first.job)?.state).toBe('running');
    const cancelled = await c.settled(first.job);
    expect(cancelled?.state).toBe('cancelled');
    expect(cancelled?.scanned).toBeLessThan(50);
    expect(c.cancel('nope')).toBeUndefined();
    // Once it stopped, another may start.
    expect(c.start({ attr: 'profile.age', op: 'lt', value: 50 }).state).toBe('running');
    const wrong = counts(store);
    expect(() => wrong.start({ attr: 'profile.shoeSize', op: 'gte', value: 40 })).toThrow(/rule/);
    expect(() => wrong.start({ attr: 'feature.nope', op: 'gte', value: 1 })).toThrow(expect.objectContaining({ code: 'invalid' }) as KairosError);
  });

  it('counts in worker threads on LMDB as in the event loop, one range a thread, and stops them when cancelled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-draft-count-'));
    const store = await base(new LmdbStore(dir, { prefetch: false }));
    try {
      // 300 more snapshots (ages 18..77, half in Vladivostok's day), and a customer whose key was destroyed.
      const snapshots = Array.from({ length: 300 }, (_, i) => {
        const profile = { age: 18 + (i % 60), ...(i % 2 === 0 ? { timezone: 'Asia/Vladivostok' } : {}) };
        const context = initialCustomerContext({ id: `w-${String(i).padStart(3, '0')}`, stage: 'client', profile, identifiers: {}, at: T0, reason: 'event' });
        return { id: context.id, value: { v: SNAPSHOT_VERSION, snapshot: { value: 'active', context } } };
      });
      await store.commit({ snapshots, identities: [], outbox: [] });
      await store.eraseCustomer('w-000', []);
      const rules = [{ attr: 'profile.age', op: 'gte', value: 60 }, { all: [{ attr: 'stage', op: 'eq', value: 'client' }, { attr: 'profile.age', op: 'lt', value: 30 }] }];
      for (const rule of rules) {
        const here = counts(store);
        const expected = await here.settled(here.start(rule).job);
        expect(expected).toMatchObject({ state: 'done', scanned: 349 });
        for (const threads of [1, 2, 3]) {
          const c = inWorkers(store, threads);
          const started = c.start(rule);
          expect(started.state).toBe('running');
          expect(await c.settled(started.job)).toMatchObject({ state: 'done', scanned: expected!.scanned, matched: expected!.matched });
        }
      }
      expect(store.parallelScan()).toMatchObject({ dir, customers: 310, by: 'snapshots' });
      // Cancelled before the workers start: they stop at once, and another count may run.
      const c = inWorkers(store, 2, 1);
      const first = c.start(rules[0]);
      expect(c.cancel(first.job)?.state).toBe('running');
      const cancelled = await c.settled(first.job);
      expect(cancelled?.state).toBe('cancelled');
      expect(cancelled?.scanned).toBeLessThan(349);
      expect(await c.settled(c.start(rules[0]).job)).toMatchObject({ state: 'done', scanned: 349 });
      // More imported customers than snapshots: the ids are split by the records.
      await store.importCustomers(Array.from({ length: 400 }, (_, i) => ({ id: `r-${String(i).padStart(3, '0')}`, record: record(20 + (i % 50)) })));
      expect(store.parallelScan()).toMatchObject({ customers: 440, by: 'records' });
      const here = counts(store);
      const expected = await here.settled(here.start(rules[0]).job);
      expect(expected).toMatchObject({ state: 'done', scanned: 749 });
      const byRecords = inWorkers(store, 3, 50);
      expect(await byRecords.settled(byRecords.start(rules[0]).job)).toMatchObject({ state: 'done', scanned: 749, matched: expected!.matched });
      // The server's close stops the counts under way and waits for their workers to end.
      const closing = inWorkers(store, 2, 1);
      const open = [closing.start(rules[0]), closing.start(rules[1])];
      await closing.close();
      for (const j of open) expect(closing.get(j.job)?.state).toBe('cancelled');
      // the workers' closing leaves the store open in this thread
      expect(await store.getSnapshot('w-001')).toBeDefined();
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
