import { csvField } from '../csv-field.js';
import { reportFigure, reportFigureOrNull } from './report-figure.js';
import type { ContactRecord, DeferralStep, Explanation } from '../../actors/index.js';
import { civilDate, epochDayOf } from '../../actors/index.js';
import type { FlatCounter } from './meta-counters.js';
import { MetaCounters } from './meta-counters.js';

/**
 * The campaign funnel, across customers, per campaign × channel × offer × target group:
 * how often a campaign was triggered, suppressed (by reason), held out (control group),
 * offered, delivered or failed, answered (by outcome), and converted (its goal reached).
 * Counted as decisions are made and contact records change; kept in the store's meta with
 * the write-behind batches, like the other totals.
 *
 * A message quiet hours deferred is triggered once: its retry is that trigger's outcome, not
 * a trigger of its own. Per campaign (summed over channel, offer and group: a retry may
 * reach another channel or group than its deferral), the stages add up:
 *
 *   triggered = offered + control + (suppressed − cancelled) + waiting,  waiting = deferred − resumed
 *
 * (counted from the build that keeps these counts; earlier totals lack `cancelled`,
 * `deferred` and `resumed`).
 *
 * Besides the totals since the store began (meta `funnel/…`), the same counts per local day
 * (meta `funnel-day/YYYY-MM-DD…`, the policy's defaultTimezone, the server clock when the step
 * ran), for reports over a date range: decisions by the day they were made, deliveries,
 * answers and conversions by the day they were recorded. An outcome a later one replaced (a
 * call closed `no_answer` or `expired`, then answered) stays in its day's bucket and leaves
 * the totals only, so no count of a range is negative. Days older than FUNNEL_KEEP_DAYS are
 * neither loaded nor kept in memory.
 */
export interface FunnelCounts {
  triggered: number;
  /** decisions that silenced the campaign, and queued messages cancelled at send time (`cancelled`) */
  suppressed: number;
  /** by reason code (the part of the reason before the first colon: cap, recency, expired…) */
  suppressedBy: Record<string, number>;
  /** of `suppressed`, queued messages cancelled at send time (already counted as offered) */
  cancelled: number;
  /** decisions that deferred the message to the customer's next window (quiet hours): not suppressed */
  deferred: number;
  /** deferrals that came to an end: their retry decided (offered, suppressed, deferred again…) or superseded by a later one */
  resumed: number;
  control: number;
  offered: number;
  delivered: number;
  failed: number;
  /** answers by outcome (accepted, declined, later, dismissed, clicked…; expired when none came) */
  outcomes: Record<string, number>;
  converted: number;
  /** control-group hold-outs whose goal was reached all the same (the uplift's baseline) */
  controlConverted: number;
}

/** `run`: the outbound run a row's decisions were made for ("-" for events' decisions; docs/outbound.md) */
export const FUNNEL_DIMENSIONS = ['campaign', 'channel', 'offer', 'group', 'run'] as const;
/** The counted stages of a row, in funnel order (the metric `kairos_campaign_funnel{stage}`). */
export const FUNNEL_STAGES = ['triggered', 'suppressed', 'cancelled', 'deferred', 'resumed', 'waiting', 'control', 'offered', 'delivered', 'failed', 'answered', 'accepted', 'declined', 'expired', 'converted', 'controlConverted'] as const;
export type FunnelDimension = (typeof FUNNEL_DIMENSIONS)[number];

/** A report row: its dimensions, the counts summed over the rest, and what follows from them. */
export interface FunnelRow extends Record<FunnelDimension, string>, FunnelCounts {
  /** the segment (the report by segment only) */
  segment?: string;
  /** deferred messages still waiting for their retry: deferred − resumed */
  waiting: number;
  /** answers of any outcome but `expired` */
  answered: number;
  accepted: number;
  declined: number;
  expired: number;
  /** accepted / offered; null before the first offer */
  acceptanceRate: number | null;
  /** converted / offered (treated contacts only); null before the first offer */
  conversionRate: number | null;
  /** answered / offered; null before the first offer */
  responseRate: number | null;
  /** converted / offered − controlConverted / control; null without offers or without hold-outs */
  upliftRate: number | null;
}

/** Whether a contact's outcome is an answer: any but an offer left to expire and a call nobody answered. */
export const isAnswer = (outcome: string): boolean => outcome !== 'expired' && outcome !== 'no_answer';

/** How many local days back the daily buckets are kept (older ones are neither loaded nor kept). */
export const FUNNEL_KEEP_DAYS = 400;

