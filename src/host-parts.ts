import { getHeapStatistics } from 'node:v8';
import type { Catalog } from '../actors/index.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { CommittedFeed } from './delivery/committed-feed.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { BudgetLedger, CapacityLedger } from './runtime/budget-ledger.js';
import { CustomerHost } from './runtime/customer-host.js';
import { parallelScanOf } from './runtime/draft-count-workers.js';
import { IMPORT_PASS_ORPHAN_MS, SegmentSweep } from './runtime/segment-sweep.js';
import { defaultSweepWorkerUrl, workerSweepScanner } from './runtime/sweep-scan.js';
import { OutboundRuns } from './runtime/outbound-runs.js';
import { FunnelLedger } from './runtime/funnel-ledger.js';
import { ModelRegistry } from './runtime/model-registry.js';
import { PropensityLedger } from './runtime/propensity-ledger.js';
import { SegmentLedger, ensureSegmentLedger } from './runtime/segment-ledger.js';
import { UpliftLedger } from './runtime/uplift-ledger.js';
import { StopList } from './stop-list.js';
import type { LmdbStoreOptions } from './store/lmdb-store.js';
import type { Store } from './store/store.js';

/**
 * The parts of a customer host built from one configuration: the LMDB store's options, the
 * ledgers loaded from the store, the host itself. The server (kairos.ts), the CLI and each
 * shard (src/shards/shard-worker.ts) build theirs with these.
 */

/** How the server and the CLI open the LMDB store (processes sharing one store must agree on the write map). */
export function lmdbOptions(config: Config): LmdbStoreOptions {
  return { syncEachCommit: config.durability === 'strict', writeMap: config.lmdbWriteMap, syncIntervalMs: config.lmdbSyncIntervalMs, prefetch: config.lmdbPrefetch, recordsPerSnapshot: config.lmdbRecordsPerSnapshot, logRecordsBehind: config.lmdbLogRecordsBehind };
}

/** What the decisions read besides the catalog: the stop list, the shared counters and the models, loaded from the store. */
export interface Ledgers {
  stopList: StopList;
  ledger: BudgetLedger;
  capacity: CapacityLedger;
  propensity: PropensityLedger;
  models: ModelRegistry;
  uplift: UpliftLedger;
  funnel: FunnelLedger;
  segments: SegmentLedger;
}

/** A stop list loaded from its store and brought to its secret's keys (StopList.migrate), what that did logged. */
export async function openStopList<L extends StopList>(stopList: L, logger: Logger): Promise<L> {
  await stopList.load();
  const migrated = await stopList.migrate();
  if (migrated.rekeyed > 0) logger.info({ rekeyed: migrated.rekeyed }, 'stop list re-keyed from SHA-256 to HMAC-SHA-256');
  if (migrated.unmatched.length > 0) {
    logger.warn({ oldKeys: migrated.unmatched }, 'stop-list entries kept under their old SHA-256 key: no known identifier matched them (docs/privacy.md)');
  }
  return stopList;
}

/** The ledgers from the store; `own`: those made elsewhere (a shard's: budgets and capacity over shared memory, the node's stop list as handed to it). */
export async function loadLedgers(config: Readonly<Config>, store: Store, clock: Clock, logger: Logger, own: { ledger?: BudgetLedger; capacity?: CapacityLedger; stopList?: StopList } = {}): Promise<Ledgers> {
  const stopList = own.stopList ?? (await openStopList(new StopList(store, config.stopListSecret), logger));
  const ledger = own.ledger ?? new BudgetLedger();
  await ledger.counters.loadFrom(store, 100_000);
  const capacity = own.capacity ?? new CapacityLedger();
  await capacity.counters.loadFrom(store, 100_000);
  const propensity = new PropensityLedger();
  await propensity.counters.loadFrom(store, 100_000);
  const models = new ModelRegistry();
  // (its days like the funnel's, below)
  models.keepDaysUpTo(Math.floor(clock.now() / 86_400_000));
  await models.load(store);
  const uplift = new UpliftLedger();
  await uplift.counters.loadFrom(store, 100_000);
  const funnel = new FunnelLedger();
  await funnel.counters.loadFrom(store, 1_000_000);
  // The daily buckets of the last FUNNEL_KEEP_DAYS days (by UTC here: a day either way does not matter).
  funnel.keepDaysUpTo(Math.floor(clock.now() / 86_400_000));
  await funnel.days.loadFrom(store, 1_000_000);
  await funnel.segmentCounters.loadFrom(store, 1_000_000);
  await funnel.segmentDays.loadFrom(store, 1_000_000);
  const segments = new SegmentLedger(clock);
  await segments.counters.loadFrom(store, 1_000_000);
  // A store with customers from before the segment ledger: recounted once, before any traffic.
  const recount = await ensureSegmentLedger(store, segments);
  if (recount !== undefined) logger.info({ customers: recount.customers, segments: recount.sizes.size }, 'segment sizes and members recounted from the stored snapshots');
  return { stopList, ledger, capacity, propensity, models, uplift, funnel, segments };
}

