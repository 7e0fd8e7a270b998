import type { OutboxEntry, ReminderSpec } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import type { Durability } from '../config.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { channelLabel } from '../metrics.js';
import type { CommitBatch, OutboxRecord, ReminderRecord, SharedCharge, Store, StoredSnapshot } from '../store/store.js';
import { reminderKey } from '../store/store.js';
import type { Actors } from './activation.js';
import type { Identities } from './identity.js';
import type { Live, PersistedCustomer, Waiter } from './live-customer.js';
import type { Sharing } from './sharing.js';
import { segmentMoves } from './segment-ledger.js';
import { SNAPSHOT_VERSION } from './snapshot-migrations.js';

/** The most actors one write-behind transaction commits. */
const COMMIT_CHUNK = 500;
/** Commits failed in a row after which the node says it is not ready. */
const FAILING_AFTER = 3;
/** A commit of at most this many snapshots means a light load: the next one starts without a window. */
const COMMIT_AT_ONCE = 2;
/** live customers the store wants written whole that one commit takes at most (`Store.laggingCustomers`) */
const LAGGARDS_PER_COMMIT = 64;

/** A reminder to set or drop, in the order asked for; committed with its customer. */
interface ReminderOp {
  customer: string;
  key: string;
  set?: ReminderRecord;
  remove?: true;
}

export interface WriteBehindOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  sharing: Sharing;
  actors: Actors;
  identities: Identities;
  /** when a reply may go out: after the commit (`commit`), after the flush to disk (`strict`), or at once (`write-behind`) */
  durability: Durability;
  /** group commit: how long the first change waits for others before a commit starts (0: the next turn) */
  commitWindowMs?: number;
  flushIntervalMs: number;
  flushBatch: number;
  /** called with the outbox records of each committed batch */
  onCommitted?: (records: readonly OutboxRecord[]) => void;
  /** reminders whose removal was committed, or will not be: they may fire again if still stored */
  remindersSettled: (keys: Iterable<string>) => void;
}

/**
 * Write-behind with group commit: changed actors, their identity links, outbox entries and
 * reminders are committed together, in transactions of at most COMMIT_CHUNK actors. Replies
 * that wait for durability (`commit`, `strict`) wait here for their actor's version to be
 * committed. A commit the store refuses is split in halves until the one change it cannot
 * take is found and refused alone (`refuse`), while every other change commits; a store
 * that is down is retried whole, with backoff, and after FAILING_AFTER failures in a row the
 * node reports it is failing (`storeFailing`) until a commit or a probe gets through.
 */
export class WriteBehind {
  private readonly dirty = new Set<string>();
  private pendingOutbox: OutboxEntry[] = [];
  /** reminders to set or drop, in the order they were asked for; committed with their customer */
  private pendingReminders: ReminderOp[] = [];
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private commitScheduled = false;
  /** snapshots in the last commit: a light load commits at once, a heavy one waits for the window */
  private lastCommitSize = 0;
  private flushFailures = 0;
  /**
   * The halves of commits the store refused, committed before anything else: a change the
   * store cannot take is found in a few rounds (each failed group split in two) and refused
   * alone (`refuse`), while every other customer's change commits; customers who changed
   * meanwhile wait behind, not mixed into the suspects.
   */
  private suspects: string[][] = [];
  /** commits that failed in a row, refused changes included: readiness reads it (`storeFailing`) */
  private failedInARow = 0;
  private probing = false;
  private closed = false;

  constructor(private readonly o: WriteBehindOptions) {}

  get dirtyCount(): number {
    return this.dirty.size;
  }

