import type { BudgetSpent, Catalog, Channel, DecisionAction } from '../../actors/index.js';
import { budgetCharges, capacityCharges } from '../../actors/index.js';
import type { SharedCharge } from '../store/store.js';
import { MetaCounters } from './meta-counters.js';

/**
 * What each campaign with a budget has spent: contacts made and money at its cost per
 * channel. Budgets span customers, so the counters live in the runtime, not in an actor; the
 * rules (when a budget is spent, what a contact costs) are the brain's (campaign-budget.ts).
 * The host reads which campaigns are spent just before a decision and records the decision's
 * actions just after, in the same synchronous turn, so one process never overspends. The
 * totals are written with the write-behind batches.
 */

export class BudgetLedger {
  readonly counters = new MetaCounters<BudgetSpent>('budget/', () => ({ contacts: 0, cost: 0 }));

  /** A campaign's totals so far (the reader decisionInputs takes). */
  readonly spentOf = (campaign: string): BudgetSpent => this.counters.get(campaign);

  /** What these actions spend of shared totals, for a shared store to reserve atomically. */
  charges(customer: string, actions: readonly DecisionAction[], catalog: Catalog): SharedCharge[] {
    return budgetCharges(actions, catalog).map(({ campaign, ...charge }) => ({ customer, key: `budget/${campaign}`, ...charge }));
  }

  /** The shared keys of every budgeted campaign, to read their totals. */
  sharedKeys(catalog: Catalog): string[] {
    return catalog.campaigns.filter((c) => c.budget !== undefined).map((c) => `budget/${c.id}`);
  }

  /**
   * Before a decision reads `spentOf` (the host, in the step's synchronous turn). Nothing to
   * do in one thread; a shard reserves there what the decision may spend of totals other
   * shards spend too (src/shards/shard-budgets.ts).
   */
  openDecision(_catalog: Catalog): void {
    // one thread: the spent check and `closeDecision` are in one synchronous turn
  }

  /** After the decision, in the same turn: what it spent (undefined: nothing, a repeat or a failure). */
  closeDecision(actions: readonly DecisionAction[] | undefined, catalog: Catalog): void {
    if (actions !== undefined && actions.length > 0) this.record(actions, catalog);
  }

  record(actions: readonly DecisionAction[], catalog: Catalog): void {
    for (const charge of budgetCharges(actions, catalog)) {
      this.counters.update(charge.campaign, (s) => {
        s.contacts += charge.contacts;
        s.cost += charge.cost;
      });
    }
  }
}

/**
 * Contacts per channel per day across customers, against the policy's channel capacity (the
 * call centre's calls a day; the rules are the brain's, channel-capacity.ts). Like budgets:
 * read just before a decision, fed just after, in the same turn; written with the
 * write-behind batches.
 */
export class CapacityLedger {
  readonly counters = new MetaCounters<{ contacts: number }>('capacity/', () => ({ contacts: 0 }));

  private static key(channel: string, day: number): string {
    return `${channel}/${day}`;
  }

  /** Contacts so far on a channel on `day` (the reader decisionInputs takes). */
  readonly usedOn = (channel: Channel, day: number): number => this.counters.get(CapacityLedger.key(channel, day)).contacts;

  /** Before a decision reads `usedOn`: as `BudgetLedger.openDecision` (a shard reserves there: src/shards/shard-capacity.ts). */
  openDecision(_catalog: Catalog): void {
    // one thread: the check and `closeDecision` are in one synchronous turn
  }

  /** After the decision, in the same turn: what it took on `day` (undefined: nothing, a repeat or a failure). */
  closeDecision(actions: readonly DecisionAction[] | undefined, catalog: Catalog, day: number): void {
    if (actions !== undefined && actions.length > 0) this.record(actions, catalog, day);
  }

  /** What these actions take of shared capacity, for a shared store to reserve atomically. */
  charges(customer: string, actions: readonly DecisionAction[], catalog: Catalog, day: number): SharedCharge[] {
    return capacityCharges(actions, catalog.policy).map((c) => ({ customer, key: `capacity/${CapacityLedger.key(c.channel, day)}`, contacts: c.contacts, cost: 0, maxContacts: c.perDay }));
  }

  /** The shared keys of every capped channel on `day`. */
  sharedKeys(catalog: Catalog, day: number): string[] {
    return [...catalog.policy.channelCapacity.keys()].map((channel) => `capacity/${CapacityLedger.key(channel, day)}`);
  }

  record(actions: readonly DecisionAction[], catalog: Catalog, day: number): void {
    for (const charge of capacityCharges(actions, catalog.policy)) {
      this.counters.update(CapacityLedger.key(charge.channel, day), (c) => void (c.contacts += charge.contacts));
    }
  }
}
