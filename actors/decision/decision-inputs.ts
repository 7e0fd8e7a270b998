import type { Channel } from '../catalog/channels.js';
import type { Catalog } from '../catalog/compiled-catalog.js';
import type { StopScope } from '../contact-policy.js';
import type { OfferModelView } from '../propensity/ftrl.js';
import type { GroupEvidence } from '../propensity/prior.js';
import type { BudgetSpent } from './campaign-budget.js';
import { spentCampaigns } from './campaign-budget.js';
import { capacityDay, fullChannels } from './channel-capacity.js';
import type { DecideInputs } from './decide.js';

/** What a decision reads from across customers (and the stop list), as the event message carries it. */
export type DecisionInputs = Omit<DecideInputs, 'segmentChanges'>;

/** Where the host keeps what a decision reads besides the customer: its counters, as readers. */
export interface DecisionSources {
  catalog: Catalog;
  /** stop-list entries matching this customer's identifiers */
  stops: readonly StopScope[];
  /** what a budgeted campaign has spent so far, across customers */
  budgetSpentOf: (campaign: string) => BudgetSpent;
  /** contacts so far on a channel on a local day, across customers; undefined when channel capacity is not counted */
  capacityUsedOn: ((channel: Channel, day: number) => number) | undefined;
  /** the moment whose local day (the policy's default time zone) channel capacity is read for */
  capacityAt: number;
  /** responses so far per campaign and group (evidenceKey), across customers */
  evidence: ReadonlyMap<string, GroupEvidence>;
  /** each offer's adaptive model, by offer id */
  models: ReadonlyMap<string, OfferModelView>;
  /** randomness for exploration and the random arm; the decision hashes the event id when absent */
  seed?: number;
  /** the outbound runs cancelled and paused: their deferred messages are not sent at their retry */
  runsCancelled?: ReadonlySet<string>;
  runsPaused?: ReadonlySet<string>;
}

/**
 * The one assembly of a decision's inputs, for the step and for the admin's dry run alike:
 * the stop list, the campaigns whose budget is spent, the channels full for the day, the
 * evidence and models, the seed, and the outbound runs stopped (cancelled or paused).
 */
export function decisionInputs(s: DecisionSources): DecisionInputs {
  const inputs: DecisionInputs = {
    stops: s.stops,
    budgetSpent: spentCampaigns(s.catalog, s.budgetSpentOf),
    evidence: s.evidence,
    models: s.models,
  };
  const usedOn = s.capacityUsedOn;
  if (usedOn !== undefined) {
    const day = capacityDay(s.catalog.policy, s.capacityAt);
    inputs.channelsFull = fullChannels(s.catalog.policy, (channel) => usedOn(channel, day));
  }
  if (s.seed !== undefined) inputs.seed = s.seed;
  if (s.runsCancelled !== undefined && s.runsCancelled.size > 0) inputs.runsCancelled = s.runsCancelled;
  if (s.runsPaused !== undefined && s.runsPaused.size > 0) inputs.runsPaused = s.runsPaused;
  return inputs;
}
