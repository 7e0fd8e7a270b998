import type { OfferInstance } from '../customer-state.js';

/**
 * A target group's response probability, learnt from responses: the marketer's estimate is
 * a Beta prior worth `strength` pseudo-responses, updated by what customers did
 * (accepted: a positive; declined, dismissed or ignored until the offer expired: a negative).
 *
 * Drift: besides the totals, the evidence keeps decayed counts, each earlier answer weighing
 * half as much after `halfLife` later answers of the group, and the probability is read from
 * those, so a group whose response rate triples is not scored on last year's answers.
 */
export interface GroupEvidence {
  /** every positive answer */
  positives: number;
  /** every negative answer */
  negatives: number;
  /** the positives, each weighed down by the answers that came after it (absent: never decayed, the totals) */
  recentPositives?: number;
  recentNegatives?: number;
}

/** Counts one answer into the evidence (changed in place): the totals, and the decayed counts at `decay` per answer (decayFactor in ftrl.ts). */
export function addAnswer(e: GroupEvidence, positive: boolean, decay: number): void {
  const rp = (e.recentPositives ?? e.positives) * decay;
  const rn = (e.recentNegatives ?? e.negatives) * decay;
  e.recentPositives = positive ? rp + 1 : rp;
  e.recentNegatives = positive ? rn : rn + 1;
  if (positive) e.positives += 1;
  else e.negatives += 1;
}

/** Which ranking made an offer: the models, or the random control that measures their lift. */
export type Arm = 'model' | 'random';

/** One outcome to learn from. */
export interface Learned {
  campaign: string;
  group: string;
  positive: boolean;
  offer?: string;
  /** the features the offer's model scored (hashed), when a model took part */
  x?: number[];
  /** the response probability the decision used, for the running AUC */
  p?: number;
  arm?: Arm;
}

/** What an answered (or expired) offer instance teaches, or undefined when it was not ranked by a group. */
export function learnedFrom(p: OfferInstance, positive: boolean): Learned | undefined {
  if (p.group === undefined) return undefined;
  const l: Learned = { campaign: p.campaign, group: p.group, positive, offer: p.offer };
  if (p.x !== undefined) l.x = p.x;
  if (p.p !== undefined) l.p = p.p;
  if (p.arm !== undefined) l.arm = p.arm;
  return l;
}

export function evidenceKey(campaign: string, group: string): string {
  return `${campaign}/${group}`;
}

/**
 * The posterior mean of Beta(prior x strength + positives, (1 - prior) x strength + negatives),
 * over the decayed counts when the evidence has them.
 */
export function posteriorProbability(prior: number, evidence: GroupEvidence | undefined, strength: number): number {
  if (evidence === undefined) return prior;
  // Counts decayed on several nodes and merged as deltas can dip below 0: never below.
  const a = prior * strength + Math.max(0, evidence.recentPositives ?? evidence.positives);
  const b = (1 - prior) * strength + Math.max(0, evidence.recentNegatives ?? evidence.negatives);
  return a + b === 0 ? prior : a / (a + b);
}

/** How many answers the probability rests on: the decayed count when there is one. */
export function evidenceWeight(evidence: GroupEvidence | undefined): number {
  if (evidence === undefined) return 0;
  return Math.max(0, evidence.recentPositives ?? evidence.positives) + Math.max(0, evidence.recentNegatives ?? evidence.negatives);
}
