import { describe, expect, it } from 'vitest';
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

async function base(): Promise<MemoryStore> {
  const store = new MemoryStore();
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

const counts = (store: MemoryStore, pageSize = 7, maxRunning = 2): DraftCounts => new DraftCounts({ store, catalog: () => testCatalog, clock: new ManualClock(T0), logger: createLogger('silent'), pageSize, maxRunning });

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
});
