import type { Clock } from '../clock.js';
import type { Ledgers } from '../host-parts.js';
import { ledgerCounters } from '../runtime/ledger-counters.js';
import { BudgetLedger, CapacityLedger } from '../runtime/budget-ledger.js';
import { FunnelLedger } from '../runtime/funnel-ledger.js';
import type { FlatCounter } from '../runtime/meta-counters.js';
import { ModelRegistry } from '../runtime/model-registry.js';
import { PropensityLedger } from '../runtime/propensity-ledger.js';
import { SegmentLedger } from '../runtime/segment-ledger.js';
import { UpliftLedger } from '../runtime/uplift-ledger.js';
import type { ShardTotals } from './shard-calls.js';

/**
 * The node's totals across customers on a node with shards: each shard keeps its own
 * customers' (budget spend, channel capacity, propensity evidence, the funnel, uplift, model
 * figures, segment sizes); these ledgers, of the classes a single node keeps, hold their sums,
 * read from every shard at `refresh` (the admin API's reads of them refresh first). Each
 * counter is added up path by path (MetaCounters.merge, as nodes sharing a store add theirs).
 */
export class MergedTotals {
  readonly ledgers: Omit<Ledgers, 'stopList'>;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly read: () => Promise<ShardTotals[]>,
    private readonly clock: Clock,
  ) {
    this.ledgers = { ledger: new BudgetLedger(), capacity: new CapacityLedger(), propensity: new PropensityLedger(), models: new ModelRegistry(), uplift: new UpliftLedger(), funnel: new FunnelLedger(), segments: new SegmentLedger(clock) };
  }

  /**
   * Reads every shard's totals and puts their sums in the ledgers. A refresh asked while one
   * runs waits for the next one (what was committed before it was asked is in it); asks
   * meanwhile share that next one.
   */
  refresh(): Promise<void> {
    if (this.running === undefined) return this.start();
    this.queued ??= this.running.then(
      () => this.start(),
      () => this.start(),
    );
    return this.queued;
  }

  private start(): Promise<void> {
    this.queued = undefined;
    const run = this.read().then((totals) => this.take(totals));
    this.running = run;
    void run.then(
      () => (this.running === run ? (this.running = undefined) : undefined),
      () => (this.running === run ? (this.running = undefined) : undefined),
    );
    return run;
  }

  private take(totals: readonly ShardTotals[]): void {
    const sums = new Map<string, FlatCounter>();
    for (const t of totals) {
      for (const { key, value } of t.counters) {
        const sum = sums.get(key) ?? {};
        for (const [path, n] of Object.entries(value)) sum[path] = (sum[path] ?? 0) + n;
        sums.set(key, sum);
      }
    }
    const entries = [...sums].map(([key, value]) => ({ key, value }));
    for (const c of ledgerCounters(this.ledgers)) {
      // What no shard holds any more (a day they dropped) is dropped here too.
      c.forget([...c.all().keys()].filter((id) => !sums.has(`${c.prefix}${id}`)));
      c.merge(entries);
    }
    // The daily buckets' window as the shards keep theirs (by UTC day).
    const day = Math.floor(this.clock.now() / 86_400_000);
    this.ledgers.models.keepDaysUpTo(day);
    this.ledgers.funnel.keepDaysUpTo(day);
  }
}
