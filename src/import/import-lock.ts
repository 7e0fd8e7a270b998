import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { KairosError } from '../errors.js';
import type { Coordination } from '../store/coordination.js';
import type { Store } from '../store/store.js';

/**
 * One import run at a time between checking rows and committing them, per store: a row's
 * identifiers are checked against the store and the run's own uncommitted rows, so two runs
 * (two `PUT`s naming one phone, a `PATCH` during an import through the API) checking at once
 * would each find the identifier free and both link it. A run holds its store's lock from its
 * first row to its last commit, and between two batches gives it up to a run waiting for it
 * (its batch in flight committed first), and so does a run waiting for its next rows (a client
 * sending its body slowly), so a long or slow import does not hold a `PUT` back for long.
 *
 * A store several nodes share (Redis) is written by runs on every node, each behind its own
 * process's lock: there the holder of the process lock also holds a lease on the whole store
 * (`ImportLease`), so one run at a time checks and commits across the nodes too; there a
 * request waits `IMPORT_LOCK_WAIT_MS` at most in all (`acquire`) and one change holds the lock
 * `IMPORT_HOLD_MS` at most (`runHeld`), so a node never keeps the others waiting for long.
 * Memory and LMDB stores are written by one process: the process lock alone, as before. A node
 * shutting down ends its turns before its store closes (`close`).
 */
export class ImportLock {
  private held = false;
  private readonly waiting: Waiter[] = [];
  /** the node is shutting down (`close`): no run takes the lock any more */
  private closing = false;
  /** called when the holder gives the lock up and no run waits (`close` waits for it) */
  private onFree: (() => void) | undefined;
  /** the holder's: called when a run starts waiting for the lock (a holder idle for its rows hands it over) */
  onContended: (() => void) | undefined;

  /** `lease`: the store-wide lease of a store several nodes share; none on a single node's store */
  constructor(private readonly lease?: ImportLease) {
    if (lease !== undefined) lease.onWaiter = () => this.onContended?.();
  }

  /**
   * Resolves once the caller holds the lock (and the store's lease, on a shared store). There
   * the wait is bounded from this call on, in this process's queue and for the lease together:
   * a request behind others on this node is answered within the bound too, not after theirs
   * (503 `overloaded` naming the holder). 503 `unavailable` once the node is shutting down.
   */
  async acquire(): Promise<void> {
    if (this.closing) throw shuttingDown();
    const deadline = this.lease === undefined ? Number.POSITIVE_INFINITY : performance.now() + this.lease.waitMs;
    await this.acquireHere(deadline);
    if (this.lease === undefined) return;
    try {
      await this.lease.take(deadline);
    } catch (err) {
      // the next run of this process tries for itself
      this.releaseHere();
      throw err;
    }
  }

  /** Gives the store's lease back (on a shared store), then hands the lock to the first run waiting here, else frees it. */
  async release(): Promise<void> {
    await this.lease?.give();
    this.releaseHere();
  }

  /**
   * `fn` run holding the lock (taken by the caller), the lock given back when it ends. On a
   * shared store one change may hold it `holdMs` at most (`PUT`/`PATCH` stuck on a busy
   * customer would otherwise keep every node's imports waiting): past it the caller is answered
   * 503 `unavailable` and the lease given back at once, so the other nodes go on; `fn` commits
   * nothing more (`check` refuses), and this process's lock stays its own until it ends (two
   * runs here never check at once).
   */
  async runHeld<T>(fn: () => Promise<T>): Promise<T> {
    let ended = false;
    const work = (async () => {
      try {
        return await fn();
      } finally {
        ended = true;
        await this.release();
      }
    })();
    const lease = this.lease;
    if (lease === undefined) return work;
    let timer: NodeJS.Timeout | undefined;
    const capped = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (!ended) void lease.heldTooLong().then(reject);
      }, lease.holdMs);
      timer.unref();
    });
    try {
      return await Promise.race([work, capped]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether a run is waiting for the lock: in this process, or on another node for the store's lease. */
  get contended(): boolean {
    return this.waiting.length > 0 || this.lease?.waiterSeen === true;
  }

  /**
   * Throws (503 `unavailable`) when the store's lease may no longer be this node's: lost to
   * another node, not renewed in time (the node paused, the store unreachable), given back by a
   * change that held it too long (`runHeld`) or as the node shuts down (`close`). Called by the
   * holder before each commit, so rows checked under a lease are never committed under another
   * node's. Nothing on a single node's store.
   */
  check(): void {
    this.lease?.check();
  }

  /**
   * The node shutting down, before its store closes: no run takes the lock any more (503
   * `unavailable`; the runs waiting here are refused at once, nothing of theirs applied), the
   * holder is given `waitMs` to end (its batch in flight committed, its lease given back), then
   * the lease is given back whatever it does and its renewal stopped: the other nodes do not
   * wait for a lease a closed connection can neither renew nor release (up to `IMPORT_LEASE_MS`).
   */
  async close(waitMs = IMPORT_CLOSE_WAIT_MS): Promise<void> {
    this.closing = true;
    this.lease?.stopTaking();
    for (const w of this.waiting.splice(0)) w.refuse(shuttingDown());
    if (this.held) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.onFree = resolve;
        timer = setTimeout(resolve, waitMs);
      });
      clearTimeout(timer);
      this.onFree = undefined;
    }
    await this.lease?.close();
  }

  private acquireHere(deadline: number): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    const got = new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        take: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        refuse: (err) => {
          clearTimeout(waiter.timer);
          reject(err);
        },
      };
      this.waiting.push(waiter);
      if (deadline !== Number.POSITIVE_INFINITY) waiter.timer = setTimeout(() => this.giveUpWaiting(waiter), Math.max(0, deadline - performance.now()));
    });
    this.onContended?.();
    return got;
  }

  /** A waiter past its deadline: out of the queue, refused naming the holder. */
  private giveUpWaiting(waiter: Waiter): void {
    const at = this.waiting.indexOf(waiter);
    if (at < 0) return;
    this.waiting.splice(at, 1);
    void this.lease!.refusal(true).then((err) => waiter.refuse(err));
  }

  private releaseHere(): void {
    const next = this.waiting.shift();
    if (next !== undefined) return next.take();
    this.held = false;
    this.onFree?.();
  }
}

