import { describe, expect, it } from 'vitest';
import type { OutboxRecord } from '../schema/http/delivery-schemas.js';
import { mergeOutboxPages, shardPositions } from './merged-outbox.js';

const entry = (seq: number, at: number, customer = `c-${seq}`): OutboxRecord => ({ kind: 'backoffice', instance: `i-${customer}-${seq}`, customer, campaign: 'k', offer: 'o', at, channel: 'backoffice', action: 'issue_credit', vars: {}, seq, attempts: 0 });

/** A shard's queue as a store lists it: entries after `after`, at most `limit`, in seq order; next when the page is full. */
function pageOf(queue: OutboxRecord[], after: number | undefined, limit: number): { entries: OutboxRecord[]; next?: string } {
  const entries = queue.filter((e) => after === undefined || e.seq > after).slice(0, limit);
  return entries.length === limit ? { entries, next: String(entries.at(-1)!.seq) } : { entries };
}

describe('an outbox listed over shards', () => {
  it('walks every shard\'s queue once, oldest first, whatever the page size', () => {
    // Two shards' queues, their times interleaved; each queue in its own seq order.
    const queues = [
      [entry(1, 10), entry(2, 30), entry(3, 31), entry(4, 70)],
      [entry(1, 20, 'd-1'), entry(2, 25, 'd-2'), entry(3, 40, 'd-3'), entry(4, 50, 'd-4'), entry(5, 60, 'd-5')],
    ];
    for (const limit of [1, 2, 3, 4, 100]) {
      const seen: OutboxRecord[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 20; i++) {
        const positions = shardPositions(cursor, 2);
        const page = mergeOutboxPages(queues.map((q, s) => pageOf(q, positions[s], limit)), positions, limit);
        expect(page.entries.length).toBeLessThanOrEqual(limit);
        seen.push(...page.entries);
        if (page.next === undefined) break;
        cursor = page.next;
      }
      expect(seen.map((e) => e.at)).toEqual([10, 20, 25, 30, 31, 40, 50, 60, 70]);
    }
  });

  it("moves a shard to its own next when the page took all it gave (a dead-letter page may have looked past its entries)", () => {
    const page = mergeOutboxPages([{ entries: [entry(5, 1)], next: '900' }, { entries: [] }], [undefined, 7], 10);
    expect(page).toEqual({ entries: [entry(5, 1)], next: '900.7' });
    expect(mergeOutboxPages([{ entries: [] }, { entries: [] }], [3, undefined], 10)).toEqual({ entries: [] });
  });

  it("refuses a cursor that is not this node's", () => {
    expect(shardPositions(undefined, 3)).toEqual([undefined, undefined, undefined]);
    expect(shardPositions('4..12', 3)).toEqual([4, undefined, 12]);
    expect(() => shardPositions('12', 2)).toThrow(/2 positions/);
    expect(() => shardPositions('1.x', 2)).toThrow(/query "cursor"/);
  });
});
