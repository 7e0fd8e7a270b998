import { describe, expect, it } from 'vitest';
import { backofficeEntry } from '../test-support/outbox-entries.js';
import { MemoryStore } from '../store/memory-store.js';
import type { OutboxRecord } from '../store/store.js';
import { CommittedFeed } from './committed-feed.js';

/** The committed-records feed between the host (its `onCommitted`) and the dispatcher, on records the memory store committed. */

const action = backofficeEntry;

describe('the committed-records feed', () => {
  it('hands its subscriber what was committed before it came, in commit order, then each batch as it comes', async () => {
    const store = new MemoryStore();
    const feed = new CommittedFeed();
    feed.push(await store.commit({ snapshots: [], identities: [], outbox: [action(1), action(2)] }));
    feed.push(await store.commit({ snapshots: [], identities: [], outbox: [action(3)] }));
    const batches: string[][] = [];
    feed.subscribe((records: readonly OutboxRecord[]) => batches.push(records.map((r) => r.instance)));
    expect(batches).toEqual([['bk-1', 'bk-2', 'bk-3']]);
    feed.push(await store.commit({ snapshots: [], identities: [], outbox: [action(4)] }));
    expect(batches).toEqual([['bk-1', 'bk-2', 'bk-3'], ['bk-4']]);
  });

  it('calls a subscriber that came before anything was committed only for batches, and takes one subscriber only', async () => {
    const store = new MemoryStore();
    const feed = new CommittedFeed();
    const batches: number[] = [];
    feed.subscribe((records) => batches.push(records.length));
    expect(batches).toEqual([]);
    feed.push(await store.commit({ snapshots: [], identities: [], outbox: [action(1), action(2)] }));
    expect(batches).toEqual([2]);
    expect(() => feed.subscribe(() => undefined)).toThrow(expect.objectContaining({ code: 'internal' }));
  });
});
