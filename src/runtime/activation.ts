import { getHeapStatistics } from 'node:v8';
import type { CustomerInput, CustomerSnapshot, CustomerStepper } from '../../actors/index.js';
import { withSharedNoActions } from '../../actors/index.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import type { Identities } from './identity.js';
import type { Live, PersistedCustomer } from './live-customer.js';
import type { Sharing } from './sharing.js';
import { SNAPSHOT_VERSION, migrateSnapshot } from './snapshot-migrations.js';
import { importedProfile } from '../import/imported-profile.js';
import { StringPool } from './string-pool.js';
import { WorkClock } from './work-clock.js';

export interface ActorsOptions {
  store: Store;
  stepper: CustomerStepper;
  metrics: Metrics;
  sharing: Sharing;
  identities: () => Identities;
  maxHotActors: number;
  /** a live actor untouched this long is released at the next sweep (0: never for idleness) */
  passivateAfterMs?: number;
  /** past this much V8 heap in use, each sweep releases the least recently used tenth of the clean actors (0: no bound) */
  maxHeapBytes?: number;
  /** whether jobs are queued for a customer (an actor with work queued is not released) */
  busy: (id: string) => boolean;
  /** a customer created on first sight is activated: its first state is to be written */
  created: (live: Live) => void;
  /** the time idleness is measured in (performance.now() by default; a test moves its own) */
  monotonicNow?: () => number;
}

/**
 * The live actors: activation from the store on first use (a snapshot, else the bank's
 * master data, else a customer created on first sight), and passivation: past the hot-actor
 * bound (least recently used first), when idle, and while the heap is past its bound. The
 * map is kept in least-recently-used order. Only an actor whose state is written and that
 * nothing waits for is released.
 */
export class Actors {
  private readonly hot = new Map<string, Live>();
  /** one copy of the short strings the customers read from the store share */
  private readonly strings = new StringPool();
  private readonly now: () => number;

  constructor(private readonly o: ActorsOptions) {
    this.now = o.monotonicNow ?? (() => performance.now());
  }

  get size(): number {
    return this.hot.size;
  }

  get(id: string): Live | undefined {
    return this.hot.get(id);
  }

  has(id: string): boolean {
    return this.hot.has(id);
  }

  values(): IterableIterator<Live> {
    return this.hot.values();
  }

  /**
   * The customer's live actor, activated if need be. On a shared store another node may
   * have written the customer since: a clean copy that is behind is dropped and read again
   * (one with changes in flight is refused at its commit, and its requests decided again).
   */
  async liveFor(id: string): Promise<Live | undefined> {
    const live = this.hot.get(id);
    if (live === undefined) return this.activate(id);
    if (live.flushed !== live.version || live.waiters !== undefined) return live;
    const reading = this.o.sharing.revision(id);
    if (reading === undefined) return live;
    const rev = await reading;
    const now = this.hot.get(id);
    if (now !== live || rev === live.rev || live.flushed !== live.version) return now ?? this.activate(id);
    this.unload(live);
    this.o.metrics.storeConflicts.inc({ kind: 'reloaded' });
    return this.activate(id);
  }

  /** Lets the store bring a customer's records into memory off the event loop (LMDB), timed. */
  async prefetch(id: string): Promise<void> {
    if (this.o.store.prefetchCustomer === undefined) return;
    const started = performance.now();
    if (await this.o.store.prefetchCustomer(id)) this.o.metrics.prefetchSeconds.observe((performance.now() - started) / 1000);
  }

