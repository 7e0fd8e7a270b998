import type { Database, Transaction } from 'lmdb';

/**
 * The LMDB store's log of change records (docs/runtime.md#change-records): a table keyed
 * `[seq, customer, kind]`, written at its end, where a commit appends each changed customer's
 * record instead of rewriting their whole snapshot in its place. Appending touches the last
 * page or two of one table, where a rewrite dirties a page of the snapshot table per customer
 * (on this VM ~1 µs a record against ~6 µs a snapshot, besides encoding a tenth of the bytes).
 *
 * Kinds: `d`, a record (its value: the change, sealed under the customer's key); `f`, a mark
 * that the customer's full snapshot was written at that point (no value): every record of theirs
 * before it is folded into the snapshot. The log is its own index: reading its keys from the
 * start, records push onto their customer's list and a mark empties it. The store keeps that
 * index in memory (`live`); a draft count's worker builds its own from the keys it reads
 * (`readLogIndex`), in the same read transaction as the snapshots.
 *
 * Keys before the oldest live record are garbage (every record there is folded, every mark
 * outdated) and are deleted with the next commit (`trim`).
 */

export type LogKey = [number, string, string];
export const RECORD = 'd';
export const FULL = 'f';
/** Keys of garbage one commit deletes at most (`trim`): the rest go with the next ones. */
const TRIM_PER_COMMIT = 5_000;
/** a mark's value: LMDB stores a key with an empty value */
const MARK = Buffer.alloc(0);

/** customer -> the seqs of their live records, oldest first; customers in the order of their oldest live record */
export type LogIndex = Map<string, number[]>;

/** The index of the log as one read of its keys sees it, and its last seq (0 when empty). */
export function readLogIndex(db: Database<Buffer, LogKey>, transaction?: Transaction): { live: LogIndex; head: number; first: number } {
  const live: LogIndex = new Map();
  let head = 0;
  let first = 0;
  for (const key of db.getKeys(transaction === undefined ? {} : { transaction })) {
    const [seq, customer, kind] = key;
    if (first === 0) first = seq;
    head = seq;
    if (kind === FULL) {
      live.delete(customer);
      continue;
    }
    const list = live.get(customer);
    if (list === undefined) live.set(customer, [seq]);
    else list.push(seq);
  }
  return { live, head, first };
}

/** What a commit did to the log, applied to the index once the commit has succeeded. */
export interface LogWrites {
  /** customer -> their live records after the commit (null: none, a full snapshot written) */
  readonly lists: Map<string, number[] | null>;
  trimmedBelow: number;
  /** whether it drew seqs (given back if it fails) */
  appended: boolean;
  /** the log's last seq when it began (restored when it fails) */
  readonly head: number;
}

export class LmdbChangeLog {
  private readonly live: LogIndex;
  private head: number;
  /** every key below this seq is deleted */
  private trimmedBelow: number;

  constructor(private readonly db: Database<Buffer, LogKey>) {
    const { live, head, first } = readLogIndex(db);
    this.live = live;
    this.head = head;
    this.trimmedBelow = first === 0 ? 1 : first;
  }

  /** How many records the log holds (live or not yet trimmed), for metrics and tests. */
  get length(): number {
    return this.head === 0 ? 0 : this.head - this.trimmedBelow + 1;
  }

  /** Customers with live records. */
  get customers(): number {
    return this.live.size;
  }

  /** A new set of writes, for one transaction. */
  begin(): LogWrites {
    return { lists: new Map(), trimmedBelow: this.trimmedBelow, appended: false, head: this.head };
  }

  /** The seqs of the customer's live records (as the writes under way leave them). */
  recordsOf(id: string, w?: LogWrites): readonly number[] | undefined {
    const pending = w?.lists.get(id);
    if (pending !== undefined) return pending ?? undefined;
    return this.live.get(id);
  }

  /**
   * Inside a write transaction: the customer's change record appended. (Seqs are drawn at
   * once: a transaction that fails gives them back, `abandoned`; every transaction that
   * appends runs on this thread, one at a time, `LmdbStore.commit`.)
   */
  append(w: LogWrites, id: string, sealed: Buffer): void {
    const seq = this.draw(w);
    void this.db.put([seq, id, RECORD], sealed);
    w.lists.set(id, [...(this.recordsOf(id, w) ?? []), seq]);
  }

  /** The next seq, for a transaction that appends. */
  private draw(w: LogWrites): number {
    w.appended = true;
    return ++this.head;
  }

  /** Inside a write transaction: the customer's full snapshot was written; their records are folded (a mark, when they had any). */
  folded(w: LogWrites, id: string): void {
    if (this.recordsOf(id, w) === undefined) return;
    void this.db.put([this.draw(w), id, FULL], MARK);
    w.lists.set(id, null);
  }

  /**
   * Inside a write transaction: every key of the customer's in the log deleted, live records,
   * folded ones not yet trimmed and marks alike (an erasure: the keys name the customer in
   * clear). A pass over the log's keys: it is bounded (`logRecordsBehind`), and an erasure rare.
   */
  erase(w: LogWrites, id: string): void {
    for (const key of this.db.getKeys()) if (key[1] === id) void this.db.remove(key);
    w.lists.set(id, null);
  }

  /**
   * Inside a write transaction, before it appends: the keys before the oldest live record
   * deleted (what this one folds goes with the next). Every transaction that appends runs on
   * this thread and is applied or abandoned before the next begins, so the index holds every
   * record written.
   */
  trim(w: LogWrites): void {
    const low = this.oldestLive() ?? this.head + 1;
    if (low <= w.trimmedBelow) return;
    // at most TRIM_PER_COMMIT keys a commit: a long run of garbage goes over several
    let n = 0;
    let below = low;
    for (const key of this.db.getKeys({ start: [w.trimmedBelow], end: [low] })) {
      if (n++ >= TRIM_PER_COMMIT) {
        below = key[0];
        break;
      }
      void this.db.remove(key);
    }
    w.trimmedBelow = below;
  }

  /** The seq of the oldest live record (undefined: none). */
  private oldestLive(): number | undefined {
    for (const list of this.live.values()) return list[0];
    return undefined;
  }

  /** Whether the customer's oldest live record is more than `behind` records before the log's end. */
  lagging(id: string, behind: number): boolean {
    const first = this.live.get(id)?.[0];
    return first !== undefined && first < this.head - behind;
  }

  /** Up to `n` customers whose oldest live record is more than `behind` records before the end, oldest first. */
  laggards(behind: number, n: number): string[] {
    const out: string[] = [];
    for (const [id, list] of this.live) {
      if (out.length >= n || (list[0] ?? Infinity) >= this.head - behind) break;
      out.push(id);
    }
    return out;
  }

  /** The transaction failed: nothing it wrote is there, and its seqs are drawn again. */
  abandoned(w: LogWrites): void {
    if (w.appended) this.head = w.head;
  }

  /** After the transaction committed: the index as it left it. */
  applied(w: LogWrites): void {
    for (const [id, list] of w.lists) {
      if (list === null) this.live.delete(id);
      else this.live.set(id, list);
    }
    this.trimmedBelow = Math.max(this.trimmedBelow, w.trimmedBelow);
  }
}
