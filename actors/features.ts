import type { Feature } from './catalog/compiled-catalog.js';
import type { FeatureAggregate, FeatureWindow } from './catalog/feature-window.js';
import { unreachable } from './brain-error.js';
import type { DaySeries } from './customer-state.js';
import { BUCKET_SIZE } from './customer-state.js';
import { civilDate, epochDayOf } from './local-time.js';

/**
 * Windowed aggregates kept in the actor: a count and a sum per local calendar day.
 * "3 restaurant transactions in 30 days" reads the buckets of today and the 29 days before.
 */

/**
 * Adds one observation on `day`, dropping days older than `keepDays`. Returns a new series of
 * exactly the days kept (every customer's buckets live as long as the actor: no spare
 * capacity).
 */
export function addToBuckets(series: Readonly<DaySeries> | undefined, day: number, amount: number, keepDays: number): DaySeries {
  const oldest = day - keepDays + 1;
  const old = series ?? [];
  const n = old.length - (old.length % BUCKET_SIZE);
  let from = 0;
  while (from < n && (old[from] as number) < oldest) from += BUCKET_SIZE;
  const lastAt = n > from ? n - BUCKET_SIZE : -1;
  const lastDay = lastAt >= 0 ? (old[lastAt] as number) : undefined;
  if (lastDay === day) {
    // The common case: today's bucket is the newest; it is replaced.
    const out = old.slice(from, n);
    observe(out, out.length - BUCKET_SIZE, amount);
    return out;
  }
  // A new day after the newest bucket.
  if (lastDay === undefined || lastDay < day) return withNewDay(old, from, n, n, day, amount);
  // An observation dated before the newest bucket (an event's own `at` in the past).
  let at = from;
  while (at < n && (old[at] as number) < day) at += BUCKET_SIZE;
  if (at < n && old[at] === day) {
    const out = old.slice(from, n);
    observe(out, at - from, amount);
    return out;
  }
  return withNewDay(old, from, at, n, day, amount);
}

/** `old[from..n)` with a first observation on `day` inserted at `at`, in an array of exactly that length. */
function withNewDay(old: Readonly<DaySeries>, from: number, at: number, n: number, day: number, amount: number): DaySeries {
  const out = new Array<number>(n - from + BUCKET_SIZE);
  for (let i = from; i < at; i++) out[i - from] = old[i] as number;
  const j = at - from;
  out[j] = day;
  out[j + 1] = 1;
  out[j + 2] = amount;
  out[j + 3] = amount;
  out[j + 4] = amount;
  for (let i = at; i < n; i++) out[i - from + BUCKET_SIZE] = old[i] as number;
  return out;
}

/** The bucket at `i` of `series` with one more observation (in place: on a fresh copy). */
function observe(series: DaySeries, i: number, amount: number): void {
  series[i + 1] = (series[i + 1] as number) + 1;
  series[i + 2] = (series[i + 2] as number) + amount;
  series[i + 3] = Math.min(series[i + 3] as number, amount);
  series[i + 4] = Math.max(series[i + 4] as number, amount);
}


/** The first day of the month `monthsBack` months before `epochDay`'s (negative: after). */
export function firstOfMonth(epochDay: number, monthsBack: number): number {
  const [year, month] = civilDate(epochDay);
  const m0 = year * 12 + (month - 1) - monthsBack;
  return epochDayOf(Math.floor(m0 / 12), (m0 % 12) + 1, 1);
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
      throw unreachable('window', w);
    }
  }
}

/**
 * A feature's day buckets in a customer's features: its series'. When the series has none
 * (a catalog that grouped features another way wrote them), the member's own list that
 * starts earliest: what those features kept before, so a new grouping loses no history.
 */
export function bucketsOf(features: Readonly<Record<string, Readonly<DaySeries> | undefined>>, f: Feature): Readonly<DaySeries> | undefined {
  const own = features[f.series];
  if (own !== undefined || f.seriesMembers.length === 1) return own;
  let best: Readonly<DaySeries> | undefined;
  for (const id of f.seriesMembers) {
    const b = features[id];
    if (b === undefined || b.length < BUCKET_SIZE) continue;
    if (best === undefined || (b[0] as number) < (best[0] as number)) best = b;
  }
  return best;
}

/**
 * A feature's value on `today`: over its window, the count of events, the sum, the smallest
 * or largest value, the number of days with an event, or the days since the last one
 * (min, max and daysSince are undefined when the window holds nothing).
 */
export function windowValue(series: Readonly<DaySeries> | undefined, today: number, w: FeatureWindow, aggregate: FeatureAggregate): number | undefined {
  const [from, to] = windowDays(w, today);
  const b = series ?? [];
  const n = b.length - (b.length % BUCKET_SIZE);
  if (aggregate === 'daysSince') {
    let last: number | undefined;
    for (let i = 0; i < n; i += BUCKET_SIZE) {
      const day = b[i] as number;
      if (day >= from && day <= to && (last === undefined || day > last)) last = day;
    }
    return last === undefined ? undefined : today - last;
  }
  let total = 0;
  let extreme: number | undefined;
  for (let i = 0; i < n; i += BUCKET_SIZE) {
    const day = b[i] as number;
    if (day < from || day > to) continue;
    switch (aggregate) {
      case 'count':
        total += b[i + 1] as number;
        break;
      case 'sum':
        total += b[i + 2] as number;
        break;
      case 'days':
        total += 1;
        break;
      case 'min':
        extreme = extreme === undefined ? b[i + 3] : Math.min(extreme, b[i + 3] as number);
        break;
      case 'max':
        extreme = extreme === undefined ? b[i + 4] : Math.max(extreme, b[i + 4] as number);
        break;
      default: {
        throw unreachable('aggregate', aggregate);
      }
    }
  }
  return aggregate === 'min' || aggregate === 'max' ? extreme : total;
}
