import type { Feature, Score } from './catalog/compiled-catalog.js';
import type { Catalog } from './catalog/compiled-catalog.js';
import { conditionLeaves } from './condition.js';
import type { CustomerContext } from './customer-state.js';
import { BUCKET_SIZE, isIsoDate } from './customer-state.js';
import { bucketsOf, firstOfMonth, windowDays } from './features.js';
import { civilDate, epochDayOf, startOfLocalDay } from './local-time.js';
import type { ReminderSpec } from './reminders.js';
import { customerTimeZone } from './scope.js';

/**
 * Memberships that time alone moves (issue 29: a silent churner enters "declining activity"
 * without an event). Segment rules read local-day values: windowed features, whose value
 * changes only when a day bucket leaves (or enters) the window or a calendar month begins;
 * `daysSince` features, whose value grows by one each day (a rule's answer changes only where
 * it crosses a number the rule compares it with); and `profile.age`, which changes on a
 * birthday. So the next moment any membership can change is the earliest such day's local
 * midnight, and the actor keeps one durable timer (`segments`) for it: it fires a
 * `segments.check` event, which evaluates every segment (a new day) and arms the next one.
 */

/** The reminder name of a customer's segment timer. */
export const SEGMENT_TIMER = 'segments';
/** The event the segment timer fires. */
export const SEGMENTS_CHECK_EVENT = 'segments.check';

/** What segment rules read that time moves, compiled once per catalog (`segmentClockOf`). */
export interface SegmentClock {
  /**
   * The features segment rules read (directly, through a score or a `ref`): for a `daysSince`
   * feature, the day counts its rules compare it with (`daily` when a rule compares it with
   * something that is not a constant: a score, a ref); for the others, an empty list.
   */
  features: ReadonlyArray<{ feature: Feature; thresholds: readonly number[] | 'daily' }>;
  /** whether a segment rule reads `profile.age` (it moves on birthdays) */
  age: boolean;
}

/** The numbers a leaf compares with: undefined when it compares with no constant number. */
function constants(value: unknown): number[] | undefined {
  if (value === undefined) return [];
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.every((v) => typeof v === 'number') ? value : undefined;
  return undefined;
}

/** A catalog's segment clock, from its segment rules' definitions. */
export function segmentClockOf(rules: readonly unknown[], featureById: ReadonlyMap<string, Feature>, scores: ReadonlyMap<string, Score>): SegmentClock {
  const features = new Map<string, number[] | 'daily'>();
  let age = false;
  const read = (id: string, thresholds: number[] | undefined): void => {
    const f = featureById.get(id);
    if (f === undefined) return;
    const had = features.get(id) ?? [];
    if (f.aggregate !== 'daysSince') features.set(id, had);
    else if (had === 'daily' || thresholds === undefined) features.set(id, 'daily');
    else features.set(id, [...had, ...thresholds]);
  };
  /** An attribute a rule reads, compared with `thresholds` (undefined: with no constant number). */
  const readAttr = (attr: string, thresholds: number[] | undefined): void => {
    const [root, ...rest] = attr.split('.');
    const name = rest.join('.');
    if (root === 'profile' && name === 'age') age = true;
    else if (root === 'feature') read(name, thresholds);
    // A score weighs capped feature values: its answer moves with them, whatever it is compared with.
    else if (root === 'score') for (const t of scores.get(name)?.terms ?? []) read(t.feature, undefined);
  };
  for (const rule of rules) {
    for (const leaf of conditionLeaves(rule)) {
      // A comparison with another attribute (`ref`): both sides move, neither with a constant.
      if (leaf.attr !== undefined) readAttr(leaf.attr, leaf.ref === undefined ? constants(leaf.value) : undefined);
      if (leaf.ref !== undefined) readAttr(leaf.ref, undefined);
    }
  }
  // An array of the features themselves: what each event walks, with nothing to look up or allocate.
  return { features: [...features].flatMap(([id, thresholds]) => (featureById.has(id) ? [{ feature: featureById.get(id) as Feature, thresholds }] : [])), age };
}


