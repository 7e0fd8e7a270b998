import type { Catalog, DecisionAction } from '../../actors/index.js';
import type { SharedCharge } from '../store/store.js';
import { MetaCounters } from './meta-counters.js';

/**
 * What each campaign with a budget has spent: contacts made and money at its cost per
 * channel. Budgets span customers, so the ledger lives in the runtime, not in an actor: the
 * host asks which campaigns are spent just before a decision and records the decision's
 * actions just after, in the same synchronous turn, so one process never overspends. The
 * totals are written with the write-behind batches.
 */
export interface Spent {
  contacts: number;
  cost: number;
}

export class BudgetLedger {
  readonly counters = new MetaCounters<Spent>('budget/', () => ({ contacts: 0, cost: 0 }));

  /** Campaigns whose budget is used up. */
  spentCampaigns(catalog: Catalog): Set<string> {
    const out = new Set<string>();
    for (const c of catalog.campaigns) {
      const b = c.budget;
      if (b === undefined) continue;
      const s = this.counters.get(c.id);
      if ((b.maxContacts !== undefined && s.contacts >= b.maxContacts) || (b.maxCost !== undefined && s.cost >= b.maxCost)) out.add(c.id);
    }
    return out;
  }

  /** What these actions spend of shared totals, for a shared store to reserve atomically. */
  charges(customer: string, actions: readonly DecisionAction[], catalog: Catalog): SharedCharge[] {
    const out: SharedCharge[] = [];
    for (const a of actions) {
      const budget = catalog.campaigns.find((x) => x.id === a.campaign)?.budget;
      if (budget === undefined) continue;
      const c: SharedCharge = { customer, key: `budget/${a.campaign}`, contacts: 1, cost: budget.costPerChannel[a.channel as keyof typeof budget.costPerChannel] ?? 0 };
      if (budget.maxContacts !== undefined) c.maxContacts = budget.maxContacts;
      if (budget.maxCost !== undefined) c.maxCost = budget.maxCost;
      out.push(c);
    }
    return out;
  }

  /** The shared keys of every budgeted campaign, to read their totals. */
  sharedKeys(catalog: Catalog): string[] {
    return catalog.campaigns.filter((c) => c.budget !== undefined).map((c) => `budget/${c.id}`);
  }

  record(actions: readonly DecisionAction[], catalog: Catalog): void {
    for (const a of actions) {
      const budget = catalog.campaigns.find((x) => x.id === a.campaign)?.budget;
      if (budget === undefined) continue;
      this.counters.update(a.campaign, (s) => {
        s.contacts += 1;
        s.cost += budget.costPerChannel[a.channel as keyof typeof budget.costPerChannel] ?? 0;
      });
    }
  }
}

/**
 * Contacts per channel per day across customers, against the policy's channel capacity (the
 * call centre's calls a day). Like budgets: read just before a decision, fed just after, in
 * the same turn; written with the write-behind batches.
 */
export class CapacityLedger {
  readonly counters = new MetaCounters<{ contacts: number }>('capacity/', () => ({ contacts: 0 }));

  private static key(channel: string, day: number): string {
    return `${channel}/${day}`;
  }

  /** Channels whose capacity for `day` is used up. */
  full(catalog: Catalog, day: number): Set<string> {
    const out = new Set<string>();
    for (const [channel, perDay] of catalog.policy.channelCapacity) {
      if (this.counters.get(CapacityLedger.key(channel, day)).contacts >= perDay) out.add(channel);
    }
    return out;
  }

  /** What these actions take of shared capacity, for a shared store to reserve atomically. */
  charges(customer: string, actions: readonly DecisionAction[], catalog: Catalog, day: number): SharedCharge[] {
    return actions.flatMap((a) => {
      const perDay = catalog.policy.channelCapacity.get(a.channel as never);
      return perDay === undefined ? [] : [{ customer, key: `capacity/${CapacityLedger.key(a.channel, day)}`, contacts: 1, cost: 0, maxContacts: perDay }];
    });
  }

  /** The shared keys of every capped channel on `day`. */
  sharedKeys(catalog: Catalog, day: number): string[] {
    return [...catalog.policy.channelCapacity.keys()].map((channel) => `capacity/${CapacityLedger.key(channel, day)}`);
  }

  record(actions: readonly DecisionAction[], catalog: Catalog, day: number): void {
    for (const a of actions) {
      if (!catalog.policy.channelCapacity.has(a.channel as never)) continue;
      this.counters.update(CapacityLedger.key(a.channel, day), (c) => void (c.contacts += 1));
    }
  }
}