/** The actor host; what it commits to the outbox goes into the feed (the dispatcher's), and only there. (A shard's too: `newCustomerId` its own ids.) */
export function buildHost(config: Readonly<Config>, parts: { store: Store; catalog: () => Catalog; clock: Clock; logger: Logger; metrics: Metrics; ledgers: Ledgers; committed: CommittedFeed; newCustomerId?: (prefix: 'v' | 'p') => string }): CustomerHost {
  const { store, catalog, clock, logger, metrics, ledgers, committed } = parts;
  return new CustomerHost({
    store,
    identifierSecret: config.stopListSecret,
    catalog,
    clock,
    logger,
    metrics,
    ...ledgers,
    durability: config.durability,
    mergeVisitorOnLogin: config.mergeVisitorOnLogin,
    commitWindowMs: config.commitWindowMs ?? (config.store === 'redis' ? 5 : 0),
    flushIntervalMs: config.flushIntervalMs,
    flushBatch: config.flushBatch,
    maxHotActors: config.maxHotActors,
    passivateAfterMs: config.passivateAfterMs,
    maxHeapBytes: (config.maxHeapMb > 0 ? config.maxHeapMb : Math.floor((getHeapStatistics().heap_size_limit * 0.75) / 1048576)) * 1048576,
    maxInFlight: config.maxInFlight,
    maxQueueMs: config.maxQueueMs,
    limits: { idempotencyRetentionMs: config.idempotencyRetentionMs, idempotencyMaxIds: config.idempotencyMaxIds, maxClockSkewMs: config.maxClockSkewMs, maxEventAgeMs: config.maxEventAgeMs, staleEventMs: config.staleEventMs },
    onCommitted: committed.push,
    ...(parts.newCustomerId === undefined ? {} : { newCustomerId: parts.newCustomerId }),
  });
}

/** Writes the model weights now; a failure is logged (the next interval tries again), not thrown. */
export async function saveModels(models: Pick<ModelRegistry, 'saveWeights'>, store: Store, logger: Logger): Promise<void> {
  try {
    await models.saveWeights(store);
  } catch (err) {
    logger.error({ err }, 'writing the model weights failed; retrying at the next interval');
  }
}

/** The host's own timers: due reminders delivered every `reminderPollMs`, idle actors swept each second. Returns what stops them. */
export function startHostTimers(config: Readonly<Config>, host: CustomerHost, logger: Logger): () => void {
  const pollReminders = (): void => {
    host.pollReminders().catch((err: unknown) => logger.error({ err }, 'delivering due reminders failed; retrying at the next poll'));
  };
  const timers = [setInterval(pollReminders, config.reminderPollMs), setInterval(() => host.sweep(), 1000)];
  for (const t of timers) t.unref();
  return () => {
    for (const t of timers) clearInterval(t);
  };
}

/**
 * The segment timers' safety net (runtime/segment-sweep.ts): a pass over the store's customers
 * when one is due (a new store, a catalog changed, a day since the last), looked at 5 s after
 * start and each minute (none with `segmentSweepMs` 0); and the passes over the customers an
 * import created or changed that the store holds (`SegmentSweep.afterImport`: left by a direct
 * import, or a server stopped midway) at once at start, whatever `segmentSweepMs`. Returns the
 * sweep and what stops it.
 */
