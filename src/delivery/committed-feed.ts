import { KairosError } from '../errors.js';
import type { OutboxRecord } from '../store/store.js';

/** Takes the outbox records of one committed batch. */
export type CommittedListener = (records: readonly OutboxRecord[]) => void;

/**
 * Where the host's committed outbox records go: the host is built with `push` as its
 * `onCommitted`, and the dispatcher, built after the host (it needs the host to report
 * deliveries to), subscribes when it is built. Each object thus gets what it needs when it
 * is made: no reference is bound late. Records pushed before the subscriber came are kept
 * and handed to it when it subscribes, in commit order (in the composition root the two are
 * built one after the other, so there are none; and every record is in the durable outbox
 * anyway, which the dispatcher reads from its start).
 */
export class CommittedFeed {
  private listener: CommittedListener | undefined;
  private early: OutboxRecord[] = [];

  /** The host's `onCommitted`: to the subscriber, or kept until it comes. */
  readonly push = (records: readonly OutboxRecord[]): void => {
    if (this.listener !== undefined) this.listener(records);
    else this.early.push(...records);
  };

  /** The one subscriber (the dispatcher): takes what came before it, then every batch as it is committed. */
  subscribe(listener: CommittedListener): void {
    if (this.listener !== undefined) throw new KairosError('internal', 'the committed-records feed has a subscriber already');
    this.listener = listener;
    const early = this.early;
    this.early = [];
    if (early.length > 0) listener(early);
  }
}
