import type { Catalog } from '../../actors/index.js';
import { segmentsNeedCheck } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import { storedContext } from './draft-count.js';

export interface SegmentSweepOptions {
  store: Store;
  clock: Clock;
  catalog: () => Catalog;
  logger: Logger;
  /** hands a `segments.check` to the customer's actor now; false: not taken (overloaded, closing), left for the next sweep */
  check: (customer: string) => Promise<boolean>;
  /** customers read per page (500) */
  pageSize?: number;
  /** checks in flight at once (16): the sweep never crowds out the gateways' events */
  concurrency?: number;
  /** how late an armed timer may be before the sweep steps in (1 hour) */
  graceMs?: number;
  /** a pass is due when the last one began this long ago (the server's clock; 1 day) */
  intervalMs?: number;
}

/** The store's meta record of the last pass (shared by the nodes of a shared store). */
export const SWEEP_META_KEY = 'segment-sweep';

interface SweepMarker {
  /** when the last pass began (the server's clock) */
  startedAt: number;
  /** the segment rules it began under (`Catalog.segmentsFingerprint`) */
  rules: number;
  /** when it finished, with its counts */
  finishedAt?: number;
  scanned?: number;
  checked?: number;
}

export interface SweepResult {
  scanned: number;
  checked: number;
  /** checks the host did not take (overloaded): the next sweep tries them again */
  skipped: number;
}

/**
 * The safety net under the segment timers (actors/segment-timer.ts): a pass over every stored
 * customer that sends a `segments.check` to each whose memberships may be stale with no timer
 * to set them right: never evaluated (a customer the bank imported and no event has reached
 * yet), evaluated under other segment rules, or a change due with no timer armed for it (a state
 * from before the timers, or a timer lost). Runs when due (`runIfDue`: a new store, the segment
 * rules changed, a day since the last; looked at soon after start and each minute, src/kairos.ts),
 * page by page, yielding to events between pages, a few checks in flight at once.
 */
export class SegmentSweep {
  private running: Promise<SweepResult> | undefined;
  private stopped = false;

  /** Stops a pass between two pages and starts none again (the server is closing). */
  stop(): void {
    this.stopped = true;
  }

  constructor(private readonly o: SegmentSweepOptions) {}

  /**
   * A pass when one is due, else nothing (resolves undefined): none was ever made on this store,
   * the segment rules changed since the last began (`Catalog.segmentsFingerprint`: a campaign's
   * edit is no reason), it began `intervalMs` ago, or it began an hour ago and never finished.
   * The record is the store's (`segment-sweep` meta), so a restart does not sweep again, and of several nodes on a
   * shared store the first to look does the day's pass (two at once: each check is idempotent).
   */
  async runIfDue(): Promise<SweepResult | undefined> {
    if (this.running !== undefined || this.stopped) return undefined;
    const marker = (await this.o.store.getMeta(SWEEP_META_KEY)) as SweepMarker | undefined;
    const now = this.o.clock.now();
    const due =
      marker === undefined ||
      marker.rules !== this.o.catalog().segmentsFingerprint ||
      marker.startedAt <= now - (this.o.intervalMs ?? 86_400_000) ||
      // A pass that began an hour ago and never finished (it failed, or its node stopped): again.
      (marker.finishedAt === undefined && marker.startedAt <= now - 3_600_000);
    return due ? this.run() : undefined;
  }

  /** One pass over the base; single-flight (a pass asked for while one runs joins it). */
  run(): Promise<SweepResult> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<SweepResult> {
    const result: SweepResult = { scanned: 0, checked: 0, skipped: 0 };
    const marker: SweepMarker = { startedAt: this.o.clock.now(), rules: this.o.catalog().segmentsFingerprint };
    await this.o.store.putMeta(SWEEP_META_KEY, marker);
    const pageSize = this.o.pageSize ?? 500;
    const concurrency = this.o.concurrency ?? 16;
    const grace = this.o.graceMs ?? 3_600_000;
    let cursor: string | undefined;
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      // The server is closing: the pass ends here, unfinished (the next start takes it again).
      if (this.stopped) return result;
      const page = await this.o.store.scanCustomers(cursor, pageSize, { records: 'missing' });
      const catalog = this.o.catalog();
      const now = this.o.clock.now();
      const due: string[] = [];
      for (const c of page.customers) {
        const ctx = storedContext(c.id, c.snapshot, c.record);
        if (ctx === undefined) continue;
        result.scanned += 1;
        if (segmentsNeedCheck(ctx, catalog, now, grace)) due.push(c.id);
      }
      for (let i = 0; i < due.length; i += concurrency) {
        const taken = await Promise.all(due.slice(i, i + concurrency).map((id) => this.o.check(id).catch(() => false)));
        for (const ok of taken) {
          if (ok) result.checked += 1;
          else result.skipped += 1;
        }
      }
      if (page.next === undefined) break;
      cursor = page.next;
    }
    await this.o.store.putMeta(SWEEP_META_KEY, { ...marker, finishedAt: this.o.clock.now(), scanned: result.scanned, checked: result.checked } satisfies SweepMarker);
    this.o.logger.info({ ...result }, 'segment sweep done');
    return result;
  }
}
