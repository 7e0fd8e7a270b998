import { randomBytes } from 'node:crypto';
import type { Catalog } from '../../actors/index.js';
import { segmentsNeedCheck } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import { storedContext } from './draft-count.js';
import type { SweepScanner } from './sweep-scan.js';

export interface SegmentSweepOptions {
  store: Store;
  clock: Clock;
  catalog: () => Catalog;
  logger: Logger;
  /** hands a `segments.check` to the customer's actor now; false: not taken (overloaded, closing), left for the next sweep */
  check: (customer: string) => Promise<boolean>;
  /** the same for a pass over the base (by default `check`): in the background, yielding to the gateways (an import's pass keeps `check`: runs over its segments wait for it) */
  sweepCheck?: (customer: string) => Promise<boolean>;
  /** customers read per page (500) */
  pageSize?: number;
  /** checks in flight at once (16): the sweep never crowds out the gateways' events */
  concurrency?: number;
  /** how late an armed timer may be before the sweep steps in (1 hour) */
  graceMs?: number;
  /** a pass is due when the last one began this long ago (the server's clock; 1 day) */
  intervalMs?: number;
  /**
   * whether passes start by themselves when due (`runIfDue` on a timer: `KAIROS_SEGMENT_SWEEP_MS`
   * not 0; true): only then is a pass not yet made under the segment rules in force a reason
   * the memberships are still being worked out (`pending`)
   */
  automatic?: boolean;
  /** how long after an import pass failed (the store failing) the passes left are gone over again (5 s) */
  importRetryMs?: number;
  /** the scan off this thread (an LMDB store's worker thread: sweep-scan.ts); without it, this thread reads the store page by page */
  scanner?: SweepScanner;
}

/** The store's meta record of the last pass (shared by the nodes of a shared store). */
export const SWEEP_META_KEY = 'segment-sweep';

/**
 * The customers an import created or changed whose memberships are still to be brought up to
 * date (`SegmentSweep.afterImport`), a meta entry a committed batch: `segment-pass/<time>-<tag>`
 * holding `{ids, at}`, removed once each of them was checked. The direct import into a data
 * dir leaves them for the next server's start (`runImportPasses`).
 */
export const IMPORT_PASS_PREFIX = 'segment-pass/';

interface ImportPass {
  ids: string[];
  /** when the batch was committed (the clock of whoever wrote it) */
  at: number;
}

/** Writes the entry naming the customers a committed import batch created or changed; returns its key. */
export async function recordImportPass(store: Store, ids: readonly string[], at: number): Promise<string> {
  const key = `${IMPORT_PASS_PREFIX}${String(at).padStart(15, '0')}-${randomBytes(6).toString('hex')}`;
  await store.putMeta(key, { ids: [...ids], at } satisfies ImportPass);
  return key;
}

/** How long after its batch an entry no node is working on is taken by another node's minute look (`runImportPasses`). */
export const IMPORT_PASS_ORPHAN_MS = 600_000;

interface SweepMarker {
  /** when the last pass began (the server's clock) */
  startedAt: number;
  /** the segment rules it began under (`Catalog.segmentsFingerprint`) */
  rules: number;
  /** the segment rules of the last pass that finished (carried over while a later pass goes) */
  settledRules?: number;
  /** when it finished, with its counts */
  finishedAt?: number;
  scanned?: number;
  checked?: number;
}

