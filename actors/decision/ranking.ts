import type { Channel } from '../catalog/channels.js';
import type { Campaign } from '../catalog/compiled-catalog.js';
import { fnv1a } from '../hash.js';
import type { OfferModelView } from '../propensity/ftrl.js';
import type { Vars } from './campaign-vars.js';
import type { Nearby } from './nearby.js';

export interface Candidate {
  campaign: Campaign;
  group: string;
  probability: number;
  channel: Channel;
  /** expected value */
  score: number;
  /** what the ranking sorts by: the score with the Thompson draw, or a random key in the random arm */
  key: number;
  draw?: number;
  model?: { probability: number; weight: number };
  /** the hashed features the offer's model scored */
  x?: number[];
  vars: Vars;
  nearby?: Nearby;
  /** the campaign's channel preference, for ties */
  rank: number;
}

/** The response probability for a group: its learnt prior, blended with the offer's model by the model's evidence. */
export function blend(groupP: number, model: OfferModelView | undefined, x: readonly number[] | undefined, modelEvidence: number): { p: number; model?: { probability: number; weight: number } } {
  if (model === undefined || x === undefined || model.examples === 0) return { p: groupP };
  const probability = model.predict(x);
  const weight = model.examples / (model.examples + modelEvidence);
  return { p: (1 - weight) * groupP + weight * probability, model: { probability, weight } };
}

/** Whether this customer is in the campaign's control group: a stable hash, so always the same answer. */
export function inControlGroup(customer: string, c: Campaign): boolean {
  return c.controlShare > 0 && fnv1a(`${customer}|${c.id}`) % 10_000 < c.controlShare * 10_000;
}
