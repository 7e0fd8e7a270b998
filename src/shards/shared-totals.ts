/**
 * Totals every shard reads and changes (campaign budgets, channel capacity): slots in a
 * `SharedArrayBuffer` the main thread makes, each a lock word and two numbers, changed only
 * under the slot's lock (a spin on `Atomics.compareExchange`: held for a few instructions).
 * The lock's atomic operations order the numbers' plain reads and writes between threads.
 */

/** Bytes of the lock words (Int32, one a slot), padded to the Float64 pairs after them. */
function lockBytes(slots: number): number {
  return slots * 4 + (slots % 2) * 4;
}

/** The memory of `slots` slots. */
export function sharedTotalsMemory(slots: number): SharedArrayBuffer {
  return new SharedArrayBuffer(lockBytes(slots) + slots * 16);
}

export class SharedTotals {
  private readonly locks: Int32Array;
  /** slot i's numbers at 2i and 2i + 1 */
  readonly values: Float64Array;

  constructor(
    memory: SharedArrayBuffer,
    readonly slots: number,
  ) {
    this.locks = new Int32Array(memory, 0, slots);
    this.values = new Float64Array(memory, lockBytes(slots), slots * 2);
  }

  /** Runs `fn` holding the slot's lock; `at` is the index of its first number in `values`. */
  locked<T>(slot: number, fn: (values: Float64Array, at: number) => T): T {
    while (Atomics.compareExchange(this.locks, slot, 0, 1) !== 0) {
      // another shard holds it for a few instructions: spin
    }
    try {
      return fn(this.values, slot * 2);
    } finally {
      Atomics.store(this.locks, slot, 0);
    }
  }
}
