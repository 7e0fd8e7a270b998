import type { Catalog, DecisionAction } from '../../actors/index.js';

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

const PREFIX = 'budget/';

export class BudgetLedger {
  private readonly spent = new Map<string, Spent>();
  private readonly changed = new Set<string>();

  load(entries: ReadonlyArray<{ key: string; value: unknown }>): void {
    for (const { key, value } of entries) {
      const v = value as Partial<Spent>;
      this.spent.set(key.slice(PREFIX.length), { contacts: v.contacts ?? 0, cost: v.cost ?? 0 });
    }
  }

  static readonly prefix = PREFIX;

  /** Campaigns whose budget is used up. */
  spentCampaigns(catalog: Catalog): Set<string> {
    const out = new Set<string>();
    for (const c of catalog.campaigns) {
      const b = c.budget;
      if (b === undefined) continue;
      const s = this.spent.get(c.id);
      if (s === undefined) continue;
      if ((b.maxContacts !== undefined && s.contacts >= b.maxContacts) || (b.maxCost !== undefined && s.cost >= b.maxCost)) out.add(c.id);
    }
    return out;
  }

  record(actions: readonly DecisionAction[], catalog: Catalog): void {
    for (const a of actions) {
      const c = catalog.campaigns.find((x) => x.id === a.campaign);
      if (c?.budget === undefined) continue;
      const s = this.spent.get(c.id) ?? { contacts: 0, cost: 0 };
      s.contacts += 1;
      s.cost += c.budget.costPerChannel[a.channel as keyof typeof c.budget.costPerChannel] ?? 0;
      this.spent.set(c.id, s);
      this.changed.add(c.id);
    }
  }

  get hasChanges(): boolean {
    return this.changed.size > 0;
  }

  /** The totals changed since the last call, as store meta entries. */
  drain(): Array<{ key: string; value: Spent }> {
    const out = [...this.changed].map((id) => ({ key: `${PREFIX}${id}`, value: { ...(this.spent.get(id) ?? { contacts: 0, cost: 0 }) } }));
    this.changed.clear();
    return out;
  }

  /** Put back what a failed commit did not write. */
  restore(entries: ReadonlyArray<{ key: string }>): void {
    for (const e of entries) this.changed.add(e.key.slice(PREFIX.length));
  }

  get(id: string): Spent {
    return { ...(this.spent.get(id) ?? { contacts: 0, cost: 0 }) };
  }
}