/** A run waiting in a process's queue for the import lock. */
interface Waiter {
  take(): void;
  refuse(err: Error): void;
  /** its deadline (on a shared store) */
  timer?: NodeJS.Timeout;
}

/** The refusal of a run on a node shutting down (`ImportLock.close`). */
function shuttingDown(): KairosError {
  return new KairosError('unavailable', "this node is shutting down: it takes no more turns of the customers' import lock; try again on another node");
}

/** The lease an import run holds on a store several nodes share (`Coordination.claimLease`): one run at a time across the nodes. */
export const IMPORT_LEASE_KEY = 'import';
/**
 * The lease of the one node whose run is next: a node waiting for the import lease holds it
 * (so a holder sees that someone waits, and one giving the lease up between two batches does
 * not take it straight back), and only its holder may take the import lease.
 */
export const IMPORT_NEXT_KEY = 'import.next';
/** How long the import lease lasts unless renewed; its holder renews it every third of it. */
export const IMPORT_LEASE_MS = 15_000;
/** How long a run waits for the import lock, in its node's queue and for the lease together, before it is refused (503 `overloaded`). */
export const IMPORT_LOCK_WAIT_MS = 30_000;
/**
 * How long one `PUT`/`PATCH` may hold the import lock on a shared store (`ImportLock.runHeld`).
 * The same as the wait: a change that waits behind one stuck from before it began gets its turn
 * within its own wait. An import is not capped: it gives the lock up between batches to a run
 * that waits, and one batch (5,000 rows) commits in far less.
 */
export const IMPORT_HOLD_MS = 30_000;
/** How long a node shutting down waits for the run holding its import lock before giving the lease back anyway (`ImportLock.close`). */
export const IMPORT_CLOSE_WAIT_MS = 2_000;
/** How often the holder looks whether a run on another node waits (and renews the lease when due). */
export const IMPORT_WATCH_MS = 100;
/** How long the next turn stays a waiting node's after its last try (it tries every 100 ms at most): a node gone lets the others in after it. */
const NEXT_TURN_MS = 2_000;
const FIRST_PAUSE_MS = 5;
const MAX_PAUSE_MS = 100;

export interface ImportLeaseOptions {
  /** names this node in the lease's owner (KAIROS_NODE_ID; else host and pid) */
  node?: string;
  /** IMPORT_LEASE_MS */
  leaseMs?: number;
  /** IMPORT_LOCK_WAIT_MS */
  waitMs?: number;
  /** IMPORT_HOLD_MS */
  holdMs?: number;
  /** IMPORT_WATCH_MS */
  watchMs?: number;
}

/**
 * This node's hold on the import lease of a shared store. Taken by polling with a short backoff
 * (a bounded wait); renewed while held by a timer, which also looks at the next turn's lease to
 * tell the holder a run on another node waits (`onWaiter`: between two batches, or while waiting
 * for its rows, the holder gives the lease up and queues again behind that run); given back at
 * the end. A holder that did not renew it in time (paused past its end) counts it lost, even if
 * no one took it: another node may have checked and committed meanwhile.
 */
