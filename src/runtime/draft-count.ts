import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Catalog, CustomerContext, CustomerInput, Predicate } from '../../actors/index.js';
import { compileCondition, customerTimeZone, initialCustomerContext, isInvalidDefinition, localTime, makeScope } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CustomerRecord, Store, StoredSnapshot } from '../store/store.js';
import { importedProfile } from '../import/imported-profile.js';
import type { PersistedCustomer } from './live-customer.js';
import { migrateSnapshot } from './snapshot-migrations.js';
import type { ScanPlan } from './draft-count-workers.js';
import { countInWorkers, defaultWorkerUrl, parallelScanOf } from './draft-count-workers.js';

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
  /** the customers' store (on a node with shards, the node's own: `shards` says where the customers are) */
  store: Store;
  /**
   * A node with shards: every shard's store, each scanned from worker threads of this thread
   * (`threads` shared among them, at least one each) and their tallies added up. Throws, or
   * gives an undefined plan, when a shard's store cannot be scanned so: the count fails,
   * naming why.
   */
  shards?: () => Promise<Array<ScanPlan | undefined>>;
  catalog: () => Catalog;
  clock: Clock;
  logger: Logger;
  /** customers read per page of the scan (1000) */
  pageSize?: number;
  /** counts running at once on this node (2): more is refused with 409 */
  maxRunning?: number;
  /** finished counts kept to be read (20), the oldest dropped */
  keepFinished?: number;
  /**
   * Worker threads a count runs in when the store can be scanned from them (LMDB:
   * draft-count-workers.ts): the id space split into this many ranges, one a thread (default:
   * the machine's cores, at most 4; 0: always in the event loop's thread).
   */
  threads?: number;
  /** from how many stored customers the count goes to worker threads (50,000: below, starting them costs more than they save) */
  workersFrom?: number;
  /** the worker's module (default: draft-count-worker.js beside this file; when it is missing, as under vitest, the count runs in this thread) */
  workerUrl?: URL;
}

/**
 * A rule counted over customers one at a time: their stored context, the local day of their
 * time zone (computed once a zone for the count's `now`), the rule. The same in the event
 * loop's thread and in a worker.
 */
export class DraftTally {
  scanned = 0;
  matched = 0;
  private readonly days = new Map<string, number>();

  constructor(
    private readonly predicate: Predicate,
    private readonly catalog: Catalog,
    private readonly now: number,
  ) {}

  add(id: string, snapshot: StoredSnapshot | undefined, record: CustomerRecord | undefined): void {
    const ctx = storedContext(id, snapshot, record);
    if (ctx === undefined) return;
    this.scanned += 1;
    const zone = customerTimeZone(ctx, this.catalog);
    let today = this.days.get(zone);
    if (today === undefined) {
      today = localTime(this.now, zone).epochDay;
      this.days.set(zone, today);
    }
    if (this.predicate(makeScope(ctx, this.catalog, today))) this.matched += 1;
  }
}

type Job = DraftCountJob & { cancel: boolean; cancelFlag: Int32Array };

/**
 * The context fields a draft rule never reads: a rule names the profile, the stage, features
 * and scores (actors/condition.ts `compileAttr`, actors/scope.ts), never another segment. A worker's scan steps over
 * their bytes instead of decoding them (`decodeSnapshotWithout`).
 */
export const RULE_UNREAD_FIELDS: ReadonlySet<string> = new Set([
  'seen',
  'contacts',
  'responses',
  'pending',
  'deferrals',
  'lifecycle',
  'identifiers',
  'consents',
  // (a draft rule names no segment: compileDraftRule gives it none)
  'segments',
  'segmentsEvaluated',
  'segmentsCheckDay',
  'runs',
  'leads',
  'seq',
  'createdAt',
  'lastEventAt',
]);

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
  // as `Activation` builds it: the birth date and the typed attributes in the profile, the consents
  const input: CustomerInput = { id, stage: record.stage, profile: importedProfile(record), identifiers: record.identifiers, at: record.importedAt, reason: 'import' };
  if (record.consents !== undefined) input.consents = record.consents;
  return initialCustomerContext(input);
}

/**
 * Draft segment counts: a rule evaluated over every customer the store holds, with the
 * brain's compiled condition and the same scope a segment's rule gets (features over the
 * windows ending on the customer's local day). On a large LMDB store the scan runs in worker
 * threads, one range of ids each (draft-count-workers.ts), and this thread only sums their
 * progress; otherwise here, page by page, yielding between pages. A count runs in the
 * background as a job: polled for its progress, cancellable, at most `maxRunning` at once.
 * It reads what is committed: a live customer's last changes may not be in it yet (the
 * write-behind's lag).
 */
export class DraftCounts {
  private readonly jobs = new Map<string, Job>();
  /** each running job's run, ending with it (it never rejects: a failure is the job's state) */
  private readonly runs = new Map<string, Promise<void>>();

  constructor(private readonly o: DraftCountsOptions) {}

