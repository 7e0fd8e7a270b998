import type { OfferInstance } from '../customer-state.js';

/**
 * A target group's response probability, learnt from responses: the marketer's estimate is
 * a Beta prior worth `strength` pseudo-responses, updated by what customers did
 * (accepted: a positive; declined, dismissed or ignored until the offer expired: a negative).
 */
export interface GroupEvidence {
  positives: number;
  negatives: number;
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

/** The posterior mean of Beta(prior x strength + positives, (1 - prior) x strength + negatives). */
export function posteriorProbability(prior: number, evidence: GroupEvidence | undefined, strength: number): number {
  if (evidence === undefined) return prior;
  const a = prior * strength + evidence.positives;
  const b = (1 - prior) * strength + evidence.negatives;
  return a + b === 0 ? prior : a / (a + b);
}
