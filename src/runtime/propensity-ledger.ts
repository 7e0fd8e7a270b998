import type { GroupEvidence, Learned } from '../../actors/index.js';
import { addAnswer, decayFactor, evidenceKey } from '../../actors/index.js';
import { MetaCounters } from './meta-counters.js';

/**
 * Responses per campaign and target group, across customers: positives (accepted) and
 * negatives (declined, dismissed, or no answer before the offer expired). Decisions read it
 * to move each group's response probability from the marketer's prior towards what
 * customers actually do; it is written with the write-behind batches.
 */
export class PropensityLedger {
  readonly counters = new MetaCounters<GroupEvidence>('propensity/', () => ({ positives: 0, negatives: 0 }));

  /** Counts the answers; earlier ones weigh half after `halfLife` later answers of their group (policy.learning.halfLife; 0: never). */
  record(learned: readonly Learned[], halfLife = 0): void {
    const decay = decayFactor(halfLife);
    for (const l of learned) this.counters.update(evidenceKey(l.campaign, l.group), (e) => addAnswer(e, l.positive, decay));
  }

  evidence(): ReadonlyMap<string, GroupEvidence> {
    return this.counters.all();
  }
}
