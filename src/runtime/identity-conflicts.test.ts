import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { KairosError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { MemoryStore } from '../store/memory-store.js';
import type { IdentityConflictRecord } from './identity-conflicts.js';
import { CONFLICT_PREFIX, ERASED_FOR_MS, ERASED_KEPT, IdentityConflicts, metaNaming } from './identity-conflicts.js';

/**
 * What an erasure asks of the identity conflicts (`forgetting`): from its start no conflict
 * naming the customer is written, whether recorded or dismissed, for ERASED_FOR_MS of the
 * monotonic time (moved by hand here), and at most ERASED_KEPT customers are remembered.
 */

function conflicts() {
  const store = new MemoryStore();
  const mono = { now: 0 };
  const c = new IdentityConflicts({ store, secret: 'test-secret', clock: new ManualClock(0), metrics: createMetrics(), logger: createLogger('silent'), monotonicNow: () => mono.now });
  const all = async (): Promise<IdentityConflictRecord[]> => (await store.listMeta(CONFLICT_PREFIX, 100)).map((m) => m.value as IdentityConflictRecord);
  return { store, mono, conflicts: c, all };
}
const card = (holder: string, claimant: string) => ({ kind: 'card' as const, value: '4000000000009999', holder, claimant });

describe('identity conflicts beside an erasure', () => {
  it('records none naming a customer erased within ERASED_FOR_MS, holder or claimant; afterwards, as any other', async () => {
    const { mono, conflicts: c, all } = conflicts();
    await c.forgetting('gone');
    await c.record(card('gone', 'c-1'));
    await c.record(card('c-1', 'gone'));
    mono.now = ERASED_FOR_MS - 1;
    await c.record(card('gone', 'c-2'));
    expect(await all()).toEqual([]);
    // (the bank may give the id to a customer again: their conflicts are recorded once the window has passed)
    mono.now = ERASED_FOR_MS;
    await c.record(card('gone', 'c-1'));
    expect((await all()).map((r) => [r.holder, r.claimant])).toEqual([['gone', 'c-1']]);
  });

  it('remembers at most ERASED_KEPT customers, the oldest forgotten first', async () => {
    const { conflicts: c, all } = conflicts();
    for (let i = 0; i <= ERASED_KEPT; i++) await c.forgetting(`gone-${i}`);
    await c.record(card('gone-1', 'c-1'));
    await c.record(card('gone-0', 'c-1'));
    expect((await all()).map((r) => r.holder)).toEqual(['gone-0']);
  });

  it('dismisses no conflict naming a customer whose erasure began while the dismissal read it', async () => {
    const { store, conflicts: c, all } = conflicts();
    await c.record(card('c-1', 'c-2'));
    const [conflict] = await all();
    // (the dismissal's read answered, then held until the erasure has removed the conflict)
    const getMeta = store.getMeta.bind(store);
    let go!: () => void;
    const gate = new Promise<void>((r) => (go = r));
    store.getMeta = async (key: string) => {
      const found = await getMeta(key);
      await gate;
      return found;
    };
    const dismissed = c.dismiss(conflict!.id).catch((err: unknown) => err);
    const erased = (async () => {
      await c.forgetting('c-1');
      await store.eraseCustomer('c-1', [], undefined, await metaNaming(store, 'c-1'));
    })();
    await new Promise((r) => setTimeout(r, 5));
    go();
    await erased;
    expect(await dismissed).toMatchObject(new KairosError('not_found', `no identity conflict "${conflict!.id}"`));
    expect(await all()).toEqual([]);
  });
});
