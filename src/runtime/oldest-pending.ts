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
  /** from `head`: the requests not known to be finished, oldest first; slots before it are emptied */
  private items: Array<Pending | undefined> = [];
  private head = 0;

  /** A request admitted at `at` (ms, monotonic); mark the result `done` when it is answered. */
  start(at: number): Pending {
    const p: Pending = { at, done: false };
    this.items.push(p);
    return p;
  }

  /** Milliseconds the oldest unfinished request has waited at `now`; 0 when none is waiting. */
  age(now: number): number {
    while (this.head < this.items.length && this.items[this.head]?.done === true) this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
      return 0;
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return now - (this.items[this.head] as Pending).at;
  }
}