export function startSegmentSweep(config: Readonly<Config>, parts: { store: Store; clock: Clock; catalog: () => Catalog; logger: Logger; host: CustomerHost }): { segmentSweep: SegmentSweep; stop: () => void } {
  const { store, clock, catalog, logger, host } = parts;
  // on an LMDB store the pass's reading off this thread (the built worker: not under vitest's sources)
  const plan = parallelScanOf(store)?.parallelScan();
  const url = defaultSweepWorkerUrl();
  const scanner = plan !== undefined && url !== undefined ? workerSweepScanner(plan.dir, url) : undefined;
  const segmentSweep = new SegmentSweep({ store, clock, catalog, logger, check: (id) => host.checkSegments(id), sweepCheck: (id) => host.checkSegments(id, true), automatic: config.segmentSweepMs > 0, ...(config.segmentSweepMs > 0 ? { intervalMs: config.segmentSweepMs } : {}), ...(scanner === undefined ? {} : { scanner }) });
  const imports = (olderThanMs: number): void => {
    segmentSweep.runImportPasses(olderThanMs).catch((err: unknown) => logger.error({ err }, 'reading the segment passes imports left failed'));
  };
  const sweep = (): void => {
    segmentSweep.runIfDue().catch((err: unknown) => logger.error({ err }, 'the segment sweep failed; it runs again when next due'));
    // another node's import pass that node left (it stopped): taken here
    if (store.coordination.shared) imports(IMPORT_PASS_ORPHAN_MS);
  };
  // The passes an import left (a direct import into the data dir, or a server stopped before its
  // pass was done): at once, whatever the sweep's interval (they are no daily pass).
  const startTimer = setTimeout(() => imports(0), 0);
  const timers = [startTimer, ...(config.segmentSweepMs > 0 ? [setTimeout(sweep, 5000), setInterval(sweep, 60_000)] : [])];
  for (const t of timers) t.unref();
  return {
    segmentSweep,
    stop() {
      for (const t of timers) clearTimeout(t);
      segmentSweep.stop();
    },
  };
}

/**
 * The outbound runs' engine over a host's customers (a single node's, or a shard's), and its
 * timer: runs left running by a stop (or another node), waiting for their day, or due by a
 * schedule are looked at soon after start and every `outboundTickMs`. `node`: the name on the
 * slices it works. `stop()` ends the timer; `runs.stop()` waits for the pages in flight.
 */
export function startOutboundRuns(
  config: Readonly<Config>,
  parts: { store: Store; clock: Clock; catalog: () => Catalog; logger: Logger; host: CustomerHost; node: string; plans?: boolean; segments?: Pick<SegmentSweep, 'pending' | 'onSettled'> },
): { runs: OutboundRuns; stop: () => void } {
  const { store, clock, catalog, logger, host, node, segments } = parts;
  const runs = new OutboundRuns({ store, clock, catalog, logger, runStops: host.runStops, ...(parts.plans === undefined ? {} : { plans: parts.plans }), ...(segments === undefined ? {} : { segmentsPending: () => segments.pending() }), submit: (run, id) => host.submitRun(run, id), score: (run, id) => host.scoreRun(run, id), flush: () => host.flush(), storeFailing: () => host.storeFailing(), node, leaseMs: Math.min(60_000, Math.max(5_000, 10 * config.outboundTickMs)) });
  const tick = (): void => {
    runs.tick().catch((err: unknown) => logger.error({ err }, 'looking at the outbound runs failed; again at the next tick'));
  };
  const timers = [setTimeout(tick, Math.min(2000, config.outboundTickMs)), setInterval(tick, config.outboundTickMs)];
  for (const t of timers) t.unref();
  // a run waiting for its segments' memberships goes on once they are settled, not at the next tick
  segments?.onSettled(tick);
  return {
    runs,
    stop() {
      for (const t of timers) clearTimeout(t);
    },
  };
}
