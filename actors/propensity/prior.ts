/**
 * A target group's response probability, learnt from responses: the marketer's estimate is
 * a Beta prior worth `strength` pseudo-responses, updated by what customers did
 * (accepted: a positive; declined, dismissed or ignored until the offer expired: a negative).
 */
export interface GroupEvidence {
  positives: number;
  negatives: number;
}

/** One outcome to learn from. */
export interface Learned {
  campaign: string;
  group: string;
  positive: boolean;
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