  /** Compiles the rule (a 400 naming the field when it is wrong) and starts counting. */
  start(rule: unknown): DraftCountJob {
    const catalog = this.o.catalog();
    const predicate = compileDraftRule(rule, catalog);
    const running = [...this.jobs.values()].filter((j) => j.state === 'running').length;
    const max = this.o.maxRunning ?? 2;
    if (running >= max) throw new KairosError('conflict', `${running} counts are running; at most ${max} at once: wait for one or cancel it`);
    const job: Job = { job: randomUUID(), state: 'running', scanned: 0, matched: 0, startedAt: this.o.clock.now(), cancel: false, cancelFlag: new Int32Array(new SharedArrayBuffer(4)) };
    this.jobs.set(job.job, job);
    this.prune();
    const ran = this.run(job, rule, predicate, catalog);
    this.runs.set(job.job, ran);
    void ran.finally(() => this.runs.delete(job.job));
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
    if (j.state === 'running') {
      j.cancel = true;
      Atomics.store(j.cancelFlag, 0, 1);
    }
    return this.view(j);
  }

  /** Stops every running count and waits for them to end (their worker threads included): the server's close. */
  async close(): Promise<void> {
    for (const j of this.jobs.values()) if (j.state === 'running') this.cancel(j.job);
    await Promise.all(this.runs.values());
  }

  /** Waits for a job to end (tests and the CLI). */
  async settled(id: string): Promise<DraftCountJob | undefined> {
    // (awaited, not polled: a loop of setImmediate kept half a core busy beside the workers)
    await this.runs.get(id);
    return this.get(id);
  }

  private view(j: Job): DraftCountJob {
    const { cancel: _cancel, cancelFlag: _flag, ...out } = j;
    return { ...out };
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => j.state !== 'running');
    for (const j of finished.slice(0, Math.max(0, finished.length - (this.o.keepFinished ?? 20)))) this.jobs.delete(j.job);
  }

  private async run(job: Job, rule: unknown, predicate: Predicate, catalog: Catalog): Promise<void> {
    const now = this.o.clock.now();
    try {
      if (!(await this.runInWorkers(job, rule, catalog, now))) await this.runHere(job, predicate, catalog, now);
    } catch (err) {
      this.o.logger.error({ err, job: job.job }, 'a draft segment count failed');
      job.state = 'failed';
      job.error = err instanceof KairosError && err.public ? err.message : 'internal error';
    }
    job.finishedAt = this.o.clock.now();
    this.prune();
  }

  /** The scan in worker threads when the store allows it and is large enough, or always on a node with shards; false when not (nothing counted). */
  private async runInWorkers(job: Job, rule: unknown, catalog: Catalog, now: number): Promise<boolean> {
    const threads = this.o.threads ?? Math.min(4, availableParallelism());
    const url = this.o.workerUrl ?? defaultWorkerUrl();
    const plans = await this.workerPlans();
    if (plans !== undefined && this.o.shards !== undefined && (threads < 1 || url === undefined)) throw new KairosError('internal', 'a count over shards runs in worker threads: none configured');
    if (plans === undefined || threads < 1 || url === undefined) return false;
    const each = Math.max(1, Math.floor(threads / plans.length));
    const ends = await Promise.allSettled(
      plans.map((plan) =>
        countInWorkers({
          url,
          dir: plan.dir,
          by: plan.by,
          threads: each,
          rule,
          def: catalog.def,
          now,
          page: this.o.pageSize ?? 1000,
          // (one flag for all: a failure in one store's scan stops the others')
          cancel: job.cancelFlag,
          progress: (scanned, matched) => {
            job.scanned += scanned;
            job.matched += matched;
          },
        }),
      ),
    );
    const failed = ends.find((e): e is PromiseRejectedResult => e.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    job.state = ends.some((e) => e.status === 'fulfilled' && e.value === 'cancelled') ? 'cancelled' : 'done';
    return true;
  }

  /** The stores the workers scan: every shard's, or this store when it can be scanned so and holds enough customers; undefined: the count runs in this thread. */
  private async workerPlans(): Promise<ScanPlan[] | undefined> {
    if (this.o.shards !== undefined) {
      const plans = await this.o.shards();
      const missing = plans.findIndex((p) => p === undefined);
      if (missing >= 0) throw new KairosError('unavailable', `shard ${missing}'s store cannot be scanned from worker threads (a store written by an older Kairos): count on a node with KAIROS_SHARDS=1`);
      return plans as ScanPlan[];
    }
    const plan = parallelScanOf(this.o.store)?.parallelScan();
    return plan === undefined || plan.customers < (this.o.workersFrom ?? 50_000) ? undefined : [plan];
  }

  /** The scan page by page in this thread, yielding to the event loop between pages. */
  private async runHere(job: Job, predicate: Predicate, catalog: Catalog, now: number): Promise<void> {
    const pageSize = this.o.pageSize ?? 1000;
    const tally = new DraftTally(predicate, catalog, now);
    let cursor: string | undefined;
    for (;;) {
      // Between pages the event loop runs: events are decided meanwhile.
      await new Promise((resolve) => setImmediate(resolve));
      if (job.cancel) {
        job.state = 'cancelled';
        return;
      }
      const page = await this.o.store.scanCustomers(cursor, pageSize, { records: 'missing' });
      for (const c of page.customers) tally.add(c.id, c.snapshot, c.record);
      job.scanned = tally.scanned;
      job.matched = tally.matched;
      if (page.next === undefined) {
        job.state = 'done';
        return;
      }
      cursor = page.next;
    }
  }
}
