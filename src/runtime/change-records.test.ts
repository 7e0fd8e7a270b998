import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../actors/index.js';
import { compileCatalog } from '../../actors/index.js';
import { testCatalogDef } from '../../actors/test-support/fixtures.js';
import { ManualClock } from '../clock.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { MemoryStore } from '../store/memory-store.js';
import type { CommitBatch, CustomerRecord, OutboxRecord } from '../store/store.js';
import { bareHost } from '../test-support/bare-host.js';
import { tempDir } from '../test-support/test-kairos.js';
import type { CustomerHost } from './customer-host.js';
import { importedClient } from '../test-support/imported-client.js';

/**
 * The host on LMDB with change records (docs/runtime.md#change-records): what a customer's
 * events change is appended to the store's log, the snapshot written whole once in
 * `recordsPerSnapshot` commits, and a customer read back (after passivation, after a restart)
 * is the one the host had.
 */

const HOUR = 3_600_000;
/** 10:00 in Moscow on a day of the manual clock */
const T0 = Date.UTC(2030, 0, 15, 7, 0);
const catalog = compileCatalog(testCatalogDef());

const client = (n: number): CustomerRecord => importedClient(n, T0 - 24 * HOUR);

let seq = 0;
const clock = new ManualClock(T0);
/** An event a minute after the one before (the clock moved with it). */
function next(): number {
  clock.advance(60_000);
  return clock.now();
}
const shortfall = (id: string, at: number): GatewayEvent => ({ id: `e-${++seq}`, type: 'atm.withdrawal.declined', customer: { id }, channel: 'atm', at, data: { requested: 1000, balance: 800 } });
const visit = (id: string, at: number): GatewayEvent => ({ id: `v-${++seq}`, type: 'web.page.viewed', customer: { id }, channel: 'web', at, data: { page: '/deposits' } });

describe('change records on the host', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: LmdbStore;
  let host: CustomerHost;
  const open = (recordsPerSnapshot: number, maxHotActors = 1000): void => {
    store = new LmdbStore(tmp.dir, { recordsPerSnapshot });
    host = bareHost(store, clock, catalog, { maxHotActors });
  };
  beforeEach(async () => {
    tmp = tempDir('kairos-records-');
    store = new LmdbStore(tmp.dir);
    await store.importCustomers([1, 2, 3].map((n) => ({ id: `c-${n}`, record: client(n) })));
    await store.close();
  });
  afterEach(async () => {
    await host?.close(1000).catch(() => undefined);
    await store?.close().catch(() => undefined);
    tmp.remove();
  });

  it('appends a record per commit after the first, also after a passivation, and reads the customer back the same after a restart', async () => {
    open(16, 1);
    const first = shortfall('c-1', clock.now());
    const firstId = first.id;
    expect((await host.submitEvent(first)).kind).toBe('decision');
    // activated from master data: the first commit writes the snapshot whole
    expect(store.changeLog()).toEqual({ records: 0, customers: 0 });
    for (let i = 1; i <= 3; i++) expect((await host.submitEvent(visit('c-1', next()))).kind).toBe('decision');
    expect(store.changeLog()).toEqual({ records: 3, customers: 1 });
    // c-2 takes the one live place: c-1 is passivated, then activated again from its snapshot and records
    expect((await host.submitEvent(visit('c-2', next()))).kind).toBe('decision');
    expect((await host.submitEvent(visit('c-1', next()))).kind).toBe('decision');
    // c-2's first commit was whole; c-1's after its activation from a snapshot is a record
    expect(store.changeLog()).toEqual({ records: 4, customers: 1 });
    const before = await host.view('c-1');
    expect(before?.contacts).toHaveLength(1);
    await host.close(1000);
    await store.close();

    open(16);
    expect(store.changeLog().customers).toBe(1);
    expect(await host.view('c-1')).toEqual(before);
    // the same request id is answered as before: the seen log came back with the records
    const again = await host.submitEvent({ ...shortfall('c-1', next()), id: firstId });
    expect(again).toMatchObject({ kind: 'decision', duplicate: true });
  });

  it('writes the snapshot whole once in recordsPerSnapshot commits, and every time with 1', async () => {
    open(4);
    for (let i = 0; i < 9; i++) expect((await host.submitEvent(visit('c-3', next()))).kind).toBe('decision');
    // whole at 1, records 2-4, whole at 5, records 6-8, whole at 9: nothing live in the log
    expect(store.changeLog().customers).toBe(0);
    const view = await host.view('c-3');
    await host.close(1000);
    await store.close();
    open(1);
    for (let i = 9; i < 12; i++) expect((await host.submitEvent(visit('c-3', next()))).kind).toBe('decision');
    expect(store.changeLog().customers).toBe(0);
    expect((await host.view('c-3'))?.profile).toEqual(view?.profile);
  });

  it('writes live, unchanged customers the store wants whole from memory with its next commit', async () => {
    /** A store that wants c-1 whole, and keeps what each commit held. */
    class Lagging extends MemoryStore {
      readonly batches: CommitBatch[] = [];
      laggingCustomers(): readonly string[] {
        return ['c-1', 'c-9'];
      }
      override commit(batch: CommitBatch): Promise<OutboxRecord[]> {
        this.batches.push(batch);
        return super.commit(batch);
      }
    }
    const lagging = new Lagging();
    await lagging.importCustomers([1, 2].map((n) => ({ id: `c-${n}`, record: client(n) })));
    host = bareHost(lagging, clock, catalog);
    expect((await host.submitEvent(visit('c-1', next()))).kind).toBe('decision');
    const c1 = lagging.batches.at(-1)!.snapshots.find((x) => x.id === 'c-1')!;
    lagging.batches.length = 0;
    // c-2's commit carries c-1 too, whole (no base), as it is live; c-9 is not live: left to the store
    expect((await host.submitEvent(visit('c-2', next()))).kind).toBe('decision');
    const ids = lagging.batches.flatMap((b) => b.snapshots.map((x) => [x.id, x.base === undefined ? 'whole' : 'record']));
    expect(ids).toEqual([
      ['c-2', 'whole'],
      ['c-1', 'whole'],
    ]);
    expect(lagging.batches.flatMap((b) => b.snapshots).find((x) => x.id === 'c-1')?.value).toEqual(c1.value);
    // and c-1's next change is a record against it
    lagging.batches.length = 0;
    expect((await host.submitEvent(visit('c-1', next()))).kind).toBe('decision');
    expect(lagging.batches.flatMap((b) => b.snapshots.filter((x) => x.id === 'c-1').map((x) => x.base === undefined))).toEqual([false]);
  });
});
