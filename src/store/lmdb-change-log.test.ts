import { open } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogKey } from './lmdb-change-log.js';
import { LmdbScan, LmdbStore } from './lmdb-store.js';
import type { StoredSnapshot } from './store.js';
import { tempDir } from '../test-support/test-kairos.js';

/** A customer's snapshot after `n` events, as the brain changes it: a log that ages out, a counter, a feature's day buckets. */
function snapshotAt(id: string, n: number, prev?: StoredSnapshot): StoredSnapshot {
  const before = (prev?.snapshot as { context: Ctx } | undefined)?.context;
  const context: Ctx = {
    id,
    profile: before?.profile ?? { firstName: 'Анна', patronymic: 'Петровна' },
    seq: n,
    seen: { id: [...(before?.seen.id ?? []).slice(-7), `r${n}`], at: [...(before?.seen.at ?? []).slice(-7), 1_000 * n] },
    features: { ...before?.features, [`f${n % 3}`]: [...(before?.features[`f${n % 3}`] ?? []), n, 1, n, n, n] },
  };
  return { v: 7, snapshot: { value: 'active', context } };
}

interface Ctx {
  id: string;
  profile: { firstName: string; patronymic: string };
  seq: number;
  seen: { id: string[]; at: number[] };
  features: Record<string, number[]>;
}

/** The keys of the store's log, read from the file as another process would. */
function logKeys(dir: string): LogKey[] {
  const root = open({ path: dir, maxDbs: 32, readOnly: true });
  try {
    return [...root.openDB<Buffer, LogKey>({ name: 'changes', encoding: 'binary' }).getKeys()];
  } finally {
    void root.close();
  }
}

