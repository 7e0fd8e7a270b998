import { describe, expect, it } from 'vitest';
import { demoCsvPath } from '../paths.js';
import { MemoryStore } from '../store/memory-store.js';
import type { ImportEntry } from '../store/store.js';
import { DEMO_META_KEY, DEMO_PROGRESS_KEY, loadDemoBank, readDemoCustomers } from './demo-bank.js';
import { demoPhone, generatePerson, translit } from './russian-names.js';

describe('demo customers', () => {
  it('reads all 45,211 rows in order, as demo-1 ... demo-45211', async () => {
    const ids: string[] = [];
    const phones = new Set<string>();
    let males = 0;
    for await (const c of readDemoCustomers(demoCsvPath(), 0)) {
      ids.push(c.id);
      phones.add(c.record.identifiers.phone![0]!);
      const p = c.record.profile;
      // Patronymic and surname agree with the generated gender.
      if (p.gender === 'm') {
        males++;
        expect(p.patronymic).toMatch(/(ич)$/);
        expect(p.lastName).not.toMatch(/(ова|ева|ина|ская)$/);
      } else {
        expect(p.patronymic).toMatch(/(на)$/);
        expect(p.lastName).not.toMatch(/(ов|ев|ин|ский)$/);
      }
    }
    expect(ids).toHaveLength(45_211);
    expect(ids[0]).toBe('demo-1');
    expect(ids.at(-1)).toBe('demo-45211');
    expect(phones.size).toBe(45_211);
    expect(males / 45_211).toBeGreaterThan(0.45);
    expect(males / 45_211).toBeLessThan(0.55);
  });

  it('generates the same person for the same row, every time', () => {
    expect(generatePerson(19, 60)).toEqual(generatePerson(19, 60));
    expect(generatePerson(19, 60)).not.toEqual(generatePerson(20, 60));
    const p = generatePerson(7, 30);
    expect(p.email).toBe(`${translit(p.firstName)}.${translit(p.lastName)}.7@bank.example`);
    expect(p.email).toMatch(/^[a-z.]+\.7@bank\.example$/);
    expect(demoPhone(1)).toMatch(/^\+79\d{9}$/);
    expect(translit('Щукина Юлия')).toBe('shchukina yuliya');
  });

  it('loads into an empty store once, and leaves a loaded store alone', async () => {
    const store = new MemoryStore();
    const first = await loadDemoBank(store, demoCsvPath(), 123);
    expect(first).toEqual({ loaded: true, customers: 45_211 });
    expect(await store.getMeta(DEMO_META_KEY)).toEqual({ loadedAt: 123, customers: 45_211 });
    expect(await store.lookupIdentity('card', 'card-45211')).toBe('demo-45211');
    const second = await loadDemoBank(store, demoCsvPath(), 456);
    expect(second).toEqual({ loaded: false, customers: 45_211 });
  });

  it('completes a load a stop interrupted: after the rows its progress marker counts, the bank marked loaded only then', async () => {
    const store = new MemoryStore();
    // a stop during the third batch: the first two are in, with the marker of the second
    const importCustomers = store.importCustomers.bind(store);
    let batches = 0;
    store.importCustomers = async (records: ReadonlyArray<ImportEntry>, marker?: { key: string; value: unknown }) => {
      if (++batches === 3) throw new Error('stopped');
      return importCustomers(records, marker);
    };
    await expect(loadDemoBank(store, demoCsvPath(), 123)).rejects.toThrow('stopped');
    expect(await store.getMeta(DEMO_META_KEY)).toBeUndefined();
    expect(await store.getMeta(DEMO_PROGRESS_KEY)).toEqual({ rows: 10_000, customers: 10_000 });
    expect(await store.countImported()).toBe(10_000);
    store.importCustomers = importCustomers;
    const imported: string[] = [];
    store.importCustomers = async (records, marker) => {
      imported.push(...records.map((r) => r.id));
      return importCustomers(records, marker);
    };
    expect(await loadDemoBank(store, demoCsvPath(), 456)).toEqual({ loaded: true, customers: 45_211, resumedWith: 10_000 });
    // the rest only, each once
    expect(imported).toHaveLength(35_211);
    expect(imported[0]).toBe('demo-10001');
    expect(await store.countImported()).toBe(45_211);
    expect(await store.lookupIdentity('card', 'card-45211')).toBe('demo-45211');
    expect(await store.getMeta(DEMO_META_KEY)).toEqual({ loadedAt: 456, customers: 45_211 });
    expect(await store.getMeta(DEMO_PROGRESS_KEY)).toBeUndefined();
    expect(await loadDemoBank(store, demoCsvPath(), 789)).toEqual({ loaded: false, customers: 45_211 });
  });

  it('completes a load an earlier build left partial (no progress marker), skipping the customers there; leaves a store of the bank’s own alone', async () => {
    const partial = new MemoryStore();
    const first: Array<{ id: string; record: ImportEntry['record'] }> = [];
    for await (const c of readDemoCustomers(demoCsvPath(), 1)) {
      if (first.length === 15_000) break;
      first.push(c);
    }
    for (let i = 0; i < first.length; i += 5000) await partial.importCustomers(first.slice(i, i + 5000));
    expect(await loadDemoBank(partial, demoCsvPath(), 2)).toEqual({ loaded: true, customers: 45_211, resumedWith: 15_000 });
    expect(await partial.hasCustomer('demo-40000')).toBe(true);
    expect(await partial.countImported()).toBe(45_211);
    // (the customers there kept as they were)
    expect((await partial.getCustomer('demo-1'))?.importedAt).toBe(1);

    const own = new MemoryStore();
    await own.importCustomers([{ id: 'c-1', record: { ...first[0]!.record, identifiers: { card: ['bank-card-1'], phone: [], email: [], cookie: [] } } }]);
    expect(await loadDemoBank(own, demoCsvPath(), 3)).toEqual({ loaded: false, customers: 0, others: 1 });
    expect(await own.hasCustomer('demo-1')).toBe(false);
    expect(await own.getMeta(DEMO_META_KEY)).toBeUndefined();
  });
});
