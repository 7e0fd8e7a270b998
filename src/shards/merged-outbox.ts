import { KairosError } from '../errors.js';
import type { OutboxRecord } from '../schema/http/delivery-schemas.js';

/** One shard's page of a channel's outbox (or of its dead letters) after its own position. */
export interface ShardOutboxPage {
  entries: OutboxRecord[];
  /** the shard's position after this page when more may follow there (a dead-letter page may have looked past its last entry) */
  next?: string;
}

/**
 * A node's cursor into a channel's outbox when its customers are spread over shards: each
 * shard's position in its own queue (the `seq` of the last entry taken from it, empty while
 * none was), joined by `.` in shard order. Undefined: every shard from its start. A cursor
 * with another count of positions (from a single node, or another shard count) is refused.
 */
export function shardPositions(cursor: string | undefined, shards: number): Array<number | undefined> {
  if (cursor === undefined) return new Array<number | undefined>(shards).fill(undefined);
  const parts = cursor.split('.');
  if (parts.length !== shards || parts.some((p) => !/^\d{0,16}$/.test(p))) {
    throw new KairosError('invalid', `query "cursor": must be the next of the page before (on this node ${shards} positions joined by ".", one a shard)`);
  }
  return parts.map((p) => (p === '' ? undefined : Number(p)));
}

/**
 * Every shard's page merged by time and cut to `limit`: each shard's entries stay in their
 * queue's order (what the page takes of a shard is always the first of its entries: its
 * position can move past them), and the shards are interleaved by the time (`at`) of each
 * one's next entry, the lower shard first on a tie. A queue's order is its commits' (an entry
 * queued a moment earlier may come after one committed before it), so the page is oldest
 * first as a single node's is, to within a commit. Each shard's position moves past what the page took of it: to the
 * shard's own `next` when the page took all it gave, else to the last entry taken. `next`
 * while any shard may hold more.
 */
export function mergeOutboxPages(pages: readonly ShardOutboxPage[], positions: ReadonlyArray<number | undefined>, limit: number): { entries: OutboxRecord[]; next?: string } {
  const taken = pages.map(() => 0);
  const entries: OutboxRecord[] = [];
  while (entries.length < limit) {
    let best = -1;
    for (let i = 0; i < pages.length; i++) {
      const head = pages[i]!.entries[taken[i]!];
      if (head === undefined) continue;
      if (best < 0 || head.at < pages[best]!.entries[taken[best]!]!.at) best = i;
    }
    if (best < 0) break;
    entries.push(pages[best]!.entries[taken[best]!]!);
    taken[best]! += 1;
  }
  let more = false;
  const next = pages.map((page, i) => {
    const all = taken[i] === page.entries.length;
    if (!all || page.next !== undefined) more = true;
    if (all && page.next !== undefined) return page.next;
    const last = page.entries[taken[i]! - 1];
    return last === undefined ? (positions[i] === undefined ? '' : String(positions[i])) : String(last.seq);
  });
  return more ? { entries, next: next.join('.') } : { entries };
}