  /** The actor changed: its new version is to be written. */
  markDirty(live: Live): void {
    live.version++;
    this.dirty.add(live.id);
    if (this.o.durability !== 'write-behind') {
      // Group commit: replies wait for the commit, so start one at once; changes made while
      // it runs go into the next, which starts as soon as it ends.
      this.scheduleCommit();
      return;
    }
    if (this.dirty.size >= this.o.flushBatch) {
      void this.flush();
    } else if (this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        void this.flush();
      }, this.o.flushIntervalMs);
    }
  }

  /** Outbox entries a step queued, committed with its customer's snapshot. */
  queueOutbox(entries: readonly OutboxEntry[]): void {
    this.pendingOutbox.push(...entries);
  }

  /** Reminders a step set or cancelled, committed with its customer's snapshot. */
  schedule(customer: string, reminders: readonly ReminderSpec[]): void {
    for (const r of reminders) {
      const key = reminderKey(customer, r.name);
      if ('cancel' in r) this.pendingReminders.push({ customer, key, remove: true });
      else {
        const record: ReminderRecord = { key, customer, due: r.due, event: r.event };
        if (r.data !== undefined) record.data = r.data;
        this.pendingReminders.push({ customer, key, set: record });
      }
    }
  }

  /** A fired (or orphaned) reminder is dropped with the customer's next commit. */
  dropReminder(customer: string, key: string): void {
    this.pendingReminders.push({ customer, key, remove: true });
  }

  /** Drops everything not committed of a customer (erased): the change, its outbox entries and reminders. */
  dropCustomer(id: string): void {
    this.dirty.delete(id);
    this.pendingOutbox = this.pendingOutbox.filter((e) => e.customer !== id);
    this.pendingReminders = this.pendingReminders.filter((r) => r.customer !== id);
  }

  /**
   * Undefined when every change of the actor so far is durable enough for the configured
   * mode; else a promise of the commit (or flush) that makes it so. Also covers a repeated
   * request answered from memory before the first answer's commit. Rejected with `conflict`
   * when the change was dropped as stale (another node wrote the customer): decide again.
   */
  committed(live: Live): Promise<void> | undefined {
    if (this.o.durability === 'write-behind' || live.flushed >= live.version) return undefined;
    if (this.o.actors.get(live.id) !== live) return Promise.reject(staleRetry(live.id));
    const version = live.version;
    return new Promise<void>((resolve, reject) => {
      (live.waiters ??= []).push({ version, resolve, reject });
    });
  }

  /**
   * Group commit: under load, the first change after a commit waits `commitWindowMs` for
   * others to join it (a commit has a fixed cost, so one for many changes beats many for one
   * each). Under a light load (the last commit held at most COMMIT_AT_ONCE snapshots) a
   * window would only add its length to every reply, so the commit starts at once.
   */
  scheduleCommit(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    const run = (): void => {
      this.commitScheduled = false;
      this.flush().catch(() => undefined);
    };
    const windowMs = this.lastCommitSize > COMMIT_AT_ONCE ? (this.o.commitWindowMs ?? 0) : 0;
    if (windowMs > 0) setTimeout(run, windowMs);
    else setImmediate(run);
  }

  /**
   * Commits every change made before the call, in transactions of at most COMMIT_CHUNK
   * actors (so encoding a large backlog never stalls the event loop for long; events are
   * served between chunks). Single-flight: concurrent calls queue behind the running one.
   */
  async flush(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    while (
      this.dirty.size > 0 ||
      this.o.identities.pendingCount > 0 ||
      this.pendingOutbox.length > 0 ||
      this.pendingReminders.length > 0 ||
      this.o.sharing.counters.some((c) => c.hasChanges)
    ) {
      this.flushing = this.commitBatch();
      try {
        await this.flushing;
      } finally {
        this.flushing = undefined;
      }
    }
  }

  /** True while commits keep failing (three in a row, refused changes included): the node should take no traffic. */
  storeFailing(): boolean {
    return this.failedInARow >= FAILING_AFTER;
  }

  /**
   * While commits keep failing and none is due, a one-key write (`health/probe`) tells when
   * the store takes writes again: readiness comes back without waiting for traffic, which a
   * node that is not ready does not get.
   */
  probeStore(): void {
    if (!this.storeFailing() || this.probing || this.flushing !== undefined || this.flushTimer !== undefined) return;
    this.probing = true;
    this.o.store
      .commit({ snapshots: [], identities: [], outbox: [], meta: [{ key: 'health/probe', value: this.o.clock.now() }] })
      .then(
        () => {
          this.failedInARow = 0;
          this.o.logger.info('the store takes writes again');
        },
        (err: unknown) => this.o.logger.warn({ err }, 'the store still refuses writes'),
      )
      .finally(() => {
        this.probing = false;
      });
  }

  /** Shutting down: no retries on a timer, no halving; what is left is written by the last flush or not at all. */
  close(): void {
    this.closed = true;
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
  }

  private async commitBatch(): Promise<void> {
    const ids: string[] = [];
    const suspects = this.suspects.shift();
    if (suspects !== undefined) {
      // (a suspect refused meanwhile, or passivated clean, is no longer dirty)
      for (const id of suspects) if (this.dirty.has(id)) ids.push(id);
    } else {
      for (const id of this.dirty) {
        if (ids.length >= COMMIT_CHUNK) break;
        ids.push(id);
      }
    }
    for (const id of ids) this.dirty.delete(id);
    // Identity links and outbox entries go with their customer's snapshot, in one transaction.
    const inChunk = new Set(ids);
    const chunkOf = (customer: string): boolean => inChunk.has(customer) || !this.dirty.has(customer);
    const written: Array<[Live, number, StoredSnapshot]> = [];
    const snapshots: CommitBatch['snapshots'][number][] = [];
    const charges: SharedCharge[] = [];
    const takenCharges = new Map<Live, SharedCharge[]>();
    const takenAfter = new Map<Live, Array<() => void>>();
    const indexing = new Map<Live, Readonly<Record<string, number>>>();
    /** The actor's state into the commit: whole, or (`base`) as what changed since the store last had it. */
    const write = (live: Live, base: StoredSnapshot | undefined): void => {
      const persisted: PersistedCustomer = { value: live.snapshot.value, context: live.snapshot.context };
      // The segment member index moves with the snapshot: what changed since the store last had it.
      const segments = live.indexed === persisted.context.segments ? undefined : segmentMoves(live.indexed ?? {}, persisted.context.segments);
      const value: StoredSnapshot = { v: SNAPSHOT_VERSION, snapshot: persisted };
      snapshots.push({ id: live.id, value, expectRevision: live.rev, ...(segments === undefined ? {} : { segments }), ...(base === undefined ? {} : { base }) });
      indexing.set(live, persisted.context.segments);
      written.push([live, live.version, value]);
    };
    for (const id of ids) {
      const live = this.o.actors.get(id);
      if (live === undefined) continue;
      write(live, live.committed);
      if (live.charges !== undefined) {
        charges.push(...live.charges);
        takenCharges.set(live, live.charges);
        live.charges = undefined;
      }
      if (live.afterCommit !== undefined) {
        takenAfter.set(live, live.afterCommit);
        live.afterCommit = undefined;
      }
    }
    // Live, unchanged customers whose snapshot the store wants whole (change records far
    // behind its log's end): written from memory with this commit, cheaper than the store
    // reading and folding them (docs/runtime.md#change-records).
    for (const id of this.o.store.laggingCustomers?.(LAGGARDS_PER_COMMIT) ?? []) {
      const live = this.o.actors.get(id);
      if (live === undefined || inChunk.has(id) || this.dirty.has(id) || live.flushed !== live.version || live.committed === undefined) continue;
      write(live, undefined);
      inChunk.add(id);
    }
    const links = this.o.identities.linksFor(chunkOf);
    const outbox = this.pendingOutbox.filter((e) => chunkOf(e.customer));
    this.pendingOutbox = this.pendingOutbox.filter((e) => !chunkOf(e.customer));
    const reminderOps = this.pendingReminders.filter((r) => chunkOf(r.customer));
    this.pendingReminders = this.pendingReminders.filter((r) => !chunkOf(r.customer));
    // The last word on each key wins: set, or dropped.
    const lastOp = new Map<string, ReminderOp>();
    for (const op of reminderOps) lastOp.set(op.key, op);
    const reminders = {
      set: [...lastOp.values()].flatMap((op) => (op.set === undefined ? [] : [op.set])),
      remove: [...lastOp.values()].flatMap((op) => (op.set === undefined ? [op.key] : [])),
    };
    // Shared stores: reminders dropped (or outbox entries) without a snapshot come from a state at this revision.
    const expect = (): Array<{ id: string; revision: number }> => {
      const out: Array<{ id: string; revision: number }> = [];
      for (const id of new Set([...reminderOps.map((r) => r.customer), ...outbox.map((e) => e.customer)])) {
        const live = this.o.actors.get(id);
        if (live !== undefined && !inChunk.has(id)) out.push({ id, revision: live.rev });
      }
      return out;
    };
    this.lastCommitSize = snapshots.length;
    const end = this.o.metrics.flushSeconds.startTimer();
    try {
      const { records, stale } = await this.o.sharing.commit(
        { snapshots, identities: links, outbox, reminders, sync: this.o.durability === 'strict' },
        { charges, expect },
      );
      // A stale customer's reminders were not dropped: they fire again (on the fresh state) when their lease ends.
      // A fired reminder set again under its name (the segment timer re-armed) is settled too:
      // the stored one is the new one, due when it says, and must not stay held as firing.
      this.o.remindersSettled([...reminders.remove, ...reminders.set.map((r) => r.key)]);
      for (const id of stale) {
        const live = this.o.actors.get(id);
        if (live !== undefined && !written.some(([w]) => w === live)) this.dropStale(live);
      }
      end();
      this.flushFailures = 0;
      this.failedInARow = 0;
      this.o.identities.committed(links);
      for (const [live, version, value] of written) {
        if (stale.has(live.id)) {
          this.dropStale(live);
          continue;
        }
        live.rev += 1;
        live.committed = value;
        live.indexed = indexing.get(live);
        for (const apply of takenAfter.get(live) ?? []) apply();
        live.flushed = Math.max(live.flushed, version);
        release(live);
      }
      this.o.metrics.flushedSnapshots.inc(snapshots.length);
      for (const r of records) this.o.metrics.outboxQueued.inc({ channel: channelLabel(r.channel) });
      if (records.length > 0) this.o.onCommitted?.(records);
      this.o.actors.passivateIfNeeded();
    } catch (err) {
      end();
      this.failedInARow++;
      this.o.metrics.flushErrors.inc();
      // A store that answers but refuses this commit: find the change it cannot take (halving
      // the batch), refuse that one alone, and commit the rest at once. A store that is down
      // (or refuses a commit with no snapshot in it) is retried whole, with backoff.
      const reachable = this.o.store.coordination.available();
      const alone = reachable && !this.closed && written.length === 1 && ids.length === 1 ? written[0]?.[0] : undefined;
      if (alone !== undefined) {
        this.o.logger.error({ err, customer: alone.id }, "a customer's change cannot be stored; it is refused and the customer reloaded");
      } else if (reachable && !this.closed && ids.length > 1) {
        const half = Math.ceil(ids.length / 2);
        this.suspects.unshift(ids.slice(0, half), ids.slice(half));
        this.o.logger.warn({ err, snapshots: snapshots.length }, 'store commit failed; committing it in halves to find the change the store refuses');
      } else {
        this.flushFailures++;
        this.o.logger.error({ err, snapshots: snapshots.length, attempt: this.flushFailures }, 'store commit failed; will retry');
      }
      // Everything taken for the commit goes back (the counters went back in sharing.commit);
      // a refused customer's part is then dropped by refuse().
      for (const id of ids) this.dirty.add(id);
      for (const [live, taken] of takenCharges) live.charges = [...taken, ...(live.charges ?? [])];
      for (const [live, taken] of takenAfter) live.afterCommit = [...taken, ...(live.afterCommit ?? [])];
      this.pendingOutbox = [...outbox, ...this.pendingOutbox];
      this.pendingReminders = [...reminderOps, ...this.pendingReminders];
      if (alone !== undefined) {
        this.refuse(alone, err);
        return;
      }
      if (this.flushFailures === 0) return; // isolating: the next, smaller commit runs at once
      if (!this.closed && this.flushTimer === undefined) {
        this.flushTimer = setTimeout(
          () => {
            this.flushTimer = undefined;
            void this.flush();
          },
          Math.min(5000, this.o.flushIntervalMs * 2 ** this.flushFailures),
        );
      }
      throw err;
    }
  }

  /**
   * Another node wrote this customer since this actor's state was loaded: forget the actor
   * and everything it queued that is not committed (the store wrote nothing of it), and send
   * the requests waiting for its commit round again: they run on the state reloaded from
   * the store, and only then are they answered.
   */
  private dropStale(live: Live): void {
    this.o.metrics.storeConflicts.inc({ kind: 'refused' });
    for (const w of this.forget(live)) w.reject(staleRetry(live.id));
  }

  /**
   * The store refused this customer's change even alone (it cannot be encoded or written):
   * forget the actor and what it queued (the store keeps the last committed state, which the
   * next message reloads), and answer every request waiting for the commit with an error.
   * Nothing of it was acknowledged, and no other customer waits for it.
   */
  private refuse(live: Live, cause: unknown): void {
    // Its reminders' removals were not stored: they fire again (on the committed state).
    this.o.remindersSettled(this.pendingReminders.filter((r) => r.customer === live.id).map((r) => r.key));
    this.o.identities.dropCustomer(live.id);
    this.o.metrics.refusedChanges.inc();
    const err = new KairosError('internal', `the change to customer "${live.id}" could not be stored; nothing of it was kept`, { cause });
    for (const w of this.forget(live)) w.reject(err);
  }

  /** Drops an actor and everything it queued that is not committed; returns the requests that waited for its commit. */
  private forget(live: Live): Waiter[] {
    this.o.actors.unload(live);
    this.dropCustomer(live.id);
    const waiters = live.waiters ?? [];
    live.waiters = undefined;
    return waiters;
  }
}

/** A request's change was refused by a shared store (stale revision): the host runs it again. */
export function staleRetry(customer: string): KairosError {
  return new KairosError('conflict', `the state of "${customer}" was stale; deciding again`);
}

/** Whether a commit failure means: decide the request again on the fresh state. */
export function isStaleRetry(err: unknown): boolean {
  return err instanceof KairosError && err.code === 'conflict';
}

/** Answers the replies waiting for versions of this actor up to `flushed`. */
function release(live: Live): void {
  const waiters = live.waiters;
  if (waiters === undefined) return;
  const left = waiters.filter((w) => w.version > live.flushed);
  for (const w of waiters) if (w.version <= live.flushed) w.resolve();
  live.waiters = left.length > 0 ? left : undefined;
}
