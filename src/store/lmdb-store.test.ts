import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { pack } from 'msgpackr';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LmdbStore } from './lmdb-store.js';
import type { CustomerRecord } from './store.js';
import { describeStoreContract } from './store.contract.js';

// Every way of committing: on this thread without a flush per commit (`commit` durability,
// the default), with pwrite or through the write map, and on LMDB's writer thread with an
// fsync per commit (`strict`).
for (const [name, options] of [
  ['lmdb', {}],
  ['lmdb (write map)', { writeMap: true }],
  ['lmdb (syncEachCommit)', { syncEachCommit: true }],
] as const) {
  describeStoreContract(
    name,
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'kairos-lmdb-'));
      return Promise.resolve({
        store: new LmdbStore(dir, options),
        reopen: () => Promise.resolve(new LmdbStore(dir, options)),
        cleanup: () => {
          rmSync(dir, { recursive: true, force: true });
          return Promise.resolve();
        },
      });
    },
    { durable: true },
  );
}

describe('lmdb customer records', () => {
  const record = (age: number): CustomerRecord => ({
    stage: 'client',
    profile: { firstName: 'Анна', patronymic: 'Петровна', lastName: 'Иванова', age, balance: 120_000, city: 'Москва' },
    identifiers: { card: [], phone: ['+79001234567'], email: [], cookie: [] },
    consents: { sms: { granted: true, at: 1_700_000_000_000, source: 'import' } },
    importedAt: 1_700_000_000_000,
  });
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kairos-lmdb-customers-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores imported records with shared structures: about half the bytes of plain MessagePack, read back whole', async () => {
    const store = new LmdbStore(dir);
    const batch = Array.from({ length: 200 }, (_, i) => ({ id: `c-${i}`, record: record(18 + (i % 80)) }));
    await store.importCustomers(batch);
    expect(await store.countImported()).toBe(200);
    for (const { id, record: r } of batch) expect(await store.getCustomer(id)).toEqual(r);
    await store.close();
    // Another process (a fresh environment) decodes them from the structures in the store.
    const root = open({ path: dir, maxDbs: 16, readOnly: true });
    const raw = root.openDB<Buffer, string>({ name: 'customers-rec', encoding: 'binary' });
    const stored = raw.getBinary('c-47')!.length;
    expect(stored).toBeLessThan(pack(record(65)).length * 0.6);
    await root.close();
    const again = new LmdbStore(dir);
    expect(await again.getCustomer('c-47')).toEqual(record(18 + 47));
    await again.close();
  });

  it('reads records an earlier version wrote (plain, ages 64–127 included) until re-imported or erased', async () => {
    const root = open({ path: dir, maxDbs: 16 });
    const old = root.openDB<CustomerRecord, string>({ name: 'customers' });
    await old.put('old-1', record(65));
    await old.put('old-2', record(70));
    await root.close();
    const store = new LmdbStore(dir);
    // New records with structures beside the old ones: the old ones' small integers stay numbers.
    await store.importCustomers([{ id: 'new-1', record: record(30) }]);
    expect(await store.getCustomer('old-1')).toEqual(record(65));
    expect(await store.getCustomer('new-1')).toEqual(record(30));
    expect(await store.hasCustomer('old-2')).toBe(true);
    expect(await store.countImported()).toBe(3);
    await store.importCustomers([{ id: 'old-1', record: record(66) }]);
    expect(await store.getCustomer('old-1')).toEqual(record(66));
    expect(await store.countImported()).toBe(3);
    expect(await store.eraseCustomer('old-2', [])).toBe(true);
    expect(await store.hasCustomer('old-2')).toBe(false);
    expect(await store.countImported()).toBe(2);
    await store.close();
  });
});
