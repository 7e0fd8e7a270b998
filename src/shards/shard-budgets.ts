import type { BudgetSpent, Catalog, DecisionAction } from '../../actors/index.js';
import { budgetCharges } from '../../actors/index.js';
import { KairosError } from '../errors.js';
import { BudgetLedger } from '../runtime/budget-ledger.js';
import { SharedTotals } from './shared-totals.js';

/**
 * Campaign budgets across shards. Every shard decides on its own thread, so a budget's
 * totals live in shared memory (shared-totals.ts), one slot a budgeted campaign
 * (`BudgetSlots`, the main thread's numbering; a slot let go by a catalog is used again once every shard has taken it): the contacts and money spent by every shard. A decision reserves before it reads: when the
 * host opens it, `spentOf` for a campaign takes the slot's lock, reads the totals and, when
 * they leave room, adds one contact and the dearest channel's cost to them; when the host
 * closes it, what the decision did not spend of that reservation is given back. So two
 * shards can never both take a budget's last contact: a budget is never overspent, and at
 * worst a decision sees it spent while another shard's reservation (not used in the end)
 * held its last contact. Each shard's own spending is also counted and written with its
 * commits, as a single node's is; at the first start each shard adds what it wrote before to
 * the shared totals.
 */

/** What a slot the main thread hands a campaign must start from: zero totals, and no shard's own totals added yet. */
export type ClearSlot = (slot: number) => void;

/**
 * Budgeted campaigns' slots, numbered by the main thread. A campaign keeps its slot while a
 * catalog gives it a budget; a catalog without it (gone, or its budget taken away) lets the
 * slot go, and once every shard has taken that catalog (none decides with the slot for it any
 * more: `release`) the slot is free for another campaign, cleared (`clear`) before any shard
 * is told of it. A campaign given a budget again gets a slot afresh: every shard adds what it
 * spent before (its own totals, kept in its store), as at a start.
 */
export class BudgetSlots {
  private readonly slots = new Map<string, number>();
  /** slots let go and released: no shard uses them */
  private readonly free: number[] = [];
  /** slots never handed out are `next` and up */
  private next = 0;

  constructor(
    readonly capacity: number,
    private readonly clear: ClearSlot,
  ) {}

  /**
   * Refuses a catalog whose budgeted campaigns the slots cannot hold: 409 `conflict` for more
   * than `capacity` of them; 503 `unavailable` while the slots a catalog before let go are
   * still in some shard's hands (a moment: until every shard has taken that catalog).
   */
  check(catalog: { campaigns: ReadonlyArray<{ id: string; budget?: unknown }> }): void {
    const budgeted = budgetedIds(catalog);
    if (budgeted.size > this.capacity) {
      throw new KairosError('conflict', `${budgeted.size} campaigns have a budget: a node with shards shares the totals of ${this.capacity} at most (take some budgets away, or run them on a single node)`);
    }
    let fresh = 0;
    for (const id of budgeted) if (!this.slots.has(id)) fresh++;
    if (fresh > this.free.length + this.capacity - this.next) {
      throw new KairosError('unavailable', `the budget slots the last catalog change let go are still being let go by the shards (${this.capacity} at most); retry shortly`);
    }
  }

  /**
   * The slots of every budgeted campaign of `catalog` (new ones from the free slots, cleared),
   * and those it let go (`release` them once every shard has taken it). Throws as `check`.
   */
  assign(catalog: { campaigns: ReadonlyArray<{ id: string; budget?: unknown }> }): { slots: Record<string, number>; letGo: number[] } {
    this.check(catalog);
    const budgeted = budgetedIds(catalog);
    const letGo: number[] = [];
    for (const [id, slot] of this.slots) {
      if (budgeted.has(id)) continue;
      this.slots.delete(id);
      letGo.push(slot);
    }
    for (const id of budgeted) {
      if (this.slots.has(id)) continue;
      const slot = this.free.pop() ?? this.next++;
      this.clear(slot);
      this.slots.set(id, slot);
    }
    return { slots: Object.fromEntries(this.slots), letGo };
  }

  /** Slots a catalog let go, once every shard has taken it (or stopped: its successor starts with the slots in force): free again. */
  release(letGo: readonly number[]): void {
    this.free.push(...letGo);
  }
}

function budgetedIds(catalog: { campaigns: ReadonlyArray<{ id: string; budget?: unknown }> }): Set<string> {
  return new Set(catalog.campaigns.filter((c) => c.budget !== undefined).map((c) => c.id));
}

/**
 * Clears a slot the main thread hands a new campaign: its totals zero, and every shard's
 * `counted` flag for it down, so each adds its own totals for the campaign when it takes the
 * slot (shard-budgets.ts `addOwnTotals`). Called only for a slot no shard uses.
 */
export function clearBudgetSlot(memory: SharedArrayBuffer, capacity: number, counted: Int32Array, shards: number, slot: number): void {
  new SharedTotals(memory, capacity, MAIN_THREAD_OWNER).locked(slot, (v, at) => {
    v[at] = 0;
    v[at + 1] = 0;
  });
  for (let shard = 0; shard < shards; shard++) Atomics.store(counted, shard * capacity + slot, 0);
}

/** The main thread's mark in a lock word (workers' are from 1: the router's count of workers started). */
const MAIN_THREAD_OWNER = -1;