/**
 * How many of a customer's segments a step is counted in, by segment: the first by id. A
 * customer in more segments is counted in these only (each counted step costs one update per
 * segment, and a customer's segments are a few as a rule).
 */
export const FUNNEL_SEGMENTS_PER_STEP = 16;

/** countedSegments' answers by memberships object: a context keeps its memberships' object while they do not change (most steps). */
const counted = new WeakMap<Readonly<Record<string, number>>, readonly string[]>();
const NO_SEGMENTS: readonly string[] = Object.freeze([]);

/** The segments a customer's step is counted in: the first FUNNEL_SEGMENTS_PER_STEP by id (the same list for the same memberships object: never change it). */
export function countedSegments(segments: Readonly<Record<string, number>>): readonly string[] {
  let out = counted.get(segments);
  if (out === undefined) {
    const ids = Object.keys(segments);
    out = ids.length === 0 ? NO_SEGMENTS : Object.freeze(ids.sort().slice(0, FUNNEL_SEGMENTS_PER_STEP));
    counted.set(segments, out);
  }
  return out;
}

/** A local day number (days since 1970-01-01) as YYYY-MM-DD. */
export function isoDay(epochDay: number): string {
  const [y, m, d] = civilDate(epochDay);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** YYYY-MM-DD as a local day number; undefined when it is not a date of the calendar. */
export function parseIsoDay(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m === null) return undefined;
  const day = epochDayOf(Number(m[1]), Number(m[2]), Number(m[3]));
  return isoDay(day) === text ? day : undefined;
}

/** Daily buckets: keyed `YYYY-MM-DD<SEP>row key`; days before `keepFrom` are dropped as they come. */
export class DayCounters<V extends object> extends MetaCounters<V> {
  private keepFrom = '';

  private keeps(key: string): boolean {
    return key.slice(this.prefix.length, this.prefix.length + 10) >= this.keepFrom;
  }

  /** Keeps the days from `day` (YYYY-MM-DD) on, forgets the older ones. */
  keepDaysFrom(day: string): void {
    this.keepFrom = day;
    const old = [...this.all().keys()].filter((id) => id.slice(0, 10) < day);
    if (old.length > 0) this.forget(old);
  }

  override load(entries: ReadonlyArray<{ key: string; value: unknown }>): void {
    super.load(entries.filter((e) => this.keeps(e.key)));
  }

  override merge(entries: ReadonlyArray<{ key: string; value: FlatCounter }>): void {
    super.merge(entries.filter((e) => this.keeps(e.key)));
  }
}

/** "-" stands for a dimension a suppressed decision never reached (no channel slot, no group). */
const NONE = '-';
const SEP = '\u001f';

const empty = (): FunnelCounts => ({ triggered: 0, suppressed: 0, suppressedBy: {}, cancelled: 0, deferred: 0, resumed: 0, control: 0, offered: 0, delivered: 0, failed: 0, outcomes: {}, converted: 0, controlConverted: 0 });

function keyOf(campaign: string, channel: string | undefined, offer: string | undefined, group: string | undefined, run: string | undefined): string {
  // an event's decision keeps the key it had before runs were counted
  const dims = [campaign, channel ?? NONE, offer ?? NONE, group ?? NONE];
  if (run !== undefined) dims.push(run);
  return dims.join(SEP);
}

export class FunnelLedger {
  readonly counters = new MetaCounters<FunnelCounts>('funnel/', empty);
  /** the same counts per local day (bounded: FUNNEL_KEEP_DAYS) */
  readonly days = new DayCounters<FunnelCounts>('funnel-day/', empty);
  /** the same counts per campaign × segment the customer was in (FUNNEL_SEGMENTS_PER_STEP at most per step) */
  readonly segmentCounters = new MetaCounters<FunnelCounts>('funnel-seg/', empty);
  /** and per local day */
  readonly segmentDays = new DayCounters<FunnelCounts>('funnel-seg-day/', empty);
  /** the day last counted, and its YYYY-MM-DD */
  private today = Number.NaN;
  private todayIso = '';

  /** Keeps (and loads) the daily buckets of the FUNNEL_KEEP_DAYS days up to `epochDay`, forgets older ones. */
  keepDaysUpTo(epochDay: number): void {
    const from = isoDay(epochDay - FUNNEL_KEEP_DAYS + 1);
    this.days.keepDaysFrom(from);
    this.segmentDays.keepDaysFrom(from);
  }

