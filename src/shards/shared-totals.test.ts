import { describe, expect, it } from 'vitest';
import { SharedTotals, releaseHeldBy, sharedTotalsMemory } from './shared-totals.js';

describe('shared totals', () => {
  it('changes a slot under its lock, and the main thread frees a lock whose shard ended holding it', () => {
    const memory = sharedTotalsMemory(3);
    const shard1 = new SharedTotals(memory, 3, 2);
    const locks = new Int32Array(memory, 0, 3);
    shard1.locked(2, (v, at) => {
      // held by its owner's mark while inside
      expect(locks[2]).toBe(2);
      v[at] = 5;
      v[at + 1] = 0.25;
    });
    expect(locks[2]).toBe(0);
    expect([shard1.values[4], shard1.values[5]]).toEqual([5, 0.25]);
    // Another shard's view reads what shard 1 wrote.
    expect(new SharedTotals(memory, 3, 1).locked(2, (v, at) => v[at])).toBe(5);

    // Worker 2's thread ended holding slot 0; worker 1 holds slot 1.
    Atomics.store(locks, 0, 2);
    Atomics.store(locks, 1, 1);
    releaseHeldBy(memory, 3, 2);
    expect([...locks]).toEqual([0, 1, 0]);
  });
});
