import type { TraceParams } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import type { SegmentMoves } from '../store/store.js';
import { MetaCounters } from './meta-counters.js';

/**
 * A segment's size kept as net changes per day: `days[YYYY-MM-DD]` is how many entered less
 * how many left that day (UTC, by the server clock), `before` what older days folded into.
 * Sums, so several nodes add theirs exactly (the shared totals of `MetaCounters`).
 */
export interface SegmentCounts {
  before: number;
  days: Record<string, number>;
}

export interface SizeOnDay {
  /** YYYY-MM-DD (UTC) */
  day: string;
  /** the size at the end of that day (now, for today) */
  size: number;
}

type SegmentChange = TraceParams['trace']['segmentChanges'][number];

const DAY_MS = 86_400_000;
/** Days kept one by one; older ones are folded into `before`. */
export const SEGMENT_DAYS_KEPT = 400;

const empty = (): SegmentCounts => ({ before: 0, days: {} });

/** The segments entered and left between two memberships (segment id -> entered at); undefined when none. */
export function segmentMoves(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): SegmentMoves | undefined {
  const enter = Object.keys(after).filter((s) => !(s in before));
  const exit = Object.keys(before).filter((s) => !(s in after));
  return enter.length === 0 && exit.length === 0 ? undefined : { enter, exit };
}

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Each segment's size, live: counted from the segment changes of each committed step (the
 * trace's `segmentChanges`, entered +1, exited −1), written to the store's meta with the
 * write-behind batch that commits the customers' change (on Redis, added to shared sums in
 * the same commit), with the size at the end of each day.
 */
export class SegmentLedger {
  readonly counters = new MetaCounters<SegmentCounts>('segsize/', empty);

  constructor(private readonly clock: Clock) {}

  /** One committed step's segment changes. */
  record(changes: readonly SegmentChange[]): void {
    if (changes.length === 0) return;
    const now = this.clock.now();
    const day = utcDay(now);
    const oldest = utcDay(now - SEGMENT_DAYS_KEPT * DAY_MS);
    for (const c of changes) {
      this.counters.update(c.segment, (s) => {
        s.days[day] = (s.days[day] ?? 0) + (c.change === 'entered' ? 1 : -1);
        for (const [d, n] of Object.entries(s.days)) {
          if (d >= oldest) continue;
          s.before += n;
          delete s.days[d];
        }
      });
    }
  }

  /** How many customers are in the segment now. */
  size(segment: string): number {
    const s = this.counters.all().get(segment);
    if (s === undefined) return 0;
    let n = s.before;
    for (const v of Object.values(s.days)) n += v;
    return n;
  }

  /**
   * The size at the end of each of the last `days` days, oldest first, today last (its size
   * now); days before the first change kept are left out.
   */
  history(segment: string, days = 30): SizeOnDay[] {
    const s = this.counters.all().get(segment);
    if (s === undefined) return [];
    const now = this.clock.now();
    const today = Date.parse(`${utcDay(now)}T00:00:00Z`);
    // Folded days held members: the whole window is shown; otherwise from the first day kept.
    const first = s.before !== 0 ? undefined : Object.keys(s.days).sort()[0];
    const start = Math.max(first === undefined ? 0 : Date.parse(`${first}T00:00:00Z`), today - (days - 1) * DAY_MS);
    let size = s.before;
    for (const [d, n] of Object.entries(s.days)) if (d < utcDay(start)) size += n;
    const out: SizeOnDay[] = [];
    for (let t = start; utcDay(t) <= utcDay(now); t += DAY_MS) {
      const day = utcDay(t);
      size += s.days[day] ?? 0;
      out.push({ day, size });
    }
    return out;
  }
}
