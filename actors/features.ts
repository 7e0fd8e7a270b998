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

/** Which days a feature looks at: the last N days, this calendar month, or the one before. */
export type FeatureWindow = { kind: 'days'; days: number } | { kind: 'thisMonth' } | { kind: 'lastMonth' };
export type FeatureAggregate = 'count' | 'sum' | 'daysSince';

const DAY_MS = 86_400_000;

function firstOfMonth(epochDay: number, monthsBack: number): number {
  const d = new Date(epochDay * DAY_MS);
  return Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - monthsBack, 1) / DAY_MS);
}

/** The first and last local day of the window ending `today` (epoch days, inclusive). */
export function windowDays(w: FeatureWindow, today: number): [from: number, to: number] {
  switch (w.kind) {
    case 'days':
      return [today - w.days + 1, today];
    case 'thisMonth':
      return [firstOfMonth(today, 0), today];
    case 'lastMonth':
      return [firstOfMonth(today, 1), firstOfMonth(today, 0) - 1];
    default: {
      const never: never = w;
      throw new Error(`unhandled window ${JSON.stringify(never)}`);
    }
  }
}

/** How many days of buckets a window needs kept. */
export function windowHorizon(w: FeatureWindow): number {
  return w.kind === 'days' ? w.days : w.kind === 'thisMonth' ? 31 : 62;
}

/**
 * A feature's value on `today`: the count or sum over its window, or the days since the
 * last observation in the window (undefined when there is none).
 */
export function windowValue(buckets: readonly DayBucket[] | undefined, today: number, w: FeatureWindow, aggregate: FeatureAggregate): number | undefined {
  const [from, to] = windowDays(w, today);
  if (aggregate === 'daysSince') {
    let last: number | undefined;
    for (const [day] of buckets ?? []) if (day >= from && day <= to && (last === undefined || day > last)) last = day;
    return last === undefined ? undefined : today - last;
  }
  let total = 0;
  for (const [day, count, sum] of buckets ?? []) {
    if (day >= from && day <= to) total += aggregate === 'count' ? count : sum;
  }
  return total;
}
