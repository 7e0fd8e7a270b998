import { fnv1a, fnvMix } from '../../actors/hash.js';
import type { ClientLimiter } from './token-bucket.js';
import { retryAfterSec } from './token-bucket.js';

/**
 * `POST /v1/events`'s token buckets by client (a gateway key and an address) shared by every
 * thread of a node that serves the route: the node's port on the main thread and the gateway
 * port on each shard (KAIROS_GATEWAY_PORT). The kernel spreads a client's connections over the
 * shards, so buckets of each thread's own would let a client send the rate once per thread.
 *
 * The table is a set-associative cache over shared memory: a client's hash picks one set of
 * WAYS slots, guarded by the set's lock (an Atomics spin lock held for a few reads and writes,
 * never across an await), and the client's slot in it is found by a 32-bit tag of a second
 * hash. A slot whose bucket is full again (left alone 2 s: no different from a new one) is
 * free; a full set gives up the slot refilled longest ago (that client starts again with a
 * full bucket, as past ClientBuckets' bound). Times are absolute (`performance.timeOrigin +
 * performance.now()`), the same on every thread.
 */

/** Slots a set holds. */
const WAYS = 8;
/** Spins on a set's lock before its waiter sleeps between tries (a holder that runs holds it for well under a µs). */
const SPINS = 1000;
/**
 * How long a set's lock may stay held before its holder is taken to be gone (a thread ended
 * inside it). Not a count of spins: a holder the kernel took off its core (more threads than
 * cores) holds the lock for a scheduler's time slice, milliseconds, and a waiter that took the
 * lock over then would grant a token twice.
 */
const ABANDONED_AFTER_MS = 2000;
/** A waiter's sleep between tries once past SPINS (ms): woken by no one, it looks again after it. */
const NAP_MS = 0.05;
/** Sets by default: 4,096 x 8 = 32,768 clients busy within 2 s (~0.6 MB). */
export const SHARED_CLIENT_SETS = 4096;

/** The shared memory for a table of `sets` sets (a power of two): made once by the main thread, handed to each shard. */
export function sharedClientBucketsMemory(sets = SHARED_CLIENT_SETS): SharedArrayBuffer {
  if (!Number.isInteger(Math.log2(sets)) || sets < 1) throw new Error(`sets must be a power of two, not ${sets}`);
  // per set: its lock (Int32); per slot: its tag (Int32), its tokens and its refill time (Float64 each)
  return new SharedArrayBuffer(align8(4 * (sets + sets * WAYS)) + 16 * sets * WAYS);
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

export class SharedClientBuckets implements ClientLimiter {
  private readonly locks: Int32Array;
  private readonly tags: Int32Array;
  /** [tokens, refilledAt] per slot */
  private readonly buckets: Float64Array;
  private readonly mask: number;

  constructor(
    private readonly rate: number,
    memory: SharedArrayBuffer,
  ) {
    const sets = memory.byteLength / (4 + 4 * WAYS + 16 * WAYS);
    const whole = Math.floor(sets);
    if (whole < 1 || !Number.isInteger(Math.log2(whole)) || sharedClientBucketsMemory(whole).byteLength !== memory.byteLength) {
      throw new Error('not the memory of a shared client-bucket table (sharedClientBucketsMemory)');
    }
    this.mask = whole - 1;
    this.locks = new Int32Array(memory, 0, whole);
    this.tags = new Int32Array(memory, 4 * whole, whole * WAYS);
    this.buckets = new Float64Array(memory, align8(4 * (whole + whole * WAYS)), 2 * whole * WAYS);
  }

  /** 0 when the client may go on (a token taken); else the Retry-After, in whole seconds. `now`: absolute ms, as every thread reads it. */
  take(client: string, now: number): number {
    const set = fnv1a(client) & this.mask;
    // (0 marks a free slot)
    const tag = fnvMix(0x2f6b_3d51, client) | 1;
    const first = set * WAYS;
    const full = this.rate * 2;
    // (held by another thread for a few reads and writes; held far longer, by a thread ended
    // inside it, `worker.terminate()` running no `finally`: taken over, a token miscounted at worst)
    let since: number | undefined;
    for (let spins = 0; Atomics.compareExchange(this.locks, set, 0, 1) !== 0; spins++) {
      if (spins < SPINS) continue;
      since ??= performance.now();
      if (performance.now() - since >= ABANDONED_AFTER_MS) {
        Atomics.store(this.locks, set, 1);
        break;
      }
      Atomics.wait(this.locks, set, 1, NAP_MS);
    }
    try {
      let slot = -1;
      let free = -1;
      let oldest = -1;
      for (let s = first; s < first + WAYS; s++) {
        const t = this.tags[s]!;
        if (t === tag) {
          slot = s;
          break;
        }
        const refilledAt = this.buckets[2 * s + 1]!;
        if (free < 0 && (t === 0 || this.buckets[2 * s]! + ((now - refilledAt) / 1000) * this.rate >= full)) free = s;
        if (oldest < 0 || refilledAt < this.buckets[2 * oldest + 1]!) oldest = s;
      }
      if (slot < 0) {
        slot = free >= 0 ? free : oldest;
        this.tags[slot] = tag;
        this.buckets[2 * slot] = full;
        this.buckets[2 * slot + 1] = now;
      }
      // (a clock read on another thread a moment later than this one: nothing refilled, nothing taken back)
      const refilledAt = this.buckets[2 * slot + 1]!;
      const tokens = Math.min(full, this.buckets[2 * slot]! + (Math.max(0, now - refilledAt) / 1000) * this.rate);
      this.buckets[2 * slot + 1] = Math.max(now, refilledAt);
      if (tokens < 1) {
        this.buckets[2 * slot] = tokens;
        return retryAfterSec({ tokens, refilledAt: now }, this.rate);
      }
      this.buckets[2 * slot] = tokens - 1;
      return 0;
    } finally {
      Atomics.store(this.locks, set, 0);
    }
  }
}