export class ImportLease {
  /** a run on another node waits for the lease (seen by the timer since it was taken) */
  waiterSeen = false;
  onWaiter: (() => void) | undefined;
  readonly owner: string;
  /** how long a run waits for the lock (IMPORT_LOCK_WAIT_MS) */
  readonly waitMs: number;
  /** how long one change may hold it (IMPORT_HOLD_MS) */
  readonly holdMs: number;
  private readonly leaseMs: number;
  private readonly watchMs: number;
  /** while held: the monotonic time until which the lease is this node's for sure (from before the claim that took or renewed it) */
  private validUntil = Number.NEGATIVE_INFINITY;
  private renewedAt = 0;
  /** why the lease is no longer this node's, once known */
  private lost: string | undefined;
  private watch: NodeJS.Timeout | undefined;
  /** one number per hold: a timer's step that ends after the hold is not applied to the next */
  private hold = 0;
  private ticking = false;
  /** the node is shutting down: the lease is not taken any more */
  private closing = false;

  constructor(
    private readonly c: Coordination,
    o: ImportLeaseOptions = {},
  ) {
    this.owner = `${o.node ?? `${hostname()}-${process.pid}`}/${randomUUID().slice(0, 8)}`;
    this.leaseMs = o.leaseMs ?? IMPORT_LEASE_MS;
    this.waitMs = o.waitMs ?? IMPORT_LOCK_WAIT_MS;
    this.holdMs = o.holdMs ?? IMPORT_HOLD_MS;
    this.watchMs = o.watchMs ?? IMPORT_WATCH_MS;
  }

  /** Takes the lease, waiting for it until `deadline` (monotonic: the run's bound, `ImportLock.acquire`): else 503 `overloaded` naming its holder. */
  async take(deadline: number): Promise<void> {
    let pause = FIRST_PAUSE_MS;
    let next = false;
    try {
      for (;;) {
        if (this.closing) throw shuttingDown();
        const asked = performance.now();
        // the turn after the holder's is one waiting node's: this one's, or free to take
        next = await this.c.claimLease(IMPORT_NEXT_KEY, this.owner, NEXT_TURN_MS);
        if (next && (await this.c.claimLease(IMPORT_LEASE_KEY, this.owner, this.leaseMs))) return await this.start(asked);
        if (performance.now() >= deadline) throw await this.refusal();
        await sleep(pause);
        pause = Math.min(pause * 2, MAX_PAUSE_MS);
      }
    } finally {
      if (next) await this.c.releaseLease(IMPORT_NEXT_KEY, this.owner).catch(() => undefined);
    }
  }

  /** Stops renewing and gives the lease back (if the store is unreachable, it runs out by itself). */
  async give(): Promise<void> {
    this.stop();
    await this.c.releaseLease(IMPORT_LEASE_KEY, this.owner).catch(() => undefined);
  }

  /**
   * Gives the lease back before its run has ended: a change held it past `holdMs`. It counts as
   * lost, so the run's later commits are refused (`check`) until a run takes it again, which
   * in this process is only after that one ends. Answers the change's refusal.
   */
  async heldTooLong(): Promise<KairosError> {
    this.stop(`given back after ${this.holdMs} ms held by one change`);
    await this.c.releaseLease(IMPORT_LEASE_KEY, this.owner).catch(() => undefined);
    return new KairosError(
      'unavailable',
      `this change held the customers' import lock for more than ${this.holdMs} ms (the customer slow to answer): the lock is given back to the other runs; the change is not applied if its row was not written yet, else it is told to the customer and audited when the customer answers: read the customer before trying again`,
    );
  }

  /** The node shutting down: no run takes the lease any more (`take` refuses, 503 `unavailable`). */
  stopTaking(): void {
    this.closing = true;
  }

  /** The node shutting down, after its holder had its time: the lease given back and its renewal stopped, whatever the holder still does (its commits refused). */
  async close(): Promise<void> {
    this.closing = true;
    const holding = this.watch !== undefined;
    this.stop('this node is shutting down');
    // a node that holds no lease asks nothing of the store (it may be out of reach as the node stops)
    if (holding) await this.c.releaseLease(IMPORT_LEASE_KEY, this.owner).catch(() => undefined);
  }

  /** See ImportLock.check: a third of the lease left at least, so a commit starting now ends within it. */
  check(): void {
    const left = this.validUntil - performance.now();
    if (this.lost === undefined && left > this.leaseMs / 3) return;
    const why = this.lost ?? (left <= 0 ? `not renewed within its ${this.leaseMs} ms` : 'not renewed in time');
    throw new KairosError('unavailable', `this node no longer holds the customers' import lock across nodes (${why}): the rows checked under it are not committed (the batches before are); try again`);
  }

