/**
 * Totals every shard reads and changes (campaign budgets, channel capacity): slots in a
 * `SharedArrayBuffer` the main thread makes, each a lock word and two numbers, changed only
 * under the slot's lock. The lock word holds its holder (a number the router gives each worker
 * it starts), so the main thread can release a lock whose worker ended while holding it
 * (`releaseHeldBy`); a shard
 * spins a while on `Atomics.compareExchange` (a lock is held for a few instructions), then
 * sleeps on `Atomics.wait` until the holder's release wakes it (the holder may have lost its
 * core). The lock's atomic operations order the numbers' plain reads and writes between
 * threads.
 */

/** Bytes of the lock words (Int32, one a slot), padded to the Float64 pairs after them. */
function lockBytes(slots: number): number {
  return slots * 4 + (slots % 2) * 4;
}

/** The memory of `slots` slots. */
export function sharedTotalsMemory(slots: number): SharedArrayBuffer {
  return new SharedArrayBuffer(lockBytes(slots) + slots * 16);
}

/** Spins on a held lock before sleeping until its release. */
const SPINS = 200;

/** Releases every lock of `memory` held by `owner` (its thread ended while holding it): the main thread, once the thread is gone. */
export function releaseHeldBy(memory: SharedArrayBuffer, slots: number, owner: number): void {
  const locks = new Int32Array(memory, 0, slots);
  for (let i = 0; i < slots; i++) {
    if (Atomics.compareExchange(locks, i, owner, 0) === owner) Atomics.notify(locks, i);
  }
}

export class SharedTotals {
  private readonly locks: Int32Array;
  /** slot i's numbers at 2i and 2i + 1 */
  readonly values: Float64Array;
  /** `owner`: what this worker's lock words hold while it has them (a number from 1, its own: the router's count of workers started) */
  constructor(
    memory: SharedArrayBuffer,
    readonly slots: number,
    private readonly owner: number,
  ) {
    this.locks = new Int32Array(memory, 0, slots);
    this.values = new Float64Array(memory, lockBytes(slots), slots * 2);
  }

  /** Runs `fn` holding the slot's lock (a worker thread: it may wait); `at` is the index of its first number in `values`. */
  locked<T>(slot: number, fn: (values: Float64Array, at: number) => T): T {
    let spins = 0;
    for (;;) {
      const holder = Atomics.compareExchange(this.locks, slot, 0, this.owner);
      if (holder === 0) break;
      if (++spins > SPINS) Atomics.wait(this.locks, slot, holder, 5);
    }
    try {
      return fn(this.values, slot * 2);
    } finally {
      Atomics.store(this.locks, slot, 0);
      Atomics.notify(this.locks, slot, 1);
    }
  }
}
