import type { DayBucket } from './customer-state.js';

/**
 * Windowed aggregates kept in the actor: a count and a sum per local calendar day.
 * "3 restaurant transactions in 30 days" reads the buckets of today and the 29 days before.
 */

/** Adds one observation on `day`, dropping buckets older than `keepDays`. Returns a new array. */
export function addToBuckets(buckets: readonly DayBucket[] | undefined, day: number, amount: number, keepDays: number): DayBucket[] {
  const oldest = day - keepDays + 1;
  const kept = (buckets ?? []).filter((b) => b[0] >= oldest);
  const i = kept.findIndex((b) => b[0] === day);
  const existing = i >= 0 ? kept[i] : undefined;
  if (existing !== undefined) {
    kept[i] = [day, existing[1] + 1, existing[2] + amount];
  } else {
    kept.push([day, 1, amount]);
    kept.sort((a, b) => a[0] - b[0]);
  }
  return kept;
}

/** The count or sum over the `windowDays` local days ending with `today`. */
export function windowValue(buckets: readonly DayBucket[] | undefined, today: number, windowDays: number, aggregate: 'count' | 'sum'): number {
  if (buckets === undefined) return 0;
  const oldest = today - windowDays + 1;
  let total = 0;
  for (const [day, count, sum] of buckets) {
    if (day >= oldest && day <= today) total += aggregate === 'count' ? count : sum;
  }
  return total;
}
