import { describe, expect, it } from 'vitest';
import type { DayBucket } from './customer-state.js';
import { addToBuckets } from './features.js';

describe('addToBuckets', () => {
  it('starts a bucket on the first observation', () => {
    expect(addToBuckets(undefined, 100, 250, 30)).toEqual([[100, 1, 250, 250, 250]]);
  });

  it("adds to today's bucket: count, sum, min and max", () => {
    const before: DayBucket[] = [
      [98, 2, 30, 10, 20],
      [100, 1, 250, 250, 250],
    ];
    const after = addToBuckets(before, 100, 50, 30);
    expect(after).toEqual([
      [98, 2, 30, 10, 20],
      [100, 2, 300, 50, 250],
    ]);
    // A new array, the old one untouched, unchanged buckets shared.
    expect(before[1]).toEqual([100, 1, 250, 250, 250]);
    expect(after[0]).toBe(before[0]);
  });

  it('appends a new day and drops buckets past the horizon', () => {
    const before: DayBucket[] = [
      [60, 1, 5, 5, 5],
      [80, 1, 7, 7, 7],
    ];
    expect(addToBuckets(before, 100, 9, 30)).toEqual([
      [80, 1, 7, 7, 7],
      [100, 1, 9, 9, 9],
    ]);
    expect(before).toHaveLength(2);
  });

  it('reads old three-element buckets (min and max from their average)', () => {
    expect(addToBuckets([[100, 2, 40]], 100, 10, 30)).toEqual([[100, 3, 50, 10, 20]]);
  });

  it('puts an observation dated before the newest bucket in its own day, in order', () => {
    const before: DayBucket[] = [
      [90, 1, 5, 5, 5],
      [100, 1, 7, 7, 7],
    ];
    expect(addToBuckets(before, 95, 3, 30)).toEqual([
      [90, 1, 5, 5, 5],
      [95, 1, 3, 3, 3],
      [100, 1, 7, 7, 7],
    ]);
    expect(addToBuckets(before, 90, 1, 30)).toEqual([
      [90, 2, 6, 1, 5],
      [100, 1, 7, 7, 7],
    ]);
  });
});
