import type { Arm } from '../propensity/prior.js';

export interface Explanation {
  campaign: string;
  /** `control`: the customer is in the campaign's control group; the offer was recorded, not made */
  verdict: 'offered' | 'suppressed' | 'control';
  /** why it was suppressed: a stable reason code with detail after a colon */
  reason?: string;
  group?: string;
  channel?: string;
  /** the offer, once a candidate got as far as a channel slot */
  offer?: string;
  /**
   * the response probability used: the group's prior moved by the responses seen, blended
   * with the offer's model by the model's evidence
   */
  probability?: number;
  /** the offer's model: its own probability and the weight it had in the blend */
  model?: { probability: number; weight: number };
  /** expected value: probability x context weight x value x levers */
  score?: number;
  /** the Thompson draw the ranking used in place of the probability */
  draw?: number;
  /** `random`: this decision was in the random control arm that measures the models' lift */
  arm?: Arm;
}
