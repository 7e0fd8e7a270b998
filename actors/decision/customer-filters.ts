import type { Campaign, Catalog, Policy } from '../catalog/compiled-catalog.js';
import { stageFilters } from '../catalog/compiled-catalog.js';
import type { EvalScope } from '../condition.js';
import type { CustomerContext } from '../customer-state.js';
import type { RunCall } from '../outbound-run.js';
import { isEarlierWave } from '../outbound-run.js';
import { isOperatorCall } from '../call-outcomes.js';

/**
 * Whether the recency rules forbid this campaign's offer at `t`: the same offer or campaign
 * within its window (either side of `t`, so a late event cannot slip in before an earlier
 * contact), or inside the pause after the customer declined the offer. An operator's call that
 * did not reach the customer (`no_answer`), or that they asked to be called back after, does
 * not count; nor, for a wave's run, the earlier waves' calls it follows up.
 */
export function recencyProblem(ctx: CustomerContext, c: Campaign, t: number, run?: RunCall): string | undefined {
  if (!c.marketing) return undefined;
  const r = c.recency;
  for (const k of ctx.contacts) {
    if (!k.marketing || (isOperatorCall(k) && (k.outcome === 'no_answer' || k.outcome === 'callback')) || isEarlierWave(k, run)) continue;
    const gap = Math.abs(k.at - t);
    if (k.offer === c.offer.id && gap < r.sameOfferMs) return 'recency:offer';
    if (k.campaign === c.id && gap < r.sameCampaignMs) return 'recency:campaign';
  }
  for (const resp of ctx.responses) {
    if (resp.offer === c.offer.id && resp.outcome === 'declined' && t >= resp.at && t < resp.at + r.afterDeclineMs) return 'recency:declined';
  }
  return undefined;
}

/**
 * Outcome-driven suppression: after `declines` declines of the offer (or, by scope, of any
 * offer of its product family) within the window, it pauses from the last of them.
 */
export function suppressionProblem(ctx: CustomerContext, c: Campaign, t: number, catalog: Catalog): string | undefined {
  const s = c.suppression;
  const sameGroup = s.scope === 'group';
  let count = 0;
  let last = -Infinity;
  for (const r of ctx.responses) {
    if (r.outcome !== 'declined' || r.at > t || r.at < t - s.withinMs) continue;
    const match = r.offer === c.offer.id || (sameGroup && catalog.offers.get(r.offer)?.group === c.offer.group);
    if (!match) continue;
    count++;
    last = Math.max(last, r.at);
  }
  if (count < s.declines || t >= last + s.pauseMs) return undefined;
  return `declined_repeatedly:${count}_in_${formatWindow(s.withinMs)}${sameGroup ? `:group_${c.offer.group}` : ''}`;
}

/** "Maybe later": the weight of an offer the customer put off recently. */
export function laterWeight(ctx: CustomerContext, c: Campaign, t: number, policy: Policy): number {
  const { weight, ms } = policy.maybeLater;
  for (const r of ctx.responses) {
    if (r.offer === c.offer.id && r.outcome === 'later' && r.at <= t && t < r.at + ms) return weight;
  }
  return 1;
}

/** The first stage filter (campaign, then offer) this customer does not pass, or undefined. */
export function stageProblem(c: Campaign, scope: EvalScope): string | undefined {
  for (const stage of stageFilters) {
    const campaignRule = c[stage];
    if (campaignRule !== undefined && !campaignRule(scope)) return `${stageReason[stage]}:campaign`;
    const offerRule = c.offer[stage];
    if (offerRule !== undefined && !offerRule(scope)) return `${stageReason[stage]}:offer`;
  }
  return undefined;
}

export const stageReason = { eligibility: 'not_eligible', applicability: 'not_applicable', suitability: 'not_suitable' } as const;

/** 86400000 -> "1d", for explanations. */
export function formatWindow(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