  private async activate(id: string): Promise<Live | undefined> {
    await this.prefetch(id);
    // From here the event loop's own work: reading the pages now in memory, migrating, building.
    // An in-process store answers at once, but each `await` still lets every microtask queued
    // before it run first (under load, a whole commit's replies): that wait is not counted. A
    // networked store's round trip is part of activating, and is.
    const clock = new WorkClock(this.o.sharing.waitsCount);
    let snapshot: CustomerSnapshot;
    let created = false;
    // (Paused and resumed here, around the bare `await`: a helper awaiting for us would resume
    // the clock a microtask before we do, and count what runs in between.)
    // On a shared store the revision comes with the snapshot, in one read: without a snapshot
    // it is not always 0 (an id erased and created again keeps counting, docs/privacy.md#redis).
    const sharedReading = this.o.sharing.readSnapshot(id);
    const reading = sharedReading === undefined ? this.o.store.getSnapshot(id) : undefined;
    clock.pause();
    const read = sharedReading === undefined ? { snapshot: await reading, rev: 0 } : await sharedReading;
    clock.resume();
    const stored = read.snapshot;
    const identities = this.o.identities();
    if (stored !== undefined) {
      const persisted = migrateSnapshot(stored) as PersistedCustomer;
      // Silent decisions as the one shared NO_ACTIONS, as the brain records them (~2 KB less a
      // live customer), and the strings customers share as one copy each.
      snapshot = this.o.stepper.restore(persisted.value, this.strings.context(withSharedNoActions(persisted.context)));
      this.o.metrics.activations.inc({ source: 'snapshot' });
    } else {
      const recordReading = this.o.store.getCustomer(id);
      clock.pause();
      const record = await recordReading;
      clock.resume();
      const creation = identities.creation(id);
      let input: CustomerInput;
      if (record !== undefined) {
        input = { id, stage: record.stage, profile: this.strings.profile(importedProfile(record)), identifiers: record.identifiers, at: record.importedAt, reason: 'import' };
        if (record.consents !== undefined) input.consents = this.strings.consents(record.consents);
        this.o.metrics.activations.inc({ source: 'profile' });
      } else if (creation !== undefined) {
        input = creation;
        created = true;
        this.o.metrics.activations.inc({ source: 'new' });
      } else {
        return undefined;
      }
      snapshot = this.o.stepper.create(input);
    }
    identities.activated(id);
    const live: Live = { id, snapshot, version: 0, flushed: 0, rev: stored?.rev ?? read.rev, indexed: stored === undefined ? {} : snapshot.context.segments, lastExplain: [], touchedAt: this.now() };
    // The base of its first change record (docs/runtime.md#change-records): what was read, when
    // restoring it changed nothing but how it is held (shared strings, the shared NO_ACTIONS);
    // a migrated snapshot is written whole first.
    if (stored !== undefined && stored.v === SNAPSHOT_VERSION) live.committed = { v: stored.v, snapshot: { value: (stored.snapshot as PersistedCustomer).value, context: snapshot.context } };
    this.o.metrics.activationSeconds.observe({ source: stored !== undefined ? 'snapshot' : created ? 'new' : 'profile' }, clock.stop() / 1000);
    this.hot.set(id, live);
    if (created) this.o.created(live);
    this.passivateIfNeeded();
    return live;
  }

  /** Moves the actor to the most-recently-used end. */
  touch(live: Live): void {
    live.touchedAt = this.now();
    this.hot.delete(live.id);
    this.hot.set(live.id, live);
  }

  /** Drops an actor from memory, with the identifiers remembered for it. */
  unload(live: Live): void {
    if (this.hot.get(live.id) === live) this.hot.delete(live.id);
    this.o.identities().released(live);
  }

  /** Drops every actor (shutdown). */
  clear(): void {
    this.hot.clear();
    this.o.identities().clear();
  }

  /** Whether an actor can be released now: its state is written and nothing waits for it. */
  private releasable(live: Live): boolean {
    return live.version === live.flushed && !this.o.busy(live.id) && live.waiters === undefined;
  }

  private passivate(live: Live, reason: 'lru' | 'idle' | 'memory'): void {
    this.unload(live);
    this.o.metrics.passivations.inc({ reason });
  }

  /**
   * Releases actors idle for longer than `passivateAfterMs`, and, while the V8 heap in use is
   * past `maxHeapBytes`, the least recently used tenth of the releasable ones. The hot map is
   * in least-recently-used order, so the scan stops at the first actor that is neither.
   * Returns how many were released.
   */
  sweep(): number {
    const idleMs = this.o.passivateAfterMs ?? 0;
    const idleBefore = idleMs > 0 ? this.now() - idleMs : -Infinity;
    const maxHeap = this.o.maxHeapBytes ?? 0;
    let toFree = maxHeap > 0 && getHeapStatistics().used_heap_size > maxHeap ? Math.ceil(this.hot.size / 10) : 0;
    let released = 0;
    for (const live of this.hot.values()) {
      const idle = live.touchedAt < idleBefore;
      if (!idle && toFree <= 0) break;
      if (!this.releasable(live)) continue;
      this.passivate(live, idle ? 'idle' : 'memory');
      toFree--;
      released++;
    }
    return released;
  }

  /** Releases least-recently-used actors past the bound, if their state is written and nothing waits for them. */
  passivateIfNeeded(): void {
    let excess = this.hot.size - this.o.maxHotActors;
    if (excess <= 0) return;
    for (const live of this.hot.values()) {
      if (excess <= 0) break;
      if (!this.releasable(live)) continue;
      this.passivate(live, 'lru');
      excess--;
    }
  }
}