  /** The lease taken (`asked`: when its claim was sent); renewed from now on, unless the node began shutting down meanwhile (then given back at once). */
  private async start(asked: number): Promise<void> {
    if (this.closing) {
      await this.c.releaseLease(IMPORT_LEASE_KEY, this.owner).catch(() => undefined);
      throw shuttingDown();
    }
    this.hold++;
    this.validUntil = asked + this.leaseMs;
    this.renewedAt = asked;
    this.lost = undefined;
    this.waiterSeen = false;
    this.watch = setInterval(() => void this.tick(this.hold), this.watchMs);
    this.watch.unref();
  }

  /** No more renewal; the hold ended, so a renewal in flight is not applied to the next. `lost`: why its run may no longer commit, if it goes on. */
  private stop(lost?: string): void {
    clearInterval(this.watch);
    this.watch = undefined;
    this.hold++;
    this.validUntil = Number.NEGATIVE_INFINITY;
    if (lost !== undefined) this.lost = lost;
  }

  /** The timer's step: the lease renewed when a third of it has passed, then a run waiting on another node told to the holder. */
  private async tick(hold: number): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      if (performance.now() - this.renewedAt >= this.leaseMs / 3) await this.renew(hold);
      const next = await this.c.leaseHolder(IMPORT_NEXT_KEY);
      if (hold !== this.hold || next === undefined || next === this.owner) return;
      this.waiterSeen = true;
      this.onWaiter?.();
    } catch {
      // the store unreachable: the lease runs out unless renewed in time, which `check` tells
    } finally {
      this.ticking = false;
    }
  }

  private async renew(hold: number): Promise<void> {
    // lost stays lost (not taken back unseen when the other node is done): the run fails at its next commit
    if (this.lost !== undefined || hold !== this.hold) return;
    const asked = performance.now();
    // past its end the lease may have been another node's meanwhile (this one paused): lost, though it may be free again now
    if (asked >= this.validUntil) {
      this.lost ??= `not renewed within its ${this.leaseMs} ms (the node paused or the store unreachable)`;
      return;
    }
    const kept = await this.c.claimLease(IMPORT_LEASE_KEY, this.owner, this.leaseMs);
    if (hold !== this.hold) return;
    if (kept) {
      this.validUntil = asked + this.leaseMs;
      this.renewedAt = asked;
    } else {
      const holder = await this.c.leaseHolder(IMPORT_LEASE_KEY);
      // read first, then set only if still this hold's (the hold may have ended during the read)
      if (hold === this.hold) this.lost ??= `taken by ${holder ?? 'another node'}`;
    }
  }

  /**
   * The refusal of a run that waited too long, naming who holds the lease (or the next turn)
   * now: another node, else, for a run still in its node's queue (`queued`), this node.
   */
  async refusal(queued = false): Promise<KairosError> {
    const holder = (await this.c.leaseHolder(IMPORT_LEASE_KEY).catch(() => undefined)) ?? (await this.c.leaseHolder(IMPORT_NEXT_KEY).catch(() => undefined));
    const here = holder === this.owner || (holder === undefined && queued);
    const who = here ? `another run on this node (${this.owner})` : `another node (${holder ?? 'not known'})`;
    return new KairosError('overloaded', `the customers' import lock is held by ${who} for more than ${this.waitMs} ms: retry later`);
  }
}

const locks = new WeakMap<Store, ImportLock>();

/**
 * Runs `fn` holding `store`'s import lock, for a change that must be one step with what it
 * reads and writes around its import run: `PUT`/`PATCH /v1/customers/{id}` apply the row, read
 * the record and the customer's state, tell the state and write the audit entry in one turn,
 * so two of them on one customer are applied, told and audited in one order (the run inside
 * is given `lockHeld`: it neither takes the lock again nor hands it over).
 */
export async function withImportLock<T>(store: Store, fn: () => Promise<T>): Promise<T> {
  const lock = importLockOf(store);
  await lock.acquire();
  // on a shared store for `IMPORT_HOLD_MS` at most (`runHeld`)
  return lock.runHeld(fn);
}

/**
 * The import lock of `store` (one for every run on that store object in this process), with a
 * store-wide lease when the store is shared by several nodes. `options` (the node's name,
 * shorter times in tests) apply when the lock is made, at the first call for the store: the
 * server makes it as it starts.
 */
export function importLockOf(store: Store, options?: ImportLeaseOptions): ImportLock {
  let lock = locks.get(store);
  if (lock === undefined) locks.set(store, (lock = new ImportLock(store.coordination.shared ? new ImportLease(store.coordination, options) : undefined)));
  return lock;
}
