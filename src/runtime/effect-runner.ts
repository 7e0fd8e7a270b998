import type { Catalog, CustomerEffect, CustomerReply, Explanation, TraceParams } from '../../actors/index.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { outcomeLabel } from '../metrics.js';
import type { FunnelLedger } from './funnel-ledger.js';
import { countedSegments } from './funnel-ledger.js';
import type { SegmentLedger } from './segment-ledger.js';
import type { Identities } from './identity.js';
import type { Live } from './live-customer.js';
import type { ModelRegistry } from './model-registry.js';
import type { PropensityLedger } from './propensity-ledger.js';
import type { Sharing } from './sharing.js';
import type { UpliftLedger } from './uplift-ledger.js';
import type { WriteBehind } from './write-behind.js';

/** What a step's effects give the host back: the reply and the explanation, if the step made them. */
export interface Ran {
  reply: CustomerReply | undefined;
  explain: Explanation[] | undefined;
}

export interface EffectRunnerOptions {
  catalog: () => Catalog;
  logger: Logger;
  metrics: Metrics;
  propensity: PropensityLedger;
  models: ModelRegistry;
  uplift: UpliftLedger;
  funnel?: FunnelLedger;
  /** the local day (policy's defaultTimezone) by the server clock: the funnel's daily buckets */
  funnelDay?: () => number;
  segments?: SegmentLedger;
  sharing: Sharing;
  identities: Identities;
  writeBehind: WriteBehind;
}

/**
 * Runs the effects a customer's step returns as data (`actors/effects.ts`), in order, with
 * one exhaustive switch: the reply and the explanation go back to the host, outbox entries
 * and reminders to the write-behind, identity links to identity resolution, the trace to the
 * totals across customers, the models and the metrics (on a shared store once committed).
 */
export class EffectRunner {
  /** the one result, reset by every run and read at once (nothing allocated per step) */
  private readonly ran: Ran = { reply: undefined, explain: undefined };

  constructor(private readonly o: EffectRunnerOptions) {}

  /** Runs the effects in order; what they give back is valid until the next run. */
  run(live: Live, effects: readonly CustomerEffect[]): Readonly<Ran> {
    const ran = this.ran;
    ran.reply = undefined;
    ran.explain = undefined;
    for (const effect of effects) {
      switch (effect.type) {
        case 'reply':
          ran.reply = effect.params.reply;
          break;
        case 'queue':
          this.o.writeBehind.queueOutbox(effect.params.entries);
          break;
        case 'link':
          for (const l of effect.params.links) this.o.identities.link(l.kind, l.value, effect.params.customer, true);
          break;
        case 'schedule':
          this.o.writeBehind.schedule(effect.params.customer, effect.params.reminders);
          break;
        case 'trace': {
          const params = effect.params;
          ran.explain = params.trace.explain;
          // On a shared store a decision may be refused at its commit and made again: count it
          // (and learn from it) only once it is committed.
          // (the day and the customer's segments after the step, for the funnel's buckets)
          this.o.sharing.afterCommit(live, this.record, params, { day: this.o.funnelDay?.(), segments: this.o.funnel === undefined ? [] : countedSegments(live.snapshot.context.segments) });
          break;
        }
        default: {
          const never: never = effect;
          throw new KairosError('internal', `unhandled effect ${JSON.stringify(never)}`);
        }
      }
    }
    return ran;
  }

  /** A handled message's trace into the totals across customers, the models and the metrics. */
  private readonly record = (p: TraceParams, at: { day: number | undefined; segments: readonly string[] }): void => {
    for (const e of p.trace.explain) {
      if (e.verdict === 'suppressed') {
        this.o.metrics.suppressions.inc({ campaign: e.campaign, reason: (e.reason ?? 'unknown').split(':')[0] ?? 'unknown' });
      }
    }
    for (const a of p.trace.answered) this.o.metrics.responses.inc({ outcome: outcomeLabel(a.outcome) });
    const learning = this.o.catalog().policy.learning;
    this.o.propensity.record(p.trace.learned, learning.halfLife);
    this.o.models.learn(p.trace.learned, learning.bits, { halfLife: learning.halfLife, day: at.day });
    this.o.uplift.record(p.trace.explain, p.trace.conversions);
    // (a run's hand-over that is not final is counted when the customer is handed over again and decided for good)
    const uncounted = p.trace.uncounted;
    this.o.funnel?.recordDecision(uncounted === undefined ? p.trace.explain : p.trace.explain.filter((e) => !uncounted.includes(e.campaign)), p.trace.deferrals, at.day, at.segments);
    if (p.trace.segmentChanges.length > 0) {
      this.o.segments?.record(p.trace.segmentChanges);
      this.o.logger.debug({ customer: p.customer, changes: p.trace.segmentChanges }, 'segments changed');
    }
  };
}
