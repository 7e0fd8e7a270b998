import type { Channel } from '../catalog/channels.js';
import type { Catalog } from '../catalog/compiled-catalog.js';
import type { DecisionAction } from '../customer-state.js';

/** What a campaign with a budget has spent so far, across customers: contacts made and money. */
export interface BudgetSpent {
  contacts: number;
  cost: number;
}

/** Whether a campaign's totals have reached its budget (contacts or money). */
function exhausted(budget: { maxContacts?: number; maxCost?: number }, spent: BudgetSpent): boolean {
  return (budget.maxContacts !== undefined && spent.contacts >= budget.maxContacts) || (budget.maxCost !== undefined && spent.cost >= budget.maxCost);
}

/** No campaign: what spentCampaigns answers while no budget is used up (asked at every event: no set is made for it). */
const NONE_SPENT: ReadonlySet<string> = new Set<string>();

/** The campaigns whose budget is used up, given what each has spent (`spentOf`). */
export function spentCampaigns(catalog: Catalog, spentOf: (campaign: string) => BudgetSpent): ReadonlySet<string> {
  let out: Set<string> | undefined;
  for (const c of catalog.campaigns) {
    if (c.budget !== undefined && exhausted(c.budget, spentOf(c.id))) (out ??= new Set<string>()).add(c.id);
  }
  return out ?? NONE_SPENT;
}

/** What one action spends of its campaign's budget, with the budget's bounds. */
export interface BudgetCharge {
  campaign: string;
  contacts: 1;
  /** the cost of a contact on the action's channel (0 when the budget names no cost for it) */
  cost: number;
  maxContacts?: number;
  maxCost?: number;
}

/** What these actions spend of their campaigns' budgets; actions of campaigns without a budget spend nothing. */
export function budgetCharges(actions: readonly DecisionAction[], catalog: Catalog): BudgetCharge[] {
  const out: BudgetCharge[] = [];
  for (const a of actions) {
    const budget = catalog.campaigns.find((x) => x.id === a.campaign)?.budget;
    if (budget === undefined) continue;
    const charge: BudgetCharge = { campaign: a.campaign, contacts: 1, cost: budget.costPerChannel[a.channel as Channel] ?? 0 };
    if (budget.maxContacts !== undefined) charge.maxContacts = budget.maxContacts;
    if (budget.maxCost !== undefined) charge.maxCost = budget.maxCost;
    out.push(charge);
  }
  return out;
}
