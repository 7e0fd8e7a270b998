import { Fifo } from './fifo.js';

/**
 * Hands results on in the order their work was submitted, however the promises settle.
 * Identity resolution may take different times for different identifiers; events must
 * still reach each customer's mailbox in the order they arrived.
 */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

interface Item<T> {
  settled?: Settled<T>;
  then: (result: Settled<T>) => void;
}

export class InOrder<T> {
  /** the items not yet handed on, in submission order (each taken is dropped at once: its closure holds the request) */
  private readonly items = new Fifo<Item<T>>();

  /** Queues `work`; `then` runs with its outcome after every earlier item's `then` has run. */
  add(work: Promise<T>, then: (result: Settled<T>) => void): void {
    const item: Item<T> = { then };
    this.items.push(item);
    work.then(
      (value) => {
        item.settled = { ok: true, value };
        this.drain();
      },
      (error: unknown) => {
        item.settled = { ok: false, error };
        this.drain();
      },
    );
  }

  /**
   * `then` with a value known now: at once when nothing is queued before it (no promise, no
   * item), else queued behind the earlier items like `add`.
   */
  addNow(value: T, then: (result: Settled<T>) => void): void {
    const settled: Settled<T> = { ok: true, value };
    if (this.items.length === 0) {
      then(settled);
      return;
    }
    this.items.push({ settled, then });
  }

  get pending(): number {
    return this.items.length;
  }

  private drain(): void {
    for (;;) {
      const item = this.items.peek();
      if (item?.settled === undefined) break;
      this.items.shift();
      item.then(item.settled);
    }
  }
}
