import type { Catalog, DecisionAction } from '../../actors/index.js';
import { capacityDay } from '../../actors/index.js';
import type { SharedCoordination } from '../store/coordination.js';
import type { CommitBatch, OutboxRecord, SharedCharge, StoredSnapshot } from '../store/store.js';
import { StaleSnapshotError } from '../store/store.js';
import type { Live } from './live-customer.js';
import type { HostOptions } from './host-options.js';
import type { MetaCounters } from './meta-counters.js';

/**
 * What the host does differently when it is one of several nodes sharing a store, chosen
 * once at construction from the store's `coordination`: `singleNodeSharing` (this node
 * writes the store alone: no revisions, totals are this node's, stepped at once) or
 * `sharedNodes` (revisions checked, budgets and capacity reserved with each commit, totals
 * summed across nodes, effects on the totals applied once the commit is in).
 */
export interface Sharing {
  /** a live actor may be stepped at once, in the turn its message arrives (no revision to check, no stop list to refresh) */
  readonly immediate: boolean;
  /** identifiers the store resolved may be remembered while their customer is live (nobody else links them) */
  readonly remembersIdentities: boolean;
  /** a store read during activation is a network round trip: part of the activation's work */
  readonly waitsCount: boolean;
  /** the totals across customers this node commits (values on one node, sums' deltas on a shared store) */
  readonly counters: ReadonlyArray<MetaCounters<object>>;
  /**
   * Runs `apply(a, b)` now, or once the actor's change is committed (a decision refused at its
   * commit is made again). (Arguments, not a closure: nothing is allocated on a single node.)
   */
  afterCommit<A, B>(live: Live, apply: (a: A, b: B) => void, a: A, b: B): void;
  /** What a decision's contacts spend of totals shared across nodes, reserved with the actor's next commit. */
  charge(live: Live, actions: readonly DecisionAction[], catalog: Catalog, day: number): void;
  /** Before a reminder poll: the totals and counters other nodes moved meanwhile. */
  beforePoll(): Promise<void>;
  /** Before an event is decided: the stop list as any node changed it (undefined: nothing to wait for). */
  beforeEvent(): Promise<void> | undefined;
  /** The store's revision of a customer now, to tell a stale clean copy (undefined: no other writer). */
  revision(id: string): Promise<number> | undefined;
  /**
   * A customer's snapshot with the revision their state must name at its commit, read at once
   * (undefined: no other writer; the store's `getSnapshot`, revision 0 without a snapshot).
   */
  readSnapshot(id: string): Promise<{ snapshot: StoredSnapshot | undefined; rev: number }> | undefined;
  /** Commits a batch with the totals across customers; `stale` names the customers another node wrote first. */
  commit(batch: CommitBatch, parts: SharedParts): Promise<Committed>;
}

/** What a batch carries for a shared store, gathered from the actors in it. */
export interface SharedParts {
  charges: readonly SharedCharge[];
  /** customers whose reminders or outbox entries go without their snapshot, at their revision */
  expect: () => Array<{ id: string; revision: number }>;
}

export interface Committed {
  records: readonly OutboxRecord[];
  stale: ReadonlySet<string>;
}

/** What sharing reads of the host's options, and every total across customers the host keeps (budgets and capacity first, see `counters`). */
export type SharingOptions = Pick<HostOptions, 'store' | 'catalog' | 'clock' | 'logger' | 'metrics' | 'stopList' | 'ledger' | 'capacity'> & {
  counters: ReadonlyArray<MetaCounters<object>>;
};

const NOTHING_STALE: ReadonlySet<string> = new Set();

/** This node writes the store alone: totals are its own, written as values with each commit. */
export function singleNodeSharing(o: SharingOptions): Sharing {
  return {
    immediate: true,
    remembersIdentities: true,
    waitsCount: false,
    counters: o.counters,
    afterCommit: (_live, apply, a, b) => apply(a, b),
    charge: () => undefined,
    beforePoll: () => Promise.resolve(),
    beforeEvent: () => undefined,
    revision: () => undefined,
    readSnapshot: () => undefined,
    async commit(batch) {
      const meta = o.counters.flatMap((c) => c.drain());
      try {
        const records = await o.store.commit({ ...batch, meta: [...(batch.meta ?? []), ...meta] });
        return { records, stale: NOTHING_STALE };
      } catch (err) {
        for (const c of o.counters) c.restore(meta);
        throw err;
      }
    },
  };
}

/** Several nodes share the store (its coordination is `shared`). */
export function sharedNodes(o: SharingOptions, coordination: SharedCoordination): Sharing {
  // Budgets and capacity are reserved with each commit (SharedCharge), not written as this node's totals.
  const counters = o.counters.filter((c) => c !== o.ledger.counters && c !== o.capacity?.counters);

  /** Takes the budgets' and channel capacities' totals as every node has spent them (the keys given, and all of the catalog's). */
  async function refreshTotals(keys: readonly string[] = []): Promise<void> {
    const catalog = o.catalog();
    const day = capacityDay(catalog.policy, o.clock.now());
    const all = new Set([...keys, ...o.ledger.sharedKeys(catalog), ...(o.capacity?.sharedKeys(catalog, day) ?? [])]);
    if (all.size === 0) return;
    const totals = await coordination.sharedTotals([...all]);
    for (const [key, t] of totals) {
      if (key.startsWith('budget/')) o.ledger.counters.assign(key.slice('budget/'.length), { contacts: t.contacts, cost: t.cost });
      else if (key.startsWith('capacity/')) o.capacity?.counters.assign(key.slice('capacity/'.length), { contacts: t.contacts });
    }
  }

  return {
    immediate: false,
    remembersIdentities: false,
    waitsCount: true,
    counters,
    afterCommit: (live, apply, a, b) => {
      (live.afterCommit ??= []).push(() => apply(a, b));
    },
    charge(live, actions, catalog, day) {
      if (actions.length === 0) return;
      const charges = [...o.ledger.charges(live.id, actions, catalog), ...(o.capacity?.charges(live.id, actions, catalog, day) ?? [])];
      if (charges.length > 0) live.charges = [...(live.charges ?? []), ...charges];
    },
    async beforePoll() {
      await refreshTotals();
      // The statistics across customers as all nodes have summed them (read every poll, not per commit).
      for (const c of counters) c.merge(await coordination.readCounters(c.prefix));
    },
    beforeEvent: () => o.stopList.refresh(),
    revision: (id) => coordination.snapshotRevision(id),
    readSnapshot: (id) => coordination.readSnapshot(id),
    async commit(batch, parts) {
      // What changed here, added to the sums of all nodes.
      const deltas = counters.flatMap((c) => c.drainDeltas());
      let records: readonly OutboxRecord[];
      let stale: ReadonlySet<string> = NOTHING_STALE;
      try {
        records = await coordination.commit({ ...batch, expect: parts.expect(), charges: parts.charges, counters: deltas });
      } catch (err) {
        // Some snapshots were refused: another node wrote them. The rest landed.
        if (!(err instanceof StaleSnapshotError)) {
          for (const c of counters) c.restoreDeltas(deltas);
          throw err;
        }
        records = err.committed;
        stale = new Set(err.stale.map((x) => x.customer));
      }
      // Budgets and capacity as all nodes spent them, before any refused request is decided again.
      if (parts.charges.length > 0 || stale.size > 0) {
        try {
          await refreshTotals(parts.charges.map((c) => c.key));
        } catch (err) {
          o.logger.warn({ err }, 'reading the shared totals after a commit failed; the next poll reads them');
        }
      }
      return { records, stale };
    },
  };
}
