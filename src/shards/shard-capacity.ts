import type { Catalog, Channel, DecisionAction } from '../../actors/index.js';
import { capacityCharges, channels } from '../../actors/index.js';
import { CapacityLedger } from '../runtime/budget-ledger.js';
import { SharedTotals } from './shared-totals.js';

/**
 * Channel capacity (the call centre's calls a day) across shards, as budgets are
 * (shard-budgets.ts): every shard's contacts of a channel on a day in shared memory
 * (shared-totals.ts), two slots a channel (a day and the one before or after it, by the
 * day's parity: each slot holds its day and the contacts made on it, and the first shard to
 * see a later day takes the slot for it). A decision reserves a contact on every capped
 * channel with room before it reads the channel's use, and gives back what it did not take.
 */

/** The slots: two a channel. */
export const CAPACITY_SLOTS = channels.length * 2;

const channelIndex = new Map<string, number>(channels.map((c, i) => [c, i]));

interface Reserved {
  slot: number;
  day: number;
  /** the contacts made before the reservation (what the decision was shown) */
  before: number;
  /** whether a contact was reserved (the channel had room) */
  held: boolean;
}

export class ShardCapacityLedger extends CapacityLedger {
  private readonly totals: SharedTotals;
  private catalog: Catalog | undefined;
  private readonly reserved = new Map<string, Reserved>();

  /**
   * `owner`: the worker's mark in the lock words (shared-totals.ts). `counted`: an Int32 a
   * shard, set once the shard's stored totals are in the shared memory (a restart adds them once).
   */
  constructor(
    memory: SharedArrayBuffer,
    owner: number,
    private readonly shard: number,
    private readonly counted: Int32Array,
  ) {
    super();
    this.totals = new SharedTotals(memory, CAPACITY_SLOTS, owner);
    (this as { usedOn: (channel: Channel, day: number) => number }).usedOn = (channel, day) => this.shared(channel, day);
  }

  /**
   * The contacts this shard made on each day it still keeps, added to the shared totals once:
   * added, then marked (as the budgets': a shard dying between the two adds them again).
   */
  addOwnTotals(): void {
    if (Atomics.load(this.counted, this.shard) !== 0) return;
    for (const [key, used] of this.counters.all()) {
      const at = key.lastIndexOf('/');
      const slot = this.slotOf(key.slice(0, at), Number(key.slice(at + 1)));
      if (slot === undefined) continue;
      this.totals.locked(slot, (v, i) => {
        const day = Number(key.slice(at + 1));
        if ((v[i] ?? 0) > day) return;
        if ((v[i] ?? 0) < day) {
          v[i] = day;
          v[i + 1] = 0;
        }
        v[i + 1] = (v[i + 1] ?? 0) + used.contacts;
      });
    }
    Atomics.store(this.counted, this.shard, 1);
  }

  override openDecision(catalog: Catalog): void {
    this.catalog = catalog;
    this.reserved.clear();
  }

  override closeDecision(actions: readonly DecisionAction[] | undefined, catalog: Catalog, day: number): void {
    const charges = actions === undefined || actions.length === 0 ? [] : capacityCharges(actions, catalog.policy);
    for (const [channel, r] of this.reserved) {
      let taken = 0;
      for (const c of charges) if (c.channel === channel && r.day === day) taken += c.contacts;
      const held = r.held ? 1 : 0;
      if (taken === held) continue;
      this.totals.locked(r.slot, (v, i) => {
        if (v[i] === r.day) v[i + 1] = (v[i + 1] ?? 0) + taken - held;
      });
    }
    this.reserved.clear();
    this.catalog = undefined;
    // This shard's own contacts, written with its commits.
    if (actions !== undefined && actions.length > 0) this.record(actions, catalog, day);
  }

  private slotOf(channel: string, day: number): number | undefined {
    const c = channelIndex.get(channel);
    return c === undefined || !Number.isSafeInteger(day) ? undefined : c * 2 + (day & 1);
  }

  private shared(channel: Channel, day: number): number {
    const slot = this.slotOf(channel, day);
    if (slot === undefined) return 0;
    const held = this.reserved.get(channel);
    if (held !== undefined && held.day === day) return held.before;
    const perDay = this.catalog?.policy.channelCapacity.get(channel);
    return this.totals.locked(slot, (v, i) => {
      const slotDay = v[i] ?? 0;
      // A day older than the slot's (two days back): only this shard's own count is left of it.
      if (slotDay > day) return this.counters.get(`${channel}/${day}`).contacts;
      if (slotDay < day) {
        v[i] = day;
        v[i + 1] = 0;
      }
      const before = v[i + 1] ?? 0;
      if (perDay === undefined) return before;
      // In a decision: reserve a contact while the channel has room that day.
      const room = before < perDay;
      if (room) v[i + 1] = before + 1;
      this.reserved.set(channel, { slot, day, before, held: room });
      return before;
    });
  }
}
