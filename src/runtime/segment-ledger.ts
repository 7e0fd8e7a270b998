import type { TraceParams } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import type { SegmentMoves, Store } from '../store/store.js';
import { storedContext } from './draft-count.js';
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

  /** The ledger's clock now (epoch ms). */
  now(): number {
    return this.clock.now();
  }

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

  /**
   * Sets each segment's size now (a recount): today's net change becomes what makes the size
   * `sizes.get(id)` (0 for a segment not named), older days stay as they are.
   */
  setSizes(sizes: ReadonlyMap<string, number>): void {
    const day = utcDay(this.clock.now());
    for (const id of new Set([...this.counters.all().keys(), ...sizes.keys()])) {
      const want = sizes.get(id) ?? 0;
      const have = this.size(id);
      if (want === have) continue;
      this.counters.update(id, (s) => {
        s.days[day] = (s.days[day] ?? 0) + want - have;
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

/** The meta key written once the ledger holds every stored customer (built from an empty store, or recounted). */
export const SEGMENT_LEDGER_MARKER = 'segment-ledger';

export interface RecountResult {
  /** customers scanned (snapshots and master data) */
  customers: number;
  /** of them, those with a snapshot (the only ones that can be members) */
  snapshots: number;
  /** each segment's recounted size */
  sizes: Map<string, number>;
}

/**
 * Rebuilds segment sizes and the member index exactly from the stored snapshots: a scan of
 * every customer, each one's memberships (`ctx.segments` of its snapshot; a customer with
 * master data only is in no segment until its first step, as the live ledger counts it) written
 * as its members' entries, the index dropped first; then today's size set to the count
 * (`setSizes`), written to the store (a single node: the meta values; a shared store: the
 * difference added to the shared sums, read just before), and the marker. Meant for a store no
 * one else writes meanwhile (the CLI under the data-dir lock, a server before it takes
 * traffic): a customer committed during the scan may be counted as it was (docs/catalog.md#segments).
 */
export async function recountSegments(store: Store, ledger: SegmentLedger, opts: { pageSize?: number; progress?: (scanned: number) => void } = {}): Promise<RecountResult> {
  const pageSize = opts.pageSize ?? 1000;
  const sizes = new Map<string, number>();
  let customers = 0;
  let snapshots = 0;
  let cursor: string | undefined;
  let first = true;
  for (;;) {
    const page = await store.scanCustomers(cursor, pageSize, { records: false });
    const entries: Array<{ id: string; segments: string[] }> = [];
    for (const c of page.customers) {
      customers += 1;
      if (c.snapshot === undefined) continue;
      snapshots += 1;
      const segments = Object.keys(storedContext(c.id, c.snapshot, undefined)?.segments ?? {});
      for (const s of segments) sizes.set(s, (sizes.get(s) ?? 0) + 1);
      entries.push({ id: c.id, segments });
    }
    // The first write drops the whole index (even with no member on the page).
    await store.setSegmentMembers(entries, first);
    first = false;
    opts.progress?.(customers);
    if (page.next === undefined) break;
    cursor = page.next;
  }
  if (store.coordination.shared) {
    ledger.counters.merge(await store.coordination.readCounters(ledger.counters.prefix));
    ledger.setSizes(sizes);
    const counters = ledger.counters.drainDeltas();
    await store.coordination.commit({ snapshots: [], identities: [], outbox: [], counters });
  } else {
    ledger.setSizes(sizes);
    const meta = ledger.counters.drain();
    if (meta.length > 0) await store.commit({ snapshots: [], identities: [], outbox: [], meta });
  }
  await store.putMeta(SEGMENT_LEDGER_MARKER, { at: ledger.now(), customers, snapshots });
  return { customers, snapshots, sizes };
}

/**
 * At a server's start, before it takes traffic: a store that holds customers but whose ledger
 * was never built (no marker: customers from before the ledger, or a ledger lost) is recounted;
 * an empty store only gets the marker (its ledger starts exact). Resolves with the recount, if any.
 */
export async function ensureSegmentLedger(store: Store, ledger: SegmentLedger): Promise<RecountResult | undefined> {
  if ((await store.getMeta(SEGMENT_LEDGER_MARKER)) !== undefined) return undefined;
  if ((await store.scanCustomers(undefined, 1)).customers.length === 0) {
    await store.putMeta(SEGMENT_LEDGER_MARKER, { at: ledger.now(), customers: 0, snapshots: 0 });
    return undefined;
  }
  return recountSegments(store, ledger);
}