/** Money to a millionth of a rouble: reservations given back leave no float dust at a budget's edge. */
function money(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

type Budget = NonNullable<Catalog['campaigns'][number]['budget']> & { dearest: number };

/** Each budgeted campaign's budget and its dearest channel's cost, once a catalog (a decision asks for every budgeted campaign). */
const budgetsByCatalog = new WeakMap<Catalog, ReadonlyMap<string, Budget>>();

function budgetsOf(catalog: Catalog): ReadonlyMap<string, Budget> {
  let out = budgetsByCatalog.get(catalog);
  if (out === undefined) {
    const m = new Map<string, Budget>();
    for (const c of catalog.campaigns) {
      if (c.budget !== undefined) m.set(c.id, { ...c.budget, dearest: Math.max(0, ...Object.values(c.budget.costPerChannel).map((x) => x ?? 0)) });
    }
    out = m;
    budgetsByCatalog.set(catalog, out);
  }
  return out;
}

interface Reserved {
  slot: number;
  /** the totals before the reservation (what the decision was shown) */
  before: BudgetSpent;
  /** the reservation: a contact and this much money; undefined when the budget was spent */
  cost: number | undefined;
}

export class ShardBudgetLedger extends BudgetLedger {
  private readonly totals: SharedTotals;
  private slots: Readonly<Record<string, number>>;
  private catalog: Catalog | undefined;
  /** reservations of the decision open now, by campaign */
  private readonly reserved = new Map<string, Reserved>();

  /**
   * `owner`: the worker's mark in the lock words (shared-totals.ts). `counted`: an Int32 a
   * shard and slot, set once the shard's stored totals for the slot's
   * campaign are in the shared memory (a restarted shard, or a slot a later catalog brought,
   * adds them once).
   */
  constructor(
    memory: SharedArrayBuffer,
    private readonly capacity: number,
    slots: Readonly<Record<string, number>>,
    private readonly shard: number,
    owner: number,
    private readonly counted: Int32Array,
  ) {
    super();
    this.totals = new SharedTotals(memory, capacity, owner);
    this.slots = slots;
    // What a decision (or a preview) is shown: every shard's totals, with the open decision's reservations.
    (this as { spentOf: (campaign: string) => BudgetSpent }).spentOf = (campaign) => this.shared(campaign);
  }

  /** A new catalog's slots (new budgeted campaigns numbered by the main thread), with this shard's stored totals for them. */
  setSlots(slots: Readonly<Record<string, number>>): void {
    this.slots = slots;
    this.addOwnTotals();
  }

  /**
   * What this shard spent before (loaded from its store) added to the shared totals, once a
   * slot: added, then marked (a shard dying between the two adds them again when it starts
   * again: a budget then ends under-spent, never over).
   */
  addOwnTotals(): void {
    for (const [campaign, slot] of Object.entries(this.slots)) {
      const flag = this.shard * this.capacity + slot;
      if (Atomics.load(this.counted, flag) !== 0) continue;
      const spent = this.counters.all().get(campaign);
      if (spent !== undefined) {
        this.totals.locked(slot, (v, at) => {
          v[at] = (v[at] ?? 0) + spent.contacts;
          v[at + 1] = money((v[at + 1] ?? 0) + spent.cost);
        });
      }
      Atomics.store(this.counted, flag, 1);
    }
  }

  override openDecision(catalog: Catalog): void {
    this.catalog = catalog;
    this.reserved.clear();
  }

  override closeDecision(actions: readonly DecisionAction[] | undefined, catalog: Catalog): void {
    const charges = actions === undefined || actions.length === 0 ? [] : budgetCharges(actions, catalog);
    for (const [campaign, r] of this.reserved) {
      let contacts = 0;
      let cost = 0;
      for (const c of charges) {
        if (c.campaign !== campaign) continue;
        contacts += c.contacts;
        cost += c.cost;
      }
      const heldContacts = r.cost === undefined ? 0 : 1;
      const heldCost = r.cost ?? 0;
      if (contacts !== heldContacts || cost !== heldCost) {
        this.totals.locked(r.slot, (v, at) => {
          v[at] = (v[at] ?? 0) + contacts - heldContacts;
          v[at + 1] = money((v[at + 1] ?? 0) + cost - heldCost);
        });
      }
    }
    this.reserved.clear();
    this.catalog = undefined;
    // This shard's own spending, written with its commits.
    if (actions !== undefined && actions.length > 0) this.record(actions, catalog);
  }

  private shared(campaign: string): BudgetSpent {
    const slot = this.slots[campaign];
    if (slot === undefined) return this.counters.get(campaign);
    const held = this.reserved.get(campaign);
    if (held !== undefined) return { ...held.before };
    const catalog = this.catalog;
    const budget = catalog === undefined ? undefined : budgetsOf(catalog).get(campaign);
    if (catalog === undefined || budget === undefined) return this.totals.locked(slot, (v, at) => ({ contacts: v[at] ?? 0, cost: v[at + 1] ?? 0 }));
    // In a decision: reserve a contact at the dearest channel's cost while the budget has room.
    return this.totals.locked(slot, (v, at) => {
      const before = { contacts: v[at] ?? 0, cost: v[at + 1] ?? 0 };
      const spent = (budget.maxContacts !== undefined && before.contacts >= budget.maxContacts) || (budget.maxCost !== undefined && before.cost >= budget.maxCost);
      let cost: number | undefined;
      if (!spent) {
        cost = budget.dearest;
        v[at] = before.contacts + 1;
        v[at + 1] = money(before.cost + cost);
      }
      this.reserved.set(campaign, { slot, before, cost });
      return { ...before };
    });
  }
}
