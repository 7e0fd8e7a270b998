import type { Logger } from '../logger.js';

/**
 * Each customer's mailbox: the jobs for one customer run one after another, in the order
 * they were queued; different customers' jobs interleave freely. A customer with nothing
 * queued has no mailbox.
 */
export class Mailboxes {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly logger: Logger) {}

  get size(): number {
    return this.tails.size;
  }

  /** whether jobs are queued (or running) for this customer */
  has(id: string): boolean {
    return this.tails.has(id);
  }

  /** Runs `job` after every earlier job for this customer. */
  enqueue(id: string, job: () => Promise<void>): void {
    const prev = this.tails.get(id) ?? Promise.resolve();
    const tail = prev.then(job).catch((err: unknown) => {
      this.logger.error({ err, customer: id }, 'mailbox job failed');
    });
    this.tails.set(id, tail);
    void tail.then(() => {
      if (this.tails.get(id) === tail) this.tails.delete(id);
    });
  }

  /** Resolves when every job queued so far has run. */
  async idle(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }
}
