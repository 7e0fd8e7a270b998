/**
 * Items gathered by key during one turn of the event loop and handed over together at its end
 * (`setImmediate`): one message a key and turn between threads, however many items the turn
 * made (each a wake-up and a structured clone on the other side). `flush` hands them over at
 * once (before a close).
 */
export class TurnBatches<K, T> {
  private readonly out = new Map<K, T[]>();
  private queued = false;

  constructor(private readonly send: (key: K, items: T[]) => void) {}

  add(key: K, item: T): void {
    let items = this.out.get(key);
    if (items === undefined) this.out.set(key, (items = []));
    items.push(item);
    if (this.queued) return;
    this.queued = true;
    setImmediate(this.flush);
  }

  /** What is gathered for `key` is not handed over (its receiver is gone). */
  drop(key: K): void {
    this.out.delete(key);
  }

  clear(): void {
    this.out.clear();
  }

  readonly flush = (): void => {
    this.queued = false;
    if (this.out.size === 0) return;
    // (taken first: a send that adds again starts the next batch)
    const out = [...this.out];
    this.out.clear();
    for (const [key, items] of out) this.send(key, items);
  };
}
