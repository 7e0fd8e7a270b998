import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { CONFLICT_PREFIX, IdentityConflicts } from '../runtime/identity-conflicts.js';
import { MemoryStore } from '../store/memory-store.js';
import type { ShardedIdentityParts } from './sharded-identity.js';
import { recordWithheld, recordingsSettled } from './sharded-identity.js';

/**
 * The conflicts across shards an erasure races with (node-erasure.ts): none is recorded for a
 * customer being erased, and one whose recording began before is waited for, so that the
 * erasure finds it in the node's store.
 */

describe('recording the conflicts across shards beside an erasure', () => {
  it('records none naming a customer being erased, and is waited for while under way', async () => {
    const store = new MemoryStore();
    const conflicts = new IdentityConflicts({ store, secret: 'test-secret', clock: new ManualClock(0), metrics: createMetrics(), logger: createLogger('silent') });
    let answer: (holder: string) => void = () => undefined;
    let asked = 0;
    // (the holder's shard answers when the test says)
    const shards = {
      count: 2,
      call: () => {
        asked++;
        return new Promise<string>((resolve) => (answer = resolve));
      },
      callEvery: () => Promise.resolve([]),
    } as unknown as ShardedIdentityParts['shards'];
    const withheld = [{ kind: 'card' as const, value: '4000000000001234', shard: 1 }];
    const erasing = new Set(['holder-1']);

    // The holder being erased when its shard answers: nothing recorded.
    const skipped = recordWithheld({ shards, conflicts, erasing: (id) => erasing.has(id) }, 'claimant-1', withheld);
    answer('holder-1');
    await skipped;
    expect(await store.listMeta(CONFLICT_PREFIX, 10)).toEqual([]);

    // Under way (its shard not answered yet): waited for, and in the store once it has ended.
    erasing.clear();
    const recording = recordWithheld({ shards, conflicts, erasing: (id) => erasing.has(id) }, 'claimant-1', withheld);
    let settled = false;
    const waited = recordingsSettled().then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(asked).toBe(2);
    expect(settled).toBe(false);
    answer('holder-1');
    await waited;
    await recording;
    expect((await store.listMeta(CONFLICT_PREFIX, 10)).map((m) => m.value)).toEqual([expect.objectContaining({ holder: 'holder-1', claimant: 'claimant-1', kind: 'card' })]);
  });
});