/** The segment rules of the last pass that finished (a marker from before `settledRules`: its own, once finished). */
function settledRules(marker: SweepMarker | undefined): number | undefined {
  return marker?.settledRules ?? (marker?.finishedAt !== undefined ? marker.rules : undefined);
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
 * page by page, yielding to events between pages, a few checks in flight at once. On an LMDB
 * store the reading and judging is a worker thread's (`scanner`, sweep-scan.ts): this thread
 * sends only the checks.
 */
export class SegmentSweep {
  private running: Promise<SweepResult> | undefined;
  private stopped = false;
  /** import passes to go over (their entries' keys and customers), oldest first */
  private readonly imports: Array<{ key: string; ids: string[] }> = [];
  /** the keys of the entries queued or being gone over here */
  private readonly importKeys = new Set<string>();
  private importWork: Promise<void> | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly settledListeners: Array<() => void> = [];
  /** stops the running pass's scan (its worker thread) */
  private scanAbort: AbortController | undefined;

  /** Resolves once no pass runs here: after `stop`, before the store closes (a scan's worker reads it). */
  async ended(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /** Called when the memberships may have become settled (`pending`): a pass finished, or the import passes queued here are done. */
  onSettled(listener: () => void): void {
    this.settledListeners.push(listener);
  }

  private settled(): void {
    for (const l of this.settledListeners) l();
  }

  /** Stops a pass between two pages (its scan's worker at once) and starts none again (the server is closing); an import pass left is taken at the next start. */
  stop(): void {
    this.stopped = true;
    this.scanAbort?.abort();
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
  }

  /**
   * An import's committed batch (its customers created or changed): their memberships, and so
   * the segments' sizes and members, brought up to date now rather than at the next daily pass.
   * The entry naming them is written first (a server stopped before it is done goes on at its
   * next start); then each is sent a `segments.check` in the background, as the sweep does
   * (page by page, yielding to events, a few at once). Resolves once the entry is written.
   */
  async afterImport(ids: readonly string[]): Promise<void> {
    if (ids.length === 0 || this.stopped) return;
    const key = await recordImportPass(this.o.store, ids, this.o.clock.now());
    this.queueImport(key, [...ids]);
  }

  /**
   * The import passes the store holds that no one here is going over: at a start, every one
   * (a direct import's, or one a stopped server left); `olderThanMs` later on (another node's,
   * left by a node that stopped: on a shared store each node goes over its own first).
   */
  async runImportPasses(olderThanMs = 0): Promise<number> {
    if (this.stopped) return 0;
    const now = this.o.clock.now();
    let queued = 0;
    for (const { key, value } of await this.o.store.listMeta(IMPORT_PASS_PREFIX, 1_000_000)) {
      const pass = value as ImportPass | undefined;
      if (this.importKeys.has(key) || pass === undefined || !Array.isArray(pass.ids) || pass.at > now - olderThanMs) continue;
      this.queueImport(key, pass.ids);
      queued++;
    }
    return queued;
  }

  /**
   * Why the segments' memberships (and so their members and sizes) are still being worked
   * out, or undefined when they are settled: `import` while an import's pass is left (its
   * `segment-pass/…` entries, this node's or another's), `sweep` while no pass finished under
   * the segment rules in force (a store never swept, the rules changed since, the first pass
   * under way), when passes start by themselves (`automatic`) or one runs here now. The daily
   * pass over memberships already settled is no reason. An outbound run over segments waits
   * for this (src/runtime/outbound-runs.ts).
   */
  async pending(): Promise<'import' | 'sweep' | undefined> {
    if ((await this.o.store.listMeta(IMPORT_PASS_PREFIX, 1)).length > 0 || this.importWork !== undefined) return 'import';
    if (this.o.automatic === false && this.running === undefined) return undefined;
    const marker = (await this.o.store.getMeta(SWEEP_META_KEY)) as SweepMarker | undefined;
    return settledRules(marker) === this.o.catalog().segmentsFingerprint ? undefined : 'sweep';
  }

  /** Resolves once every import pass queued here is done (or left for the next start). */
  async importsDone(): Promise<void> {
    while (this.importWork !== undefined) await this.importWork;
  }

  private queueImport(key: string, ids: string[]): void {
    this.importKeys.add(key);
    this.imports.push({ key, ids });
    this.importWork ??= this.workImports()
      .catch((err: unknown) => {
        this.o.logger.error({ err, retryMs: this.o.importRetryMs ?? 5000 }, 'the segment pass after an import failed; the passes left are gone over again shortly');
        // every pass queued here has its entry in the store: let go here, and read from there again (runs waiting for them go on once they are done)
        const keys = [...this.importKeys];
        this.imports.length = 0;
        this.importKeys.clear();
        this.retryImports(keys);
      })
      .finally(() => {
        this.importWork = undefined;
        if (!this.stopped) this.settled();
      });
  }

  /** The import passes of `keys` (this node's, let go after a failure) read from their entries and queued again after `importRetryMs`; again later while the store fails. */
  private retryImports(keys: readonly string[]): void {
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (this.stopped) return;
      void (async () => {
        const left: string[] = [];
        for (const key of keys) {
          if (this.importKeys.has(key)) continue;
          try {
            const pass = (await this.o.store.getMeta(key)) as ImportPass | undefined;
            if (pass !== undefined && Array.isArray(pass.ids)) this.queueImport(key, pass.ids);
          } catch (err) {
            this.o.logger.error({ err, key }, 'a segment pass after an import could not be read; tried again shortly');
            left.push(key);
          }
        }
        if (left.length > 0 && !this.stopped) this.retryImports(left);
      })();
    }, this.o.importRetryMs ?? 5000);
    timer.unref();
    this.retryTimers.add(timer);
  }

  private async workImports(): Promise<void> {
    for (let next = this.imports.shift(); next !== undefined && !this.stopped; next = this.imports.shift()) {
      const { key, ids } = next;
      const skipped = await this.checkEach(ids);
      if (this.stopped) return;
      if (skipped === undefined || skipped.length === 0) {
        await this.o.store.deleteMeta([key]);
        this.importKeys.delete(key);
        continue;
      }
      // not taken (overloaded): those again in a second
      await this.o.store.putMeta(key, { ids: skipped, at: this.o.clock.now() } satisfies ImportPass);
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        if (!this.stopped) {
          this.importKeys.delete(key);
          this.queueImport(key, skipped);
        }
      }, 1000);
      timer.unref();
      this.retryTimers.add(timer);
    }
  }

  /** A `segments.check` to each customer, a page at a time (yielding to events), a few at once; the ones not taken, or undefined if stopped. */
  private async checkEach(ids: readonly string[]): Promise<string[] | undefined> {
    const pageSize = this.o.pageSize ?? 500;
    const concurrency = this.o.concurrency ?? 16;
    const skipped: string[] = [];
    for (let p = 0; p < ids.length; p += pageSize) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.stopped) return undefined;
      const page = ids.slice(p, p + pageSize);
      for (let i = 0; i < page.length; i += concurrency) {
        const some = page.slice(i, i + concurrency);
        const taken = await Promise.all(some.map((id) => this.o.check(id).catch(() => false)));
        taken.forEach((ok, j) => void (ok ? undefined : skipped.push(some[j]!)));
      }
    }
    return skipped;
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
      (marker.finishedAt === undefined && marker.startedAt <= now - 3_600_000) ||
      // The same on a store no other node shares: no pass runs here, so it stopped (the server did); again at once.
      (marker.finishedAt === undefined && !this.o.store.coordination.shared) ||
      // A pass that finished with checks the host did not take (overloaded): again, so the memberships settle.
      (marker.finishedAt !== undefined && settledRules(marker) !== marker.rules);
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
    const before = settledRules((await this.o.store.getMeta(SWEEP_META_KEY)) as SweepMarker | undefined);
    const marker: SweepMarker = { startedAt: this.o.clock.now(), rules: this.o.catalog().segmentsFingerprint, ...(before === undefined ? {} : { settledRules: before }) };
    await this.o.store.putMeta(SWEEP_META_KEY, marker);
    const pageSize = this.o.pageSize ?? 500;
    const concurrency = this.o.concurrency ?? 16;
    const grace = this.o.graceMs ?? 3_600_000;
    const check = this.o.sweepCheck ?? this.o.check;
    const checkAll = async (due: readonly string[]): Promise<void> => {
      for (let i = 0; i < due.length; i += concurrency) {
        const taken = await Promise.all(due.slice(i, i + concurrency).map((id) => check(id).catch(() => false)));
        for (const ok of taken) {
          if (ok) result.checked += 1;
          else result.skipped += 1;
        }
      }
    };
    if (this.o.scanner !== undefined) {
      // read and judged on another thread; here only the checks it finds due
      this.scanAbort = new AbortController();
      if (this.stopped) return result;
      for await (const page of this.o.scanner({ catalog: this.o.catalog(), now: () => this.o.clock.now(), graceMs: grace, signal: this.scanAbort.signal })) {
        // The server is closing: the pass ends here, unfinished (leaving the loop stops the scan).
        if (this.stopped) return result;
        result.scanned += page.scanned;
        await checkAll(page.due);
      }
      if (this.stopped) return result;
      return this.finish(marker, result);
    }
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
      await checkAll(due);
      if (page.next === undefined) break;
      cursor = page.next;
    }
    return this.finish(marker, result);
  }

  /** A pass that went over the whole base: recorded, told. */
  private async finish(marker: SweepMarker, result: SweepResult): Promise<SweepResult> {
    await this.o.store.putMeta(SWEEP_META_KEY, { ...marker, ...(result.skipped === 0 ? { settledRules: marker.rules } : {}), finishedAt: this.o.clock.now(), scanned: result.scanned, checked: result.checked } satisfies SweepMarker);
    this.o.logger.info({ ...result }, 'segment sweep done');
    this.settled();
    return result;
  }
}
