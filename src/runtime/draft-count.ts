import { randomUUID } from 'node:crypto';
import type { Catalog, CustomerContext, Predicate } from '../../actors/index.js';
import { compileCondition, customerTimeZone, initialCustomerContext, isInvalidDefinition, localTime, makeScope } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CustomerRecord, Store, StoredSnapshot } from '../store/store.js';
import type { PersistedCustomer } from './live-customer.js';
import { migrateSnapshot } from './snapshot-migrations.js';

/** A draft segment's count, as `GET /v1/segment-counts/{job}` shows it. */
export interface DraftCountJob {
  job: string;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  /** customers looked at so far (snapshots and imported master data) */
  scanned: number;
  /** of them, those the rule holds for */
  matched: number;
  startedAt: number;
  finishedAt?: number;
  error?: string;
}

export interface DraftCountsOptions {
  store: Store;
  catalog: () => Catalog;
  clock: Clock;
  logger: Logger;
  /** customers read per page of the scan (1000) */
  pageSize?: number;
  /** counts running at once on this node (2): more is refused with 409 */
  maxRunning?: number;
  /** finished counts kept to be read (20), the oldest dropped */
  keepFinished?: number;
}

/** The rule, compiled as a segment's rule is (features and scores; no other segment). */
export function compileDraftRule(rule: unknown, catalog: Catalog): Predicate {
  try {
    return compileCondition(rule, 'rule', { features: new Set(catalog.featureById.keys()), scores: new Set(catalog.scores.keys()), event: false });
  } catch (err) {
    if (isInvalidDefinition(err)) throw new KairosError('invalid', err.message, { cause: err });
    throw err;
  }
}

/** A stored customer's context: its snapshot's, else one made from its master data, as an activation would. */
export function storedContext(id: string, snapshot: StoredSnapshot | undefined, record: CustomerRecord | undefined): CustomerContext | undefined {
  if (snapshot !== undefined) return (migrateSnapshot(snapshot) as PersistedCustomer).context;
  if (record === undefined) return undefined;
  return initialCustomerContext({ id, stage: record.stage, profile: record.profile, identifiers: record.identifiers, at: record.importedAt, reason: 'import' });
}

/**
 * Draft segment counts: a rule evaluated over every customer the store holds (a scan, page
 * by page, yielding between pages), with the brain's compiled condition and the same scope
 * a segment's rule gets (features over the windows ending on the customer's local day). A
 * count runs in the background as a job: polled for its progress, cancellable, at most
 * `maxRunning` at once. It reads what is committed: a live customer's last changes may not be
 * in it yet (the write-behind's lag).
 */
export class DraftCounts {
  private readonly jobs = new Map<string, DraftCountJob & { cancel: boolean }>();

  constructor(private readonly o: DraftCountsOptions) {}

  /** Compiles the rule (a 400 naming the field when it is wrong) and starts counting. */
  start(rule: unknown): DraftCountJob {
    const catalog = this.o.catalog();
    const predicate = compileDraftRule(rule, catalog);
    const running = [...this.jobs.values()].filter((j) => j.state === 'running').length;
    const max = this.o.maxRunning ?? 2;
    if (running >= max) throw new KairosError('conflict', `${running} counts are running; at most ${max} at once: wait for one or cancel it`);
    const job = { job: randomUUID(), state: 'running' as const, scanned: 0, matched: 0, startedAt: this.o.clock.now(), cancel: false };
    this.jobs.set(job.job, job);
    this.prune();
    void this.run(job, predicate, catalog);
    return this.view(job);
  }

  get(id: string): DraftCountJob | undefined {
    const j = this.jobs.get(id);
    return j === undefined ? undefined : this.view(j);
  }

  /** Stops a running count (it stays readable, `cancelled`); undefined when there is no such job. */
  cancel(id: string): DraftCountJob | undefined {
    const j = this.jobs.get(id);
    if (j === undefined) return undefined;
    if (j.state === 'running') j.cancel = true;
    return this.view(j);
  }

  /** Waits for a job to end (tests and the CLI). */
  async settled(id: string): Promise<DraftCountJob | undefined> {
    for (;;) {
      const j = this.jobs.get(id);
      if (j === undefined || j.state !== 'running') return j === undefined ? undefined : this.view(j);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private view(j: DraftCountJob & { cancel: boolean }): DraftCountJob {
    const { cancel: _cancel, ...out } = j;
    return { ...out };
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => j.state !== 'running');
    for (const j of finished.slice(0, Math.max(0, finished.length - (this.o.keepFinished ?? 20)))) this.jobs.delete(j.job);
  }

  private async run(job: DraftCountJob & { cancel: boolean }, predicate: Predicate, catalog: Catalog): Promise<void> {
    const now = this.o.clock.now();
    const pageSize = this.o.pageSize ?? 1000;
    try {
      let cursor: string | undefined;
      for (;;) {
        // Between pages the event loop runs: events are decided meanwhile.
        await new Promise((resolve) => setImmediate(resolve));
        if (job.cancel) {
          job.state = 'cancelled';
          break;
        }
        const page = await this.o.store.scanCustomers(cursor, pageSize, { records: 'missing' });
        for (const c of page.customers) {
          const ctx = storedContext(c.id, c.snapshot, c.record);
          if (ctx === undefined) continue;
          job.scanned += 1;
          const today = localTime(now, customerTimeZone(ctx, catalog)).epochDay;
          if (predicate(makeScope(ctx, catalog, today))) job.matched += 1;
        }
        if (page.next === undefined) {
          job.state = 'done';
          break;
        }
        cursor = page.next;
      }
    } catch (err) {
      this.o.logger.error({ err, job: job.job }, 'a draft segment count failed');
      job.state = 'failed';
      job.error = err instanceof KairosError && err.public ? err.message : 'internal error';
    }
    job.finishedAt = this.o.clock.now();
    this.prune();
  }
}
