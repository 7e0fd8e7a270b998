import { writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LmdbStore } from '../store/lmdb-store.js';
import { tempDir } from '../test-support/test-kairos.js';
import type { ImportOptions, RejectSink } from './import-customers.js';
import { importCustomerRows, importPreparedRows } from './import-customers.js';
import { emptyMapping } from './import-mapping.js';
import { identityIndexOf, preparedRowsFromFile } from './prepared-rows.js';
import { readRows } from './read-rows.js';

/**
 * The direct import's prepared rows (prepared-rows.ts) with the store's identity index keys
 * computed beside the parsing: the same counts, rejects and records as the plain run, and the
 * index keys it writes are the store's own (its lookups find the owners). Run from TypeScript
 * the rows are prepared in this thread; the `kairos` command's tests run the built worker.
 */

const NOW = 1_700_000_000_000;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function sink(): RejectSink & { text: () => string } {
  let text = '';
  return { append: (t) => void (text += t), size: () => Buffer.byteLength(text), truncate: (b) => void (text = Buffer.from(text).subarray(0, b).toString()), text: () => text };
}

const csv = [
  'id,first_name,phone,email,card,stage',
  'b-1,Анна,+79161234567,anna@example.ru,4276000000000001,client',
  'b-2,Борис,8 916 765-43-21|+79160000002,,,',
  'b-3,Вера,+79161234567,,,', // Анна's phone
  'b-1,Анна,,,,', // a duplicate id
  'b-4,Глеб,,anna@example.ru,,', // Анна's e-mail
  'b-5,Дина,,,4276000000000001|4276000000000005,', // Анна's card among its own
  'b-6,Ева,,eva@example.ru,,former_client',
  'b-7,"Ж,ж",,,,',
  'b-8,Зоя,,,,,extra',
].join('\n');

