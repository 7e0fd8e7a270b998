import type { Catalog, CustomerLimits, CustomerReply } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import type { Durability } from '../config.js';
import type { ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { StopList } from '../stop-list.js';
import type { OutboxRecord, Store } from '../store/store.js';
import type { BudgetLedger, CapacityLedger } from './budget-ledger.js';
import type { FunnelLedger } from './funnel-ledger.js';
import type { SegmentLedger } from './segment-ledger.js';
import type { ModelRegistry } from './model-registry.js';
import type { PropensityLedger } from './propensity-ledger.js';
import type { UpliftLedger } from './uplift-ledger.js';
import type { RunStops } from './run-stops.js';

/** What the host answers a request: the customer's reply, or an error it made itself (refused, failed). */
export type HostReply = CustomerReply | { kind: 'error'; re: string; code: ErrorCode; message: string };

export interface HostOptions {
  store: Store;
  /** the outbound runs cancelled or paused, kept by OutboundRuns (an empty one of its own when absent) */
  runStops?: RunStops;
  /** the secret identity conflicts key their identifier's hash with (the stop list's, KAIROS_STOP_LIST_SECRET); the demo one when absent */
  identifierSecret?: string;
  catalog: () => Catalog;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  stopList: StopList;
  /** at a login, merge the visitor whose cookie it names into the customer (docs/identity.md) */
  mergeVisitorOnLogin?: boolean;
  /** when a reply may go out: after the commit (`commit`), after the flush to disk (`strict`), or at once (`write-behind`) */
  durability?: Durability;
  /** group commit: how long the first change waits for others before a commit starts (0: the next turn) */
  commitWindowMs?: number;
  flushIntervalMs: number;
  flushBatch: number;
  maxHotActors: number;
  /** a live actor untouched this long is released at the next sweep (0: never for idleness) */
  passivateAfterMs?: number;
  /** past this much V8 heap in use, each sweep releases the least recently used tenth of the clean actors (0: no bound) */
  maxHeapBytes?: number;
  maxInFlight: number;
  /** ms the oldest request in flight may have waited before new ones are refused `overloaded` (0 or absent: no bound) */
  maxQueueMs?: number;
  /** campaign budgets: consulted before each decision, fed after it, written with each batch */
  ledger: BudgetLedger;
  /** responses per campaign and target group: the evidence that moves propensities off their priors */
  propensity: PropensityLedger;
  /** contacts per channel per day, against the policy's channel capacity */
  capacity?: CapacityLedger;
  /** each offer's adaptive model, trained from the actors' `learned` traces */
  models: ModelRegistry;
  /** contacts made and withheld per campaign, and the goals they reached */
  uplift: UpliftLedger;
  /** the campaign funnel (GET /v1/reports/funnel) */
  funnel?: FunnelLedger;
  /** each segment's size and its daily history (GET /v1/segments/{id}) */
  segments?: SegmentLedger;
  /** called with the outbox records of each committed batch */
  onCommitted?: (records: readonly OutboxRecord[]) => void;
  /** idempotency memory and the bounds on `at` (actors/limits.ts; defaultLimits when absent) */
  limits?: CustomerLimits;
  /**
   * the monotonic milliseconds idleness (`passivateAfterMs`) and queueing (`maxQueueMs`) are
   * measured in: performance.now() when absent (a test moves its own)
   */
  monotonicNow?: () => number;
  /** the id of a customer created on first sight; random when absent (a shard's: one that hashes to it, src/shards/shard-of.ts) */
  newCustomerId?: (prefix: 'v' | 'p') => string;
}
