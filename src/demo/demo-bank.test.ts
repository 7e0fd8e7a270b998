import { describe, expect, it } from 'vitest';
import { demoCsvPath } from '../paths.js';
import { MemoryStore } from '../store/memory-store.js';
import { DEMO_META_KEY, loadDemoBank, readDemoCustomers } from './demo-bank.js';
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
});
