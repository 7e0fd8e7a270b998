import { describe, expect, it } from 'vitest';
import type { DaySeries } from './customer-state.js';
import { addToBuckets, windowValue } from './features.js';

describe('addToBuckets', () => {
  it('starts a bucket on the first observation', () => {
    expect(addToBuckets(undefined, 100, 250, 30)).toEqual([100, 1, 250, 250, 250]);
  });

  it("adds to today's bucket: count, sum, min and max", () => {
    const before: DaySeries = [98, 2, 30, 10, 20, 100, 1, 250, 250, 250];
    const after = addToBuckets(before, 100, 50, 30);
    expect(after).toEqual([98, 2, 30, 10, 20, 100, 2, 300, 50, 250]);
    // A new array, the old one untouched.
    expect(after).not.toBe(before);
    expect(before).toEqual([98, 2, 30, 10, 20, 100, 1, 250, 250, 250]);
  });

  it('appends a new day and drops buckets past the horizon', () => {
    const before: DaySeries = [60, 1, 5, 5, 5, 80, 1, 7, 7, 7];
    expect(addToBuckets(before, 100, 9, 30)).toEqual([80, 1, 7, 7, 7, 100, 1, 9, 9, 9]);
    expect(before).toHaveLength(10);
    // Every day past the horizon: only the new one.
    expect(addToBuckets(before, 200, 1, 30)).toEqual([200, 1, 1, 1, 1]);
  });

  it('puts an observation dated before the newest bucket in its own day, in order', () => {
    const before: DaySeries = [90, 1, 5, 5, 5, 100, 1, 7, 7, 7];
    expect(addToBuckets(before, 95, 3, 30)).toEqual([90, 1, 5, 5, 5, 95, 1, 3, 3, 3, 100, 1, 7, 7, 7]);
    expect(addToBuckets(before, 90, 1, 30)).toEqual([90, 2, 6, 1, 5, 100, 1, 7, 7, 7]);
    expect(addToBuckets(before, 85, 2, 30)).toEqual([85, 1, 2, 2, 2, 90, 1, 5, 5, 5, 100, 1, 7, 7, 7]);
    expect(before).toEqual([90, 1, 5, 5, 5, 100, 1, 7, 7, 7]);
  });

  it('ignores a trailing partial bucket', () => {
    expect(addToBuckets([100, 1, 5, 5, 5, 101, 1], 100, 1, 30)).toEqual([100, 2, 6, 1, 5]);
  });
});

describe('windowValue', () => {
  const series: DaySeries = [90, 2, 30, 10, 20, 95, 1, 7, 7, 7, 100, 3, 12, 1, 9];
  const last7 = { kind: 'days', days: 7 } as const;
  const last30 = { kind: 'days', days: 30 } as const;
  it('aggregates the days in the window', () => {
    expect(windowValue(series, 100, last7, 'count')).toBe(4);
    expect(windowValue(series, 100, last30, 'count')).toBe(6);
    expect(windowValue(series, 100, last7, 'sum')).toBe(19);
    expect(windowValue(series, 100, last30, 'days')).toBe(3);
    expect(windowValue(series, 100, last30, 'min')).toBe(1);
    expect(windowValue(series, 100, last30, 'max')).toBe(20);
    expect(windowValue(series, 103, last30, 'daysSince')).toBe(3);
  });

  it('is undefined for min, max and daysSince over an empty window, 0 for the others', () => {
    expect(windowValue(series, 200, last7, 'min')).toBeUndefined();
    expect(windowValue(series, 200, last7, 'daysSince')).toBeUndefined();
    expect(windowValue(undefined, 200, last7, 'count')).toBe(0);
  });
});