  /**
   * A change to a row's totals and, when the day is known, to its daily bucket; the same
   * change to the campaign's row of each segment in `segments` (countedSegments).
   */
  private update(key: string, day: number | undefined, change: (f: FunnelCounts) => void, segments: readonly string[] = []): void {
    this.counters.update(key, change);
    const campaign = segments.length === 0 ? '' : key.slice(0, key.indexOf(SEP));
    for (const s of segments) this.segmentCounters.update(`${campaign}${SEP}${s}`, change);
    if (day === undefined) return;
    if (day !== this.today) {
      this.today = day;
      this.todayIso = isoDay(day);
      this.keepDaysUpTo(day);
    }
    this.days.update(`${this.todayIso}${SEP}${key}`, change);
    for (const s of segments) this.segmentDays.update(`${this.todayIso}${SEP}${campaign}${SEP}${s}`, change);
  }

  /** A change to a row's totals (and its segments' totals) alone, not to a daily bucket. */
  private updateTotals(key: string, change: (f: FunnelCounts) => void, segments: readonly string[]): void {
    this.counters.update(key, change);
    const campaign = key.slice(0, key.indexOf(SEP));
    for (const s of segments) this.segmentCounters.update(`${campaign}${SEP}${s}`, change);
  }

  /**
   * A decision's explanations: triggered (or, for a deferred message's retry, resumed), and
   * then deferred, suppressed, held out or offered; waiting deferrals a later one superseded
   * (resumed and suppressed `superseded`). `day`: the local day it was made on (the server
   * clock, the policy's defaultTimezone), for the daily buckets. `segments`: the customer's
   * segments after the step (countedSegments), for the report by segment.
   */
  recordDecision(explain: readonly Explanation[], deferrals?: DeferralStep, day?: number, segments: readonly string[] = []): void {
    for (const e of explain) {
      const resumed = deferrals?.resumed.includes(e.campaign) === true;
      // Resumed where its deferral was counted (no channel, no offer), so a row's `waiting` is its own.
      if (resumed) this.update(keyOf(e.campaign, undefined, undefined, e.group, e.run), day, (f) => void (f.resumed += 1), segments);
      this.update(keyOf(e.campaign, e.channel, e.offer, e.group, e.run), day, (f) => {
        if (!resumed) f.triggered += 1;
        if (e.verdict === 'offered') f.offered += 1;
        else if (e.verdict === 'control') f.control += 1;
        else if (e.reason?.startsWith('deferred:') === true) f.deferred += 1;
        else {
          f.suppressed += 1;
          const code = (e.reason ?? 'unknown').split(':')[0] ?? 'unknown';
          f.suppressedBy[code] = (f.suppressedBy[code] ?? 0) + 1;
        }
      }, segments);
    }
    for (const campaign of deferrals?.superseded ?? []) {
      // Where it was counted: the row of the deferral that replaces it (the same target group, as a rule).
      const replacing = explain.find((e) => e.campaign === campaign);
      this.update(keyOf(campaign, undefined, undefined, replacing?.group, replacing?.run), day, (f) => {
        f.resumed += 1;
        f.suppressed += 1;
        f.suppressedBy.superseded = (f.suppressedBy.superseded ?? 0) + 1;
      }, segments);
    }
  }

