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
  /** the items not yet handed on from `head`; slots before it are emptied */
  private items: Array<Item<T> | undefined> = [];
  private head = 0;

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

  get pending(): number {
    return this.items.length - this.head;
  }

  private drain(): void {
    for (;;) {
      const item = this.items[this.head];
      if (item?.settled === undefined) break;
      // Emptied before its callback runs: a handed-on item (its closure holds the request,
      // its reply and their promises) would otherwise live until the array is compacted,
      // surviving scavenges into the old generation for nothing.
      this.items[this.head++] = undefined;
      item.then(item.settled);
    }
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
