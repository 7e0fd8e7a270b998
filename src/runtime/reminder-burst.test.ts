import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEGMENT_TIMER, SEGMENTS_CHECK_EVENT } from '../../actors/index.js';
import { granted, testCatalog } from '../../actors/test-support/fixtures.js';
import { ManualClock } from '../clock.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { MemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/store.js';
import { reminderKey } from '../store/store.js';
import { bareHost } from '../test-support/bare-host.js';

/**
 * Many reminders due at one moment (every customer's segment timer at a month's first
 * midnight): one poll fires them all, past the 1,000 a claim returns, each once, on a store
 * that keeps them until their removal commits (LMDB) as on one that does not need to.
 */

const T0 = Date.UTC(2030, 2, 1, 0, 0);
const N = 2500;

async function burst(store: Store): Promise<void> {
  await store.importCustomers(
    Array.from({ length: N }, (_, i) => ({
      id: `b-${i}`,
      record: { stage: 'client' as const, profile: { firstName: 'Ирина', age: 30 }, identifiers: { card: [`card-b-${i}`] }, consents: granted, importedAt: T0 - 86_400_000 },
    })),
  );
  const set = Array.from({ length: N }, (_, i) => ({ key: reminderKey(`b-${i}`, SEGMENT_TIMER), customer: `b-${i}`, due: T0, event: SEGMENTS_CHECK_EVENT }));
  await store.commit({ snapshots: [], identities: [], outbox: [], reminders: { set, remove: [] } });
  const clock = new ManualClock(T0 + 1000);
  const host = bareHost(store, clock, testCatalog, { maxHotActors: 10_000, maxInFlight: 10_000 });
  expect(await host.pollReminders()).toBe(N);
  await host.flush();
  // Each once: none left due, none fired again.
  expect(await store.dueReminders(T0 + 1000, 10)).toEqual([]);
  expect(await host.pollReminders()).toBe(0);
  await host.close(1000);
}

describe('a burst of due reminders', () => {
  it('fires all in one poll on the memory store', async () => {
    await burst(new MemoryStore());
  });

  it('fires all in one poll on LMDB', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-burst-'));
    const store = new LmdbStore(join(dir, 'lmdb'));
    try {
      await burst(store);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