  /**
   * What changed on a customer's contact records in one step: deliveries confirmed,
   * failed or suppressed at send time, answers (or expiries), goals reached. Contact records are immutable: an unchanged
   * one is the same object in both lists, so only new objects are compared. A control-group
   * hold-out counts only its goal reached (`controlConverted`). `day`: the local day it was
   * recorded on, for the daily buckets; `segments`: the customer's segments after the step.
   */
  recordContacts(before: readonly ContactRecord[], after: readonly ContactRecord[], day?: number, segments: readonly string[] = []): void {
    if (before === after) return;
    let old: Map<string, ContactRecord> | undefined;
    for (let i = after.length - 1; i >= 0; i--) {
      const c = after[i];
      if (c === undefined) continue;
      if (before.includes(c)) continue;
      old ??= new Map(before.map((b) => [b.instance, b]));
      const prev = old.get(c.instance);
      if (c.control === true) {
        if (c.converted !== undefined && prev?.converted === undefined) this.update(keyOf(c.campaign, c.channel, c.offer, c.group, c.run), day, (f) => void (f.controlConverted += 1), segments);
        continue;
      }
      const delivered = c.delivery === 'delivered' && prev?.delivery !== 'delivered';
      const failed = c.delivery === 'failed' && prev?.delivery !== 'failed';
      // Cancelled at send time (stop list, consent, expiry): counted with the decision's suppressions, by its reason.
      const suppressed = c.delivery === 'suppressed' && prev?.delivery !== 'suppressed';
      // (a call's outcome may come after it was closed unanswered, expired or no answer: it moves there)
      const answered = c.outcome !== undefined && c.outcome !== prev?.outcome;
      const was = answered ? prev?.outcome : undefined;
      const converted = c.converted !== undefined && prev?.converted === undefined;
      if (!delivered && !failed && !suppressed && !answered && !converted) continue;
      this.update(keyOf(c.campaign, c.channel, c.offer, c.group, c.run), day, (f) => {
        if (delivered) f.delivered += 1;
        if (failed) f.failed += 1;
        if (suppressed) {
          const code = c.suppressed ?? 'unknown';
          f.suppressed += 1;
          f.cancelled += 1;
          f.suppressedBy[code] = (f.suppressedBy[code] ?? 0) + 1;
        }
        if (answered && c.outcome !== undefined) f.outcomes[c.outcome] = (f.outcomes[c.outcome] ?? 0) + 1;
        if (converted) f.converted += 1;
      }, segments);
      // The outcome it replaces leaves the totals only: its day's bucket (unknown here, perhaps
      // not this one) keeps it, so a range counts the outcomes recorded in it and no count goes below 0.
      if (was !== undefined) this.updateTotals(keyOf(c.campaign, c.channel, c.offer, c.group, c.run), (f) => void (f.outcomes[was] = (f.outcomes[was] ?? 0) - 1), segments);
    }
  }

  /**
   * The funnel, summed over the dimensions not in `by`, optionally for one campaign or one
   * run; rows sorted by their dimensions. With `from` and/or `to` (YYYY-MM-DD, inclusive),
   * the daily buckets of those days summed; without, the totals since the store began.
   */
  report(o: { campaign?: string; run?: string; by?: readonly FunnelDimension[]; from?: string; to?: string } = {}): FunnelRow[] {
    const by = new Set(o.by ?? FUNNEL_DIMENSIONS);
    by.add('campaign');
    const rows = new Map<string, FunnelRow>();
    for (const [key, f] of inRange(this.counters, this.days, o)) {
      const [campaign = '', channel = NONE, offer = NONE, group = NONE, run = NONE] = key.split(SEP);
      if (o.campaign !== undefined && campaign !== o.campaign) continue;
      if (o.run !== undefined && run !== o.run) continue;
      const dims: Record<FunnelDimension, string> = {
        campaign,
        channel: by.has('channel') ? channel : '*',
        offer: by.has('offer') ? offer : '*',
        group: by.has('group') ? group : '*',
        run: by.has('run') ? run : '*',
      };
      addCounts(rows, FUNNEL_DIMENSIONS.map((d) => dims[d]).join(SEP), dims, f);
    }
    return finishRows(rows);
  }

  /**
   * The funnel per campaign × segment: each counted step in every segment the customer was in
   * after it (at most FUNNEL_SEGMENTS_PER_STEP), so a customer in two segments counts in both
   * and the segments' rows do not add up to the campaign's. The other dimensions are `*`.
   */
  segmentReport(o: { campaign?: string; from?: string; to?: string } = {}): FunnelRow[] {
    const rows = new Map<string, FunnelRow>();
    for (const [key, f] of inRange(this.segmentCounters, this.segmentDays, o)) {
      const [campaign = '', segment = NONE] = key.split(SEP);
      if (o.campaign !== undefined && campaign !== o.campaign) continue;
      addCounts(rows, key, { campaign, channel: '*', offer: '*', group: '*', run: '*', segment }, f);
    }
    return finishRows(rows);
  }
}

/** The totals (no range) or the daily buckets of the days asked, as (row key, counts). */
function* inRange(totals: MetaCounters<FunnelCounts>, days: MetaCounters<FunnelCounts>, o: { from?: string; to?: string }): Generator<[string, FunnelCounts]> {
  if (o.from === undefined && o.to === undefined) {
    yield* totals.all();
    return;
  }
  for (const [id, f] of days.all()) {
    const day = id.slice(0, 10);
    if ((o.from !== undefined && day < o.from) || (o.to !== undefined && day > o.to)) continue;
    yield [id.slice(11), f];
  }
}

