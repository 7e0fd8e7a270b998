import { describe, expect, it } from 'vitest';
import { KairosError } from './errors.js';
import { StopList, maskIdentifier, stopKey } from './stop-list.js';
import { MemoryStore } from './store/memory-store.js';

describe('stop list', () => {
  it('keys entries by a hash of the normalised identifier, never the value', async () => {
    expect(stopKey('phone', '+7 (916) 123-45-67')).toBe(stopKey('phone', '89161234567'));
    expect(stopKey('email', 'Irina@Bank.Example')).toBe(stopKey('email', 'irina@bank.example'));
    expect(stopKey('phone', '+79161234567')).not.toBe(stopKey('customer', '+79161234567'));
    const store = new MemoryStore();
    const list = new StopList(store);
    const e = await list.add({ kind: 'phone', value: '+7 916 123-45-67', reason: 'asked' }, 5, 'key:abc');
    expect(e).toEqual({ key: stopKey('phone', '+79161234567'), kind: 'phone', hint: '+79*******67', reason: 'asked', at: 5, by: 'key:abc' });
    expect(JSON.stringify(await store.listStops())).not.toContain('1234567');
  });

  it('matches a customer by id, by the identifiers it holds and by those the event names', async () => {
    const list = new StopList(new MemoryStore());
    await list.add({ kind: 'email', value: 'a@b.example', channel: 'email' }, 1, undefined);
    await list.add({ kind: 'customer', value: 'demo-7', campaign: 'atm-shortfall' }, 2, undefined);
    await list.add({ kind: 'cookie', value: 'ck-1' }, 3, undefined);
    const ids = { card: [], phone: [], email: ['a@b.example'], cookie: [] };
    expect(list.scopesFor('demo-7', ids, {})).toEqual([{ campaign: 'atm-shortfall' }, { channel: 'email' }]);
    expect(list.scopesFor('demo-8', undefined, { cookie: 'ck-1' })).toEqual([{}]);
    expect(list.scopesFor('demo-9', undefined, {})).toEqual([]);
  });

  it('survives a reload from the store, and removes by key and scope', async () => {
    const store = new MemoryStore();
    const a = new StopList(store);
    const e = await a.add({ kind: 'card', value: 'card-77', channel: 'sms' }, 1, undefined);
    await a.add({ kind: 'card', value: 'card-77' }, 2, undefined);
    const b = new StopList(store);
    await b.load();
    expect(b.size).toBe(2);
    expect(await b.remove(e.key, 'sms', undefined)).toBe(true);
    expect(await b.remove(e.key, 'sms', undefined)).toBe(false);
    expect(b.scopesFor('x', undefined, { card: 'card-77' })).toEqual([{}]);
  });

  it('rejects what is not an identifier', async () => {
    const list = new StopList(new MemoryStore());
    await expect(list.add({ kind: 'phone', value: 'nope' }, 1, undefined)).rejects.toThrow(KairosError);
    await expect(list.add({ kind: 'fax' as never, value: '1' }, 1, undefined)).rejects.toThrow('field "kind"');
    await expect(list.add({ kind: 'customer', value: 'x', channel: 'fax' }, 1, undefined)).rejects.toThrow('field "channel"');
  });

  it('masks identifiers for people reading the list', () => {
    expect(maskIdentifier('email', 'irina.petrova@bank.example')).toBe('i***@bank.example');
    expect(maskIdentifier('card', 'card-12345')).toBe('card-***5');
    expect(maskIdentifier('customer', 'demo-5')).toBe('demo-5');
  });
});
