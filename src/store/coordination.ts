import type { CommitBatch, OutboxRecord, ReminderRecord, SharedCharge, Store, StoredSnapshot } from './store.js';

/**
 * What a store does for several nodes sharing it, apart from storing: claims (a reminder or
 * an outbox entry goes to one node), revisions (a node's stale copy of a customer is
 * refused), totals shared across nodes (budgets, capacity, counters), and whether the
 * connection is up. Every store has one, chosen when it is made (`Store.coordination`): a
 * shared backend (Redis) its `SharedCoordination`, a single-node one (memory, LMDB)
 * `singleNode(store)`, whose claims are the plain reads and where nothing else applies.
 * Callers that differ between the two (the host, the counters) choose once, on `shared`.
 */

interface Claims {
  /**
   * Due reminders for this node, earliest first: on a shared store claimed for `leaseMs` (no
   * other node gets them meanwhile; after the lease they are due again unless a commit
   * dropped them); on a single node simply the due ones.
   */
  claimReminders(until: number, limit: number, leaseMs: number): Promise<ReminderRecord[]>;
  /**
   * A channel's entries for this node's dispatcher (`consumer`), dead letters left out (any
   * number of them do not keep a live entry waiting): on a shared store its own pending ones,
   * a dead node's idle past `minIdleMs`, then new ones (a dead letter leaves the shared queue
   * it is claimed from: src/store/redis-outbox.ts); on a single node the channel's live
   * entries in queue order (`listOutbox`, paged past dead letters; `singleNode`).
   */
  claimOutbox(channel: string, consumer: string, limit: number, minIdleMs: number): Promise<OutboxRecord[]>;
  /** false while a networked store's connection is down (readiness, error replies); always true on a single node */
  available(): boolean;
  /** a number that changes with every change to the stop list, from any node (a single node: constant, its own list is the only one) */
  stopListVersion(): Promise<number>;
  /**
   * A lease on `key` for `owner` (one piece of work, such as a slice of an outbound run, done
   * by one node at a time): true when `owner` holds it now for `ttlMs` more, taken free or
   * renewed; false while another owner holds it. A single node: always true.
   */
  claimLease(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives a lease back if `owner` holds it (the work is done or stopped). */
  releaseLease(key: string, owner: string): Promise<void>;
  /** Who holds the lease on `key` now (to name them, or to see that someone waits); undefined when free. A single node: always undefined. */
  leaseHolder(key: string): Promise<string | undefined>;
}

/** A single-node store: nobody else writes it. */
export interface SingleNodeCoordination extends Claims {
  readonly shared: false;
}

/** A commit to a shared store: the batch, and what it must check and add across nodes. */
export interface SharedCommitBatch extends CommitBatch {
  /**
   * customers whose part of the batch (reminders dropped, outbox entries) comes without a
   * snapshot but from a state at this revision; refused like a stale snapshot
   */
  expect?: ReadonlyArray<{ id: string; revision: number }>;
  /**
   * what the customers' new contacts spend of totals shared across customers (campaign
   * budgets, channel capacity), reserved atomically against their limits before the
   * customer's part is written; a customer whose charge would pass a limit is refused like a
   * stale snapshot
   */
  charges?: readonly SharedCharge[];
  /** numbers to add to totals kept as sums across nodes (meta counters), by key and path */
  counters?: ReadonlyArray<{ key: string; delta: Readonly<Record<string, number>> }>;
}

/** A store several nodes share (Redis). */
export interface SharedCoordination extends Claims {
  readonly shared: true;
  /**
   * The store's commit with the checks and sums across nodes: throws StaleSnapshotError
   * naming the customers refused (a stale revision, a charge past a limit) after writing
   * everything else.
   */
  commit(batch: SharedCommitBatch): Promise<OutboxRecord[]>;
  /**
   * the store's revision of a customer now, to tell a stale copy: their snapshot's; without
   * one, what an erasure left (its tombstone's, kept when the id is created again), else 0
   * with master data, else -1 (nothing held: any copy is stale)
   */
  snapshotRevision(id: string): Promise<number>;
  /**
   * A customer's snapshot and the revision a commit of their state must name, in one read:
   * the snapshot's, or without one, 0, or past an erasure (docs/privacy.md#redis) its
   * tombstone's (a customer created again after an erasure keeps counting, so a copy from
   * before it is refused).
   */
  readSnapshot(id: string): Promise<{ snapshot: StoredSnapshot | undefined; rev: number }>;
  /** the sums of the counters whose key starts with `prefix` (see SharedCommitBatch.counters) */
  readCounters(prefix: string): Promise<Array<{ key: string; value: Record<string, number> }>>;
  /**
   * The send-time claim (src/delivery/send-check.ts): true (the send may start) only if, in
   * one step, the customer's snapshot is still at `revision` (no node committed a change to
   * it, a consent revoked, since it was read) and none of `stopKeys` (`StopList.keyOf` of the
   * customer and the address) was added to the stop list after version `stopVersion`.
   */
  claimSend(customer: string, revision: number, stopVersion: number, stopKeys: readonly string[]): Promise<boolean>;
  /** the current totals of these shared keys (see SharedCharge) */
  sharedTotals(keys: readonly string[]): Promise<Map<string, { contacts: number; cost: number }>>;
}

export type Coordination = SingleNodeCoordination | SharedCoordination;

/**
 * How many dead letters one single-node claim reads past at most before it answers what it
 * found: the next claim goes on after them, and one after that which reaches the queue's end
 * starts from its head again. So live entries behind any number of dead letters are reached,
 * and a pass costs at most this many records more than it claims.
 */
export const DEAD_LETTERS_PER_CLAIM = 10_000;

/**
 * A channel's live entries in queue order, at most `limit`, paged past dead letters (which
 * keep their place in the queue until retried or removed) from `after` (the queue's head when
 * undefined); `next`: where the following claim goes on (undefined: from the head), set when
 * `DEAD_LETTERS_PER_CLAIM` dead letters were read past.
 */
async function liveOutbox(store: Pick<Store, 'listOutbox'>, channel: string, limit: number, after: number | undefined): Promise<{ live: OutboxRecord[]; next?: number }> {
  const live: OutboxRecord[] = [];
  let dead = 0;
  let cursor = after;
  for (;;) {
    const page = await store.listOutbox(channel, limit, cursor);
    for (const r of page) {
      if (r.dead === true) dead++;
      else if (live.length < limit) live.push(r);
    }
    const last = page.at(-1);
    if (live.length >= limit || page.length < limit || last === undefined) return { live };
    cursor = last.seq;
    if (dead >= DEAD_LETTERS_PER_CLAIM) return { live, next: cursor };
  }
}

/** The coordination of a store only this node writes: claims are plain reads (the outbox's paged past dead letters). */
export function singleNode(store: Pick<Store, 'dueReminders' | 'listOutbox'>): SingleNodeCoordination {
  /** per channel, where the next outbox claim goes on after a claim stopped among many dead letters */
  const resume = new Map<string, number>();
  return {
    shared: false,
    claimReminders: (until, limit) => store.dueReminders(until, limit),
    claimOutbox: async (channel, _consumer, limit) => {
      const { live, next } = await liveOutbox(store, channel, limit, resume.get(channel));
      if (next === undefined) resume.delete(channel);
      else resume.set(channel, next);
      return live;
    },
    available: () => true,
    stopListVersion: () => Promise.resolve(0),
    claimLease: () => Promise.resolve(true),
    releaseLease: () => Promise.resolve(),
    leaseHolder: () => Promise.resolve(undefined),
  };
}