/** The next local day after `today` on which feature `f`'s value can change, or undefined. */
function nextFeatureChange(ctx: CustomerContext, f: Feature, thresholds: readonly number[] | 'daily', today: number): number | undefined {
  const b = bucketsOf(ctx.features, f);
  if (b === undefined || b.length < BUCKET_SIZE) return undefined;
  const days = f.window.kind === 'days' ? f.window.days : undefined;
  const [from] = windowDays(f.window, today);
  // A calendar-month window starts again on the first of next month.
  let best = days === undefined ? firstOfMonth(today, -1) : Infinity;
  let oldest: number | undefined;
  let last: number | undefined;
  const n = b.length - (b.length % BUCKET_SIZE);
  for (let i = 0; i < n; i += BUCKET_SIZE) {
    const day = b[i] as number;
    // A bucket dated after today (an event's own `at` a little ahead) enters the window then.
    if (day > today) best = Math.min(best, day);
    else if (day >= from) {
      oldest = oldest === undefined ? day : Math.min(oldest, day);
      last = last === undefined ? day : Math.max(last, day);
    }
  }
  // The oldest bucket in a sliding window leaves it the day after its last day in it.
  if (oldest !== undefined && days !== undefined) best = Math.min(best, oldest + days);
  if (f.aggregate === 'daysSince' && last !== undefined) {
    if (thresholds === 'daily') best = Math.min(best, today + 1);
    else {
      // The days its value (today − last) crosses v: last + ⌊v⌋, the day after (a `gt`), last + ⌈v⌉.
      for (const v of thresholds) {
        const d = last + Math.floor(v);
        if (d > today) best = Math.min(best, d);
        else if (d + 1 > today) best = Math.min(best, d + 1);
        const up = last + Math.ceil(v);
        if (up > today) best = Math.min(best, up);
      }
    }
  }
  return Number.isFinite(best) ? best : undefined;
}

/** The customer's next birthday after `today`, as a local day (Feb 29 of a common year: Mar 1, when the age moves). */
function nextBirthday(birthDate: string, today: number): number {
  const [, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  const [year] = civilDate(today);
  const thisYear = epochDayOf(year, m, d);
  return thisYear > today ? thisYear : epochDayOf(year + 1, m, d);
}

/**
 * The next local day after `today` on which any of the customer's memberships can change with
 * no event, or undefined when none can (no windowed history, no birthday a rule reads).
 */
export function nextMembershipChangeDay(ctx: CustomerContext, catalog: Catalog, today: number): number | undefined {
  let best = Infinity;
  for (const { feature, thresholds } of catalog.segmentClock.features) {
    const day = nextFeatureChange(ctx, feature, thresholds, today);
    if (day !== undefined && day < best) best = day;
  }
  const birth = ctx.profile.birthDate;
  if (catalog.segmentClock.age && birth !== undefined && isIsoDate(birth)) best = Math.min(best, nextBirthday(birth, today));
  return Number.isFinite(best) ? best : undefined;
}

/** When the armed segment timer fires (local midnight of `ctx.segmentsCheckDay`), or undefined when none is armed. */
export function segmentTimerDue(ctx: CustomerContext, catalog: Catalog): number | undefined {
  return ctx.segmentsCheckDay === undefined ? undefined : startOfLocalDay(ctx.segmentsCheckDay, customerTimeZone(ctx, catalog));
}

/**
 * The segment timer to set after a step on local day `today`: due at local midnight (the
 * customer's time zone) of the next day a membership can change, set when that day differs
 * from the armed one (`ctx.segmentsCheckDay`), or when `renew` says so (the step is the timer
 * firing, which used it up; or the profile changed, the time zone perhaps); cancelled when none
 * is armed any more. Returns the context recording the armed day and the reminder to commit
 * with it (undefined: nothing to change: most steps).
 */
export function segmentTimer(ctx: CustomerContext, catalog: Catalog, today: number, renew: boolean): { ctx: CustomerContext; reminder?: ReminderSpec } {
  const day = nextMembershipChangeDay(ctx, catalog, today);
  if (day === ctx.segmentsCheckDay && !(renew && day !== undefined)) return { ctx };
  if (day === undefined) {
    const { segmentsCheckDay: _gone, ...rest } = ctx;
    return { ctx: rest, reminder: { name: SEGMENT_TIMER, cancel: true } };
  }
  const due = startOfLocalDay(day, customerTimeZone(ctx, catalog));
  return { ctx: { ...ctx, segmentsCheckDay: day }, reminder: { name: SEGMENT_TIMER, due, event: SEGMENTS_CHECK_EVENT } };
}

/**
 * Whether a stored customer's memberships may be stale at `now` with no timer to set them
 * right (the daily sweep's test, the safety net under the timers): never evaluated (imported,
 * merged), evaluated under another catalog, or a change due by today with no timer armed for
 * it (a state from before the timers, or a timer lost). An armed timer whose moment has come
 * within `graceMs` is the reminder poller's to fire, not the sweep's.
 */
export function segmentsNeedCheck(ctx: CustomerContext, catalog: Catalog, now: number, graceMs: number): boolean {
  if (catalog.segments.length === 0) return false;
  const last = ctx.segmentsEvaluated;
  // Evaluated under other segment rules (not merely another catalog version: a campaign's edit moves no membership).
  if (last === undefined || (last.catalog !== catalog.version && last.rules !== catalog.segmentsFingerprint)) return true;
  const next = nextMembershipChangeDay(ctx, catalog, last.day);
  if (next === undefined) return false;
  const due = startOfLocalDay(next, customerTimeZone(ctx, catalog));
  if (due > now) return false;
  // A change is due. An armed timer at or before it is the poller's to fire, unless it is late
  // past the grace; none armed, or one armed after it, is what the net is for.
  const armed = segmentTimerDue(ctx, catalog);
  return armed === undefined || armed > due || armed <= now - graceMs;
}
