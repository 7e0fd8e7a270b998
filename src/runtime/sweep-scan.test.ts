import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initialCustomerContext } from '../../actors/index.js';
import { testCatalog } from '../../actors/test-support/fixtures.js';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { LmdbStore } from '../store/lmdb-store.js';
import type { CustomerRecord } from '../store/store.js';
import { SegmentSweep } from './segment-sweep.js';
import { SNAPSHOT_VERSION } from './snapshot-migrations.js';
import { workerSweepScanner } from './sweep-scan.js';

/**
 * The segment sweep's scan on a worker thread (sweep-scan.ts) against the same pass on the
 * event loop's thread: the same customers read, the same ones checked, across pages (7 a page
 * here) of snapshots and of master data without one; and a pass stopped midway stops its worker.
 */

/** The worker as built (`npm run build`): vitest runs the sources, which a worker thread cannot load. */
const workerUrl = new URL('../../dist/src/runtime/sweep-scan-worker.js', import.meta.url);
const T0 = Date.UTC(2031, 4, 20, 9, 0);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function base(): Promise<{ store: LmdbStore; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kairos-sweep-scan-'));
  dirs.push(dir);
  const store = new LmdbStore(dir);
  // 30 customers known only by the bank's file; 40 by a snapshot, every other one evaluated under the rules in force
  const record = (age: number): CustomerRecord => ({ stage: 'client', profile: { firstName: 'Ирина', age }, identifiers: {}, importedAt: T0 });
  await store.importCustomers(Array.from({ length: 30 }, (_, i) => ({ id: `m-${String(i).padStart(2, '0')}`, record: record(40 + i) })));
  // (and 10 of the file's customers known by a snapshot too: the records' pass steps over them)
  const snapshots = Array.from({ length: 50 }, (_, i) => {
    const id = i < 40 ? `s-${String(i).padStart(2, '0')}` : `m-${String(i - 40).padStart(2, '0')}`;
    const context = initialCustomerContext({ id, stage: 'prospect', profile: { age: 65 }, identifiers: {}, at: T0, reason: 'event' });
    if (i % 2 === 0) context.segmentsEvaluated = { day: Math.floor(T0 / 86_400_000), catalog: testCatalog.version, stage: 'prospect', rules: testCatalog.segmentsFingerprint };
    return { id, value: { v: SNAPSHOT_VERSION, snapshot: { value: 'active', context } } };
  });
  await store.commit({ snapshots, identities: [], outbox: [] });
  return { store, dir };
}

function sweep(store: LmdbStore, checked: string[], scanner?: ReturnType<typeof workerSweepScanner>, check?: (id: string) => Promise<boolean>): SegmentSweep {
  return new SegmentSweep({
    store,
    clock: new ManualClock(T0 + 3_600_000),
    catalog: () => testCatalog,
    logger: createLogger('silent'),
    check:
      check ??
      ((id) => {
        checked.push(id);
        return Promise.resolve(true);
      }),
    pageSize: 7,
    ...(scanner === undefined ? {} : { scanner }),
  });
}

describe('the segment sweep read on a worker thread', () => {
  it('reads and checks the customers the pass on this thread does, page after page', async () => {
    const { store, dir } = await base();
    const here: string[] = [];
    const there: string[] = [];
    const a = await sweep(store, here).run();
    let pages = 0;
    const counted: ReturnType<typeof workerSweepScanner> = async function* (o) {
      for await (const page of workerSweepScanner(dir, workerUrl, 7, 60_000, 2)(o)) {
        pages++;
        yield page;
      }
    };
    const b = await sweep(store, there, counted).run();
    expect(b).toEqual(a);
    expect(a.scanned).toBe(70);
    expect([...there].sort()).toEqual([...here].sort());
    // the worker's pages: 50 snapshots 7 keys a page, then 30 records' keys (10 stepped over)
    expect(pages).toBe(Math.ceil(50 / 7) + Math.ceil(30 / 7));
    // the test tells them apart: some are due, some not (the snapshots evaluated under these rules)
    expect(here.length).toBeGreaterThan(0);
    expect(here.length).toBeLessThan(70);
    expect(here.filter((id) => id.startsWith('m-'))).toHaveLength(25);
    await store.close();
  });

  it('stops its worker when the pass stops midway, and the pass stays unfinished', async () => {
    const { store, dir } = await base();
    const checked: string[] = [];
    let scanEnded = 0;
    let scanStarted = (): void => undefined;
    const watched: ReturnType<typeof workerSweepScanner> = async function* (o) {
      scanStarted();
      try {
        yield* workerSweepScanner(dir, workerUrl, 7, 60_000, 2)(o);
      } finally {
        scanEnded++;
      }
    };
    const held: { sweep?: SegmentSweep } = {};
    // stopped (the server closing) at the first check
    held.sweep = sweep(store, checked, watched, (id) => {
      checked.push(id);
      held.sweep!.stop();
      return Promise.resolve(true);
    });
    const result = await held.sweep.run();
    expect(result.scanned).toBeLessThan(70);
    expect(checked.length).toBeLessThanOrEqual(16);
    expect(scanEnded).toBe(1);
    expect(((await store.getMeta('segment-sweep')) as { finishedAt?: number }).finishedAt).toBeUndefined();
    // stopped while it waits for its first page: ended() resolves once the scan has ended too
    const again = sweep(store, [], watched);
    const started = new Promise<void>((resolve) => (scanStarted = resolve));
    const running = again.run();
    await started;
    again.stop();
    await again.ended();
    expect(scanEnded).toBe(2);
    expect((await running).checked).toBe(0);
    await store.close();
  });

  it('fails the pass, naming the scan, when the worker cannot read the store', async () => {
    const { store, dir } = await base();
    // a directory with no store in it (no keys file)
    const missing = join(dir, 'no-store-here');
    await expect(sweep(store, [], workerSweepScanner(missing, workerUrl, 7, 60_000, 2)).run()).rejects.toThrow(/segment sweep's scan failed: .*keys\.bin/);
    await store.close();
  });
});
