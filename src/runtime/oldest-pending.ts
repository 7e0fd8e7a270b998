import { Fifo } from './fifo.js';

/**
 * How long the oldest unfinished request has waited, for requests started in arrival order and
 * finished in any order (each customer's commit releases its own replies). The queueing bound
 * (`KAIROS_MAX_QUEUE_MS`) refuses new requests while it is past the bound.
 */
export interface Pending {
  readonly at: number;
  done: boolean;
}

export class OldestPending {
  /** the requests admitted, oldest first, down to the oldest not known to be finished */
  private readonly started = new Fifo<Pending>();

  /** A request admitted at `at` (ms, monotonic); mark the result `done` when it is answered. */
  start(at: number): Pending {
    // Finished requests are dropped here too, not only when the age is read: with the bound
    // off and nobody scraping the gauge, nothing else would.
    this.dropFinished();
    const p: Pending = { at, done: false };
    this.started.push(p);
    return p;
  }

  /** Milliseconds the oldest unfinished request has waited at `now`; 0 when none is waiting. */
  age(now: number): number {
    this.dropFinished();
    const oldest = this.started.peek();
    return oldest === undefined ? 0 : now - oldest.at;
  }

  /** requests held: the unfinished ones, and finished ones behind the oldest of those */
  get held(): number {
    return this.started.length;
  }

  private dropFinished(): void {
    while (this.started.peek()?.done === true) this.started.shift();
  }
}
