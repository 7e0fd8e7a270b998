import type { Feature } from './catalog.js';
import type { DayBucket } from './customer-state.js';
import { civilDate } from './local-time.js';

/**
 * Windowed aggregates kept in the actor: a count and a sum per local calendar day.
 * "3 restaurant transactions in 30 days" reads the buckets of today and the 29 days before.
 */

/**
 * Adds one observation on `day`, dropping buckets older than `keepDays`. Returns a new array
 * of exactly the buckets kept (every customer's buckets live as long as the actor: no spare
 * capacity, one new bucket, the others shared with the previous array).
 */
export function addToBuckets(buckets: readonly DayBucket[] | undefined, day: number, amount: number, keepDays: number): DayBucket[] {
  const oldest = day - keepDays + 1;
  const old = buckets ?? [];
  let from = 0;
  while (from < old.length && (old[from] as DayBucket)[0] < oldest) from++;
  const last = old.length > from ? (old[old.length - 1] as DayBucket) : undefined;
  if (last !== undefined && last[0] === day) {
    // The common case: today's bucket is the newest; it is replaced.
    const out = old.slice(from);
    out[out.length - 1] = observed(last, amount);
    return out;
  }
  if (last === undefined || last[0] < day) {
    // A new day after the newest bucket.
    const out = new Array<DayBucket>(old.length - from + 1);
    for (let i = from; i < old.length; i++) out[i - from] = old[i] as DayBucket;
    out[old.length - from] = [day, 1, amount, amount, amount];
    return out;
  }
  // An observation dated before the newest bucket (an event's own `at` in the past).
  const kept = old.slice(from);
  const i = kept.findIndex((b) => b[0] === day);
  const existing = i >= 0 ? kept[i] : undefined;
  if (existing !== undefined) {
    kept[i] = observed(existing, amount);
    return kept;
  }
  kept.push([day, 1, amount, amount, amount]);
  kept.sort((a, b) => a[0] - b[0]);
  return kept.slice();
}

/** A day's bucket with one more observation. */
function observed(bucket: DayBucket, amount: number): DayBucket {
  const [day, count, sum, min = sum / count, max = sum / count] = bucket;
  return [day, count + 1, sum + amount, Math.min(min, amount), Math.max(max, amount)];
}

/** Which days a feature looks at: the last N days, this calendar month, or the one before. */
export type FeatureWindow = { kind: 'days'; days: number } | { kind: 'thisMonth' } | { kind: 'lastMonth' };
export type FeatureAggregate = 'count' | 'sum' | 'min' | 'max' | 'days' | 'daysSince';


/** Epoch day of a civil date (days-from-civil). */
function epochDayOf(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function firstOfMonth(epochDay: number, monthsBack: number): number {
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
      const never: never = w;
      throw new Error(`unhandled window ${JSON.stringify(never)}`);
    }
  }
}

/**
 * A feature's day buckets in a customer's features: its series'. When the series has none
 * (a catalog that grouped features another way wrote them), the member's own list that
 * starts earliest: what those features kept before, so a new grouping loses no history.
 */
export function bucketsOf(features: Readonly<Record<string, readonly DayBucket[] | undefined>>, f: Feature): readonly DayBucket[] | undefined {
  const own = features[f.series];
  if (own !== undefined || f.seriesMembers.length === 1) return own;
  let best: readonly DayBucket[] | undefined;
  for (const id of f.seriesMembers) {
    const b = features[id];
    if (b === undefined || b.length === 0) continue;
    if (best === undefined || (b[0] as DayBucket)[0] < (best[0] as DayBucket)[0]) best = b;
  }
  return best;
}

/** How many days of buckets a window needs kept. */
export function windowHorizon(w: FeatureWindow): number {
  return w.kind === 'days' ? w.days : w.kind === 'thisMonth' ? 31 : 62;
}

/**
 * A feature's value on `today`: over its window, the count of events, the sum, the smallest
 * or largest value, the number of days with an event, or the days since the last one
 * (min, max and daysSince are undefined when the window holds nothing).
 */
export function windowValue(buckets: readonly DayBucket[] | undefined, today: number, w: FeatureWindow, aggregate: FeatureAggregate): number | undefined {
  const [from, to] = windowDays(w, today);
  if (aggregate === 'daysSince') {
    let last: number | undefined;
    for (const [day] of buckets ?? []) if (day >= from && day <= to && (last === undefined || day > last)) last = day;
    return last === undefined ? undefined : today - last;
  }
  let total = 0;
  let extreme: number | undefined;
  for (const [day, count, sum, min = sum / count, max = sum / count] of buckets ?? []) {
    if (day < from || day > to) continue;
    switch (aggregate) {
      case 'count':
        total += count;
        break;
      case 'sum':
        total += sum;
        break;
      case 'days':
        total += 1;
        break;
      case 'min':
        extreme = extreme === undefined ? min : Math.min(extreme, min);
        break;
      case 'max':
        extreme = extreme === undefined ? max : Math.max(extreme, max);
        break;
      default: {
        const never: never = aggregate;
        throw new Error(`unhandled aggregate ${String(never)}`);
      }
    }
  }
  return aggregate === 'min' || aggregate === 'max' ? extreme : total;
}