/** Adds a bucket's counts to the row of `rowKey` (made with `dims` if new). */
function addCounts(rows: Map<string, FunnelRow>, rowKey: string, dims: Record<FunnelDimension, string> & { segment?: string }, f: FunnelCounts): void {
  let row = rows.get(rowKey);
  if (row === undefined) {
    row = { ...dims, ...empty(), waiting: 0, answered: 0, accepted: 0, declined: 0, expired: 0, acceptanceRate: null, conversionRate: null, responseRate: null, upliftRate: null };
    rows.set(rowKey, row);
  }
  row.triggered += f.triggered;
  row.suppressed += f.suppressed;
  row.cancelled += f.cancelled;
  row.deferred += f.deferred;
  row.resumed += f.resumed;
  for (const [code, n] of Object.entries(f.suppressedBy)) row.suppressedBy[code] = (row.suppressedBy[code] ?? 0) + n;
  row.control += f.control;
  row.offered += f.offered;
  row.delivered += f.delivered;
  row.failed += f.failed;
  for (const [outcome, n] of Object.entries(f.outcomes)) row.outcomes[outcome] = (row.outcomes[outcome] ?? 0) + n;
  row.converted += f.converted;
  row.controlConverted += f.controlConverted;
}

/** The stages and rates that follow from the counts; the rows sorted by their dimensions. */
function finishRows(rows: ReadonlyMap<string, FunnelRow>): FunnelRow[] {
  const out = [...rows.values()];
  for (const r of out) {
    r.waiting = r.deferred - r.resumed;
    // an offer left to expire, or a call nobody answered, is no answer
    r.answered = Object.entries(r.outcomes).reduce((sum, [k, n]) => (isAnswer(k) ? sum + n : sum), 0);
    r.accepted = r.outcomes.accepted ?? 0;
    r.declined = r.outcomes.declined ?? 0;
    r.expired = r.outcomes.expired ?? 0;
    // Over a range, answers and goals (by the day recorded) may outnumber the offers (by the day
    // made): a rate is then 1, never more (the counts are shown as they are).
    // Each rate rounded as a report gives it (reportFigure: no 0.19999999999999998), from the counts.
    const rate = (n: number, of: number): number | null => (of === 0 ? null : Math.min(1, n / of));
    const conversion = rate(r.converted, r.offered);
    r.acceptanceRate = reportFigureOrNull(rate(r.accepted, r.offered));
    r.conversionRate = reportFigureOrNull(conversion);
    r.responseRate = reportFigureOrNull(rate(r.answered, r.offered));
    r.upliftRate = conversion === null || r.control === 0 ? null : reportFigure(conversion - (rate(r.controlConverted, r.control) ?? 0));
  }
  const dims = [...FUNNEL_DIMENSIONS, 'segment'] as const;
  return out.sort((a, b) => dims.map((d) => (a[d] ?? '').localeCompare(b[d] ?? '')).find((x) => x !== 0) ?? 0);
}

/**
 * The funnel as CSV (RFC 4180, CRLF line ends, a header row): the dimensions, the stages,
 * then one column per suppression reason and per other outcome that occurs in the rows.
 */
export function funnelCsv(rows: readonly FunnelRow[]): string {
  const rates = ['acceptanceRate', 'conversionRate', 'responseRate', 'upliftRate'] as const;
  const stages = [...FUNNEL_STAGES, ...rates] as const;
  const reasons = [...new Set(rows.flatMap((r) => Object.keys(r.suppressedBy)))].sort();
  const others = [...new Set(rows.flatMap((r) => Object.keys(r.outcomes)))].filter((k) => !['accepted', 'declined', 'expired'].includes(k)).sort();
  const bySegment = rows.some((r) => r.segment !== undefined);
  const dims = bySegment ? [...FUNNEL_DIMENSIONS, 'segment' as const] : FUNNEL_DIMENSIONS;
  const header = [...dims, ...stages, ...reasons.map((r) => `suppressed_${r}`), ...others.map((o) => `outcome_${o}`)];
  const lines = [header.map(csvField).join(',')];
  for (const r of rows) {
    // four places in a file, never -0.0000
    const rate = (x: number | null): string => (x === null ? '' : reportFigure(x, 4).toFixed(4));
    lines.push(
      [
        ...dims.map((d) => r[d] ?? ''),
        ...FUNNEL_STAGES.map((s) => r[s]),
        ...rates.map((s) => rate(r[s])),
        ...reasons.map((k) => r.suppressedBy[k] ?? 0),
        ...others.map((k) => r.outcomes[k] ?? 0),
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
