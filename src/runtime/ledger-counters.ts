import type { HostOptions } from './host-options.js';
import type { MetaCounters } from './meta-counters.js';

/**
 * Every total across customers the ledgers keep, in one list: what a host commits with its
 * customers' changes (customer-host.ts), and what a node with shards adds up over them
 * (src/shards/merged-totals.ts). The funnel, segment and capacity ledgers when there are.
 */
export function ledgerCounters(l: Pick<HostOptions, 'ledger' | 'propensity' | 'models' | 'uplift' | 'funnel' | 'segments' | 'capacity'>): Array<MetaCounters<object>> {
  return [
    l.ledger.counters,
    l.propensity.counters,
    l.models.stats,
    l.models.days,
    l.uplift.counters,
    ...(l.funnel === undefined ? [] : [l.funnel.counters, l.funnel.days, l.funnel.segmentCounters, l.funnel.segmentDays]),
    ...(l.segments === undefined ? [] : [l.segments.counters]),
    ...(l.capacity === undefined ? [] : [l.capacity.counters]),
  ];
}