describe('prepared rows with the identity index keys', () => {
  it('import as the plain run does, and write the index keys the store itself computes', async () => {
    const d = tempDir('kairos-prepared-');
    cleanups.push(d.remove);
    const file = join(d.dir, 'bank.csv');
    writeFileSync(file, `${csv}\n`);
    const plain = new LmdbStore(join(d.dir, 'plain'));
    cleanups.push(() => plain.close());
    const keyed = new LmdbStore(join(d.dir, 'keyed'));
    cleanups.push(() => keyed.close());
    const options = (rejects: RejectSink): ImportOptions => ({ source: file, mapping: emptyMapping, rejects, resume: false, now: NOW, batchSize: 2 });

    const plainRejects = sink();
    const a = await importCustomerRows(plain, readRows(Readable.from([`${csv}\n`]), 'csv'), options(plainRejects));
    const keyedRejects = sink();
    const index = identityIndexOf(keyed);
    const b = await importPreparedRows(keyed, preparedRowsFromFile(file, 'csv', emptyMapping, { now: NOW }), { ...options(keyedRejects), identityIndex: index.identityIndex });

    expect(b).toEqual(a);
    expect(a).toMatchObject({ rows: 9, created: 4, rejected: 5 });
    expect(keyedRejects.text()).toBe(plainRejects.text());
    for (const id of ['b-1', 'b-2', 'b-6', 'b-7']) expect(await keyed.getCustomer(id)).toEqual(await plain.getCustomer(id));
    expect(await keyed.lookupIdentity('phone', '+79167654321')).toBe('b-2');
    expect(await keyed.lookupIdentity('email', 'anna@example.ru')).toBe('b-1');
    expect(await keyed.lookupIdentity('card', '4276000000000001')).toBe('b-1');
    expect(await keyed.lookupIdentity('card', '4276000000000005')).toBeUndefined();

    // a second file finds the owners by the keys: b-9 takes Ева's e-mail, b-6 keeps its own
    const again = join(d.dir, 'again.csv');
    writeFileSync(again, 'id,email\nb-9,eva@example.ru\nb-6,eva@example.ru\n');
    const second = sink();
    const c = await importPreparedRows(keyed, preparedRowsFromFile(again, 'csv', emptyMapping, { now: NOW }), { ...options(second), source: again, identityIndex: index.identityIndex });
    expect(c).toMatchObject({ rows: 2, created: 0, unchanged: 1, rejected: 1 });
    expect(second.text()).toContain('2,email,identifier_taken,"b-9,eva@example.ru"');
  });

  it('frees for a later row an identifier an earlier row dropped or cleared, by its index key, in its batch or the one after (LMDB)', async () => {
    const d = tempDir('kairos-prepared-');
    cleanups.push(d.remove);
    const store = new LmdbStore(join(d.dir, 'store'));
    cleanups.push(() => store.close());
    const index = identityIndexOf(store);
    const importFile = async (name: string, text: string, format: 'csv' | 'ndjson' = 'csv') => {
      const file = join(d.dir, name);
      writeFileSync(file, text);
      const rejects = sink();
      const result = await importPreparedRows(store, preparedRowsFromFile(file, format, emptyMapping, { now: NOW }), { source: file, mapping: emptyMapping, rejects, resume: false, now: NOW, batchSize: 2, identityIndex: identityIndexOf(store).identityIndex });
      return { result, rejects: rejects.text() };
    };
    expect(index.empty).toBe(true);
    await importFile('mv1.csv', 'id,phone,email\nMV1,+79160000101,mv1@example.ru\nMV2,+79160000102,\nMV3,+79160000104,\n');
    // MV1 gives 101 up, MV2 takes it (one batch); MV3 gives 104 up, MV4 (new, the batch after) takes it
    const second = await importFile('mv2.csv', 'id,phone\nMV1,+79160000103\nMV2,+79160000101\nMV3,+79160000105\nMV6,+79160000106\nMV4,+79160000104\n');
    expect(second.rejects).toBe('line,column,reason,raw\n');
    expect(second.result).toMatchObject({ rows: 5, created: 2, updated: 3, rejected: 0 });
    expect(await Promise.all(['101', '102', '103', '104', '105'].map((n) => store.lookupIdentity('phone', `+79160000${n}`)))).toEqual(['MV2', undefined, 'MV1', 'MV4', 'MV3']);
    // NDJSON: MV1's e-mail cleared ([]) and given, a row later, to MV5
    const third = await importFile('mv3.ndjson', '{"id":"MV1","email":[]}\n{"id":"MV5","email":"MV1@example.ru"}\n', 'ndjson');
    expect(third.result).toMatchObject({ created: 1, updated: 1, rejected: 0 });
    expect(await store.lookupIdentity('email', 'mv1@example.ru')).toBe('MV5');
    expect((await store.getCustomer('MV1'))!.identifiers).toEqual({ phone: ['+79160000103'] });
  });

  it('into a store with no customer: records sealed with the rows, identifiers unread unless met; the same store as the plain run', async () => {
    const d = tempDir('kairos-prepared-');
    cleanups.push(d.remove);
    const file = join(d.dir, 'bank.csv');
    writeFileSync(file, `${csv}\n`);
    const plain = new LmdbStore(join(d.dir, 'plain'));
    cleanups.push(() => plain.close());
    const fresh = new LmdbStore(join(d.dir, 'fresh'));
    cleanups.push(() => fresh.close());
    const options = (rejects: RejectSink): ImportOptions => ({ source: file, mapping: emptyMapping, rejects, resume: false, now: NOW, batchSize: 2 });

    const plainRejects = sink();
    const a = await importCustomerRows(plain, readRows(Readable.from([`${csv}\n`]), 'csv'), options(plainRejects));
    const index = identityIndexOf(fresh);
    expect(index.empty).toBe(true);
    const rows = preparedRowsFromFile(file, 'csv', emptyMapping, { now: NOW, seal: true });
    const freshRejects = sink();
    const b = await importPreparedRows(fresh, rows, { ...options(freshRejects), identityIndex: index.identityIndex });

    expect(b).toEqual(a);
    expect(freshRejects.text()).toBe(plainRejects.text());
    // read back through the store: unsealed with the keys the rows brought, as its own records
    for (const id of ['b-1', 'b-2', 'b-6', 'b-7']) expect(await fresh.getCustomer(id)).toEqual(await plain.getCustomer(id));
    expect(await fresh.getCustomer('b-3')).toBeUndefined();
    expect(await fresh.lookupIdentity('phone', '+79167654321')).toBe('b-2');
    expect(await fresh.lookupIdentity('card', '4276000000000001')).toBe('b-1');
    expect(fresh.holdsNoCustomers()).toBe(false);

    // no longer empty: a second run reads the stored records; rows sealed as new customers are refused there
    await expect(importPreparedRows(fresh, preparedRowsFromFile(file, 'csv', emptyMapping, { now: NOW, seal: true }), { ...options(sink()), identityIndex: index.identityIndex })).rejects.toThrow(/sealed as a new customer, but the store held customers/);
    const again = join(d.dir, 'again.csv');
    writeFileSync(again, 'id,first_name,email\nb-1,Анна,anna@example.ru\nb-9,Ия,eva@example.ru\nb-10,Кира,kira@example.ru\n');
    const second = sink();
    const later = identityIndexOf(fresh);
    expect(later.empty).toBe(false);
    const c = await importPreparedRows(fresh, preparedRowsFromFile(again, 'csv', emptyMapping, { now: NOW, seal: later.empty }), { ...options(second), source: again, identityIndex: later.identityIndex });
    const d2 = await importCustomerRows(plain, readRows(Readable.from(['id,first_name,email\nb-1,Анна,anna@example.ru\nb-9,Ия,eva@example.ru\nb-10,Кира,kira@example.ru\n']), 'csv'), { ...options(sink()), source: again });
    expect(c).toEqual(d2);
    expect(c).toMatchObject({ rows: 3, created: 1, rejected: 1 });
    for (const id of ['b-1', 'b-10']) expect(await fresh.getCustomer(id)).toEqual(await plain.getCustomer(id));
    expect((await fresh.getCustomer('b-10'))?.profile.firstName).toBe('Кира');
  });

  it('a record sealed away from the store survives its reopening (the key written to the keyring before the commit)', async () => {
    const d = tempDir('kairos-prepared-');
    cleanups.push(d.remove);
    const file = join(d.dir, 'bank.csv');
    writeFileSync(file, `${csv}\n`);
    const path = join(d.dir, 'store');
    const store = new LmdbStore(path);
    const index = identityIndexOf(store);
    await importPreparedRows(store, preparedRowsFromFile(file, 'csv', emptyMapping, { now: NOW, seal: true }), { source: file, mapping: emptyMapping, rejects: sink(), resume: false, now: NOW, batchSize: 3, identityIndex: index.identityIndex });
    const before = await store.getCustomer('b-6');
    await store.close();
    const reopened = new LmdbStore(path);
    cleanups.push(() => reopened.close());
    expect(before?.stage).toBe('formerClient');
    expect(await reopened.getCustomer('b-6')).toEqual(before);
    expect(await reopened.getCustomer('b-1')).toMatchObject({ profile: { firstName: 'Анна' } });
  });
});
