import type { Catalog } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { BudgetLedger, CapacityLedger } from '../runtime/budget-ledger.js';
import { CustomerHost } from '../runtime/customer-host.js';
import type { HostOptions } from '../runtime/host-options.js';
import { FunnelLedger } from '../runtime/funnel-ledger.js';
import { ModelRegistry } from '../runtime/model-registry.js';
import { PropensityLedger } from '../runtime/propensity-ledger.js';
import { SegmentLedger } from '../runtime/segment-ledger.js';
import { UpliftLedger } from '../runtime/uplift-ledger.js';
import { StopList } from '../stop-list.js';
import type { Store } from '../store/store.js';

/**
 * A customer host on a store with fresh ledgers, no sockets and no server (tests and
 * benchmarks of the host alone): commit durability, a 10 ms group commit, 1,000 live actors and
 * requests in flight; `options` overrides any of it.
 */
export function bareHost(store: Store, clock: Clock, catalog: Catalog, options: Partial<HostOptions> = {}): CustomerHost {
  return new CustomerHost({
    store,
    catalog: () => catalog,
    clock,
    logger: createLogger('silent'),
    metrics: createMetrics(),
    stopList: new StopList(store),
    ledger: new BudgetLedger(),
    capacity: new CapacityLedger(),
    propensity: new PropensityLedger(),
    models: new ModelRegistry(),
    uplift: new UpliftLedger(),
    funnel: new FunnelLedger(),
    segments: new SegmentLedger(clock),
    durability: 'commit',
    flushIntervalMs: 10,
    flushBatch: 1000,
    maxHotActors: 1000,
    maxInFlight: 1000,
    ...options,
  });
}