describe('lmdb change records', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: LmdbStore;
  beforeEach(() => {
    tmp = tempDir('kairos-lmdb-log-');
  });
  afterEach(async () => {
    await store?.close().catch(() => undefined);
    tmp.remove();
  });

  /** `events` commits of customer `id`, each against the one before, the first whole; the last snapshot. */
  async function events(id: string, from: number, to: number, start?: StoredSnapshot): Promise<StoredSnapshot> {
    let last = start;
    for (let n = from; n <= to; n++) {
      const value = snapshotAt(id, n, last);
      await store.commit({ snapshots: [{ id, value, ...(last === undefined ? {} : { base: last }) }], identities: [], outbox: [] });
      last = value;
    }
    return last!;
  }

  it('appends what changed instead of the snapshot, and reads the snapshot with its records folded in, after a restart too', async () => {
    store = new LmdbStore(tmp.dir, { recordsPerSnapshot: 16 });
    const last = await events('c-1', 1, 10);
    // one full snapshot (the first commit), then nine records
    expect(store.changeLog()).toEqual({ records: 9, customers: 1 });
    expect(await store.getSnapshot('c-1')).toEqual(last);
    await store.close();
    expect(logKeys(tmp.dir).map((k) => [k[1], k[2]])).toEqual(Array.from({ length: 9 }, () => ['c-1', 'd']));
    store = new LmdbStore(tmp.dir, { recordsPerSnapshot: 16 });
    expect(store.changeLog().customers).toBe(1);
    expect(await store.getSnapshot('c-1')).toEqual(last);
    // a change against the state as it was read goes on from there
    const next = await events('c-1', 11, 11, last);
    expect(await store.getSnapshot('c-1')).toEqual(next);
  });

  it('writes the full snapshot once in `recordsPerSnapshot` commits, and the log loses what the snapshot holds', async () => {
    store = new LmdbStore(tmp.dir, { recordsPerSnapshot: 4 });
    const last = await events('c-1', 1, 9);
    // full at 1, records 2-4, full at 5 (a mark), records 6-8, full at 9 (a mark)
    expect(store.changeLog().customers).toBe(0);
    expect(await store.getSnapshot('c-1')).toEqual(last);
    // the next commit trims what came before the oldest live record (none: everything)
    await events('c-2', 1, 1);
    expect(store.changeLog().records).toBe(0);
    await store.close();
    expect(logKeys(tmp.dir)).toEqual([]);
  });

  it('writes every snapshot whole with recordsPerSnapshot 1, or without a base', async () => {
    store = new LmdbStore(tmp.dir, { recordsPerSnapshot: 1 });
    expect(await store.getSnapshot('c-1')).toBeUndefined();
    const last = await events('c-1', 1, 5);
    expect(store.changeLog()).toEqual({ records: 0, customers: 0 });
    expect(await store.getSnapshot('c-1')).toEqual(last);
  });

  it('folds in the records of a customer who went quiet once they fall too far behind, a few a commit', async () => {
    store = new LmdbStore(tmp.dir, { recordsPerSnapshot: 16, logRecordsBehind: 5 });
    const quiet = await events('quiet', 1, 3);
    expect(store.changeLog().customers).toBe(1);
    let busy = await events('busy', 1, 4);
    // 'busy' wrote 3 records: not yet 5 behind
    expect(store.changeLog().customers).toBe(2);
    busy = await events('busy', 5, 9, busy);
    // quiet's oldest record fell more than 5 behind: folded into its snapshot by a commit of busy's
    expect(await store.getSnapshot('quiet')).toEqual(quiet);
    await store.close();
    store = new LmdbStore(tmp.dir, { recordsPerSnapshot: 16, logRecordsBehind: 5 });
    expect(await store.getSnapshot('quiet')).toEqual(quiet);
    expect(await store.getSnapshot('busy')).toEqual(busy);
    expect(logKeys(tmp.dir).some((k) => k[1] === 'quiet' && k[2] === 'd')).toBe(false);
    // busy, writing on, is written whole once its own oldest record falls behind: the log stays short
    busy = await events('busy', 10, 30, busy);
    expect(store.changeLog().records).toBeLessThanOrEqual(12);
    expect(await store.getSnapshot('busy')).toEqual(busy);
  });

  it('erases every key of the customer in the log with them: live records, folded ones not yet trimmed, marks', async () => {
    store = new LmdbStore(tmp.dir, { recordsPerSnapshot: 4 });
    // c-2's record, older than c-1's, keeps c-1's folded records and marks in the log
    let other = await events('c-2', 1, 2);
    await events('c-1', 1, 7);
    other = await events('c-2', 3, 3, other);
    await store.close();
    const before = logKeys(tmp.dir).filter((k) => k[1] === 'c-1');
    expect(before.map((k) => k[2])).toEqual(['d', 'd', 'd', 'f', 'd', 'd']);
    store = new LmdbStore(tmp.dir, { recordsPerSnapshot: 4 });
    expect(await store.eraseCustomer('c-1', [])).toBe(true);
    expect(await store.getSnapshot('c-1')).toBeUndefined();
    expect(store.changeLog().customers).toBe(1);
    await store.close();
    expect(logKeys(tmp.dir).filter((k) => k[1] === 'c-1')).toEqual([]);
    store = new LmdbStore(tmp.dir, { recordsPerSnapshot: 4 });
    expect(await store.getSnapshot('c-1')).toBeUndefined();
    expect(await store.getSnapshot('c-2')).toEqual(other);
  });

  for (const strict of [false, true]) {
    it(`leaves the log and the snapshot as they were when a commit fails halfway${strict ? ' (strict: flushed to disk)' : ''}`, async () => {
      store = new LmdbStore(tmp.dir, { recordsPerSnapshot: 4, syncEachCommit: strict });
      // 1 whole, 2-3 records: the next is a record, the one after it whole
      const third = await events('c-1', 1, 3);
      const fourth = snapshotAt('c-1', 4, third);
      // a reminder nested too deep to encode, after the snapshot in the same commit
      let deep: unknown = 1;
      for (let i = 0; i < 20_000; i++) deep = { d: deep };
      const poison = { key: 'c-1|x', customer: 'c-1', due: 5, event: 'e', data: { deep } };
      await expect(store.commit({ snapshots: [{ id: 'c-1', value: fourth, base: third }], identities: [], outbox: [], reminders: { set: [poison], remove: [] }, sync: strict })).rejects.toThrow();
      expect(store.changeLog()).toEqual({ records: 2, customers: 1 });
      expect(await store.getSnapshot('c-1')).toEqual(third);
      // the same change again, without the poison, then the next one whole
      await store.commit({ snapshots: [{ id: 'c-1', value: fourth, base: third }], identities: [], outbox: [], sync: strict });
      const fifth = await events('c-1', 5, 5, fourth);
      expect(store.changeLog().customers).toBe(0);
      await store.close();
      expect(logKeys(tmp.dir).map((k) => k[2])).toEqual(['d', 'd', 'd', 'f']);
      store = new LmdbStore(tmp.dir, { recordsPerSnapshot: 4 });
      expect(await store.getSnapshot('c-1')).toEqual(fifth);
    });
  }

  it('writes a customer whole after a commit that went in but could not be flushed (strict)', async () => {
    store = new LmdbStore(tmp.dir, { recordsPerSnapshot: 16, syncEachCommit: true });
    // nine events: the seen log is full, each change drops its oldest entry (an edit that cannot be applied twice)
    const third = await events('c-1', 1, 9);
    const fourth = snapshotAt('c-1', 10, third);
    const s = store as unknown as { syncNow(): Promise<void> };
    const sync = s.syncNow.bind(store);
    s.syncNow = () => {
      s.syncNow = sync;
      return Promise.reject(new Error('EIO: the disk refused the flush'));
    };
    await expect(store.commit({ snapshots: [{ id: 'c-1', value: fourth, base: third }], identities: [], outbox: [], sync: true })).rejects.toThrow(/EIO/);
    // the caller retries from the base it had: the store writes the customer whole
    await store.commit({ snapshots: [{ id: 'c-1', value: fourth, base: third }], identities: [], outbox: [], sync: true });
    expect(await store.getSnapshot('c-1')).toEqual(fourth);
    const fifth = await events('c-1', 11, 11, fourth);
    await store.close();
    store = new LmdbStore(tmp.dir, { recordsPerSnapshot: 16 });
    expect(await store.getSnapshot('c-1')).toEqual(fifth);
  });

  it('reports a customer whose records cannot be folded once, and goes on committing the others', async () => {
    store = new LmdbStore(tmp.dir, { recordsPerSnapshot: 16 });
    await events('q', 1, 3);
    await store.close();
    // one of q's records damaged on disk
    const root = open({ path: tmp.dir, maxDbs: 32 });
    const changes = root.openDB<Buffer, LogKey>({ name: 'changes', encoding: 'binary' });
    const damaged = [...changes.getKeys()].find((k) => k[1] === 'q')!;
    await changes.put(damaged, Buffer.from([0xc1, 1, 2, 3]));
    await root.close();
    const warnings: string[] = [];
    store = new LmdbStore(tmp.dir, { recordsPerSnapshot: 16, logRecordsBehind: 2, warn: (message) => warnings.push(message) });
    const busy = await events('busy', 1, 8);
    expect(warnings).toEqual(['customer "q": change records cannot be folded into the snapshot; left as they are']);
    expect(await store.getSnapshot('busy')).toEqual(busy);
    await expect(store.getSnapshot('q')).rejects.toMatchObject({ code: 'internal', message: expect.stringContaining('customer "q": change record') });
  });

  it('is read by another thread\'s scan with the records folded in, all of the context or without named fields', async () => {
    store = new LmdbStore(tmp.dir, { recordsPerSnapshot: 16 });
    const a = await events('a', 1, 7);
    const b = await events('b', 1, 1);
    const scan = new LmdbScan(tmp.dir);
    try {
      expect([...scan.snapshotsIn()]).toEqual([
        { id: 'a', snapshot: a },
        { id: 'b', snapshot: b },
      ]);
      const without = [...scan.snapshotsIn(undefined, undefined, { fields: new Set(['seen']), version: 7 })];
      const { seen: _, ...rest } = (a.snapshot as { context: Ctx }).context;
      expect(without[0]).toEqual({ id: 'a', snapshot: { v: 7, snapshot: { value: 'active', context: rest } } });
    } finally {
      scan.close();
    }
  });
});
