import { describe, expect, it } from 'vitest';
import { KairosError } from './errors.js';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_STOP_LIST_SECRET } from './config.js';
import { packageRoot } from './paths.js';
import { IdentityConflictSchema } from './schema/http/identity-schemas.js';
import { StopList, legacyStopKey, maskIdentifier, stopKey } from './stop-list.js';
import { LmdbStore } from './store/lmdb-store.js';
import { MemoryStore } from './store/memory-store.js';

const S = DEMO_STOP_LIST_SECRET;

describe('stop list', () => {
  it('keys entries by a keyed hash of the normalised identifier, never the value', async () => {
    expect(stopKey('phone', '+7 (916) 123-45-67', S)).toBe(stopKey('phone', '89161234567', S));
    expect(stopKey('email', 'Irina@Bank.Example', S)).toBe(stopKey('email', 'irina@bank.example', S));
    expect(stopKey('phone', '+79161234567', S)).not.toBe(stopKey('customer', '+79161234567', S));
    expect(stopKey('phone', '+79161234567', S)).toMatch(/^[0-9a-f]{40}$/);
    const store = new MemoryStore();
    const list = new StopList(store, S);
    const e = await list.add({ kind: 'phone', value: '+7 916 123-45-67', reason: 'asked' }, 5, 'key:abc');
    expect(e).toEqual({ key: stopKey('phone', '+79161234567', S), kind: 'phone', hint: '+7 *** *** ** 67', reason: 'asked', at: 5, by: 'key:abc' });
    expect(JSON.stringify(await store.listStops())).not.toContain('1234567');
  });

  it('keys differ with the secret, and none is the unsalted SHA-256 a copy of the store could be searched with', async () => {
    const a = stopKey('phone', '+79161234567', 'first-secret-0123456789');
    const b = stopKey('phone', '+79161234567', 'other-secret-0123456789');
    expect(a).not.toBe(b);
    expect(a).not.toBe(legacyStopKey('phone', '+79161234567'));
    const one = new StopList(new MemoryStore(), 'first-secret-0123456789');
    expect(one.keyOf('phone', '+79161234567')).toBe(a);
    // the key of one secret does not match on a list keyed with another
    const store = new MemoryStore();
    const list = new StopList(store, 'other-secret-0123456789');
    await list.add({ kind: 'phone', value: '+79161234567' }, 1, undefined);
    await store.putStop({ key: a ?? '', kind: 'phone', hint: 'x', at: 2 });
    expect((await store.listStops()).length).toBe(2);
    expect(list.scopesFor('x', undefined, { phone: '+79161234567' })).toEqual([{}]);
  });

  it('refuses to start on a list keyed with another secret', async () => {
    const store = new MemoryStore();
    const a = new StopList(store, 'first-secret-0123456789');
    await a.load();
    await a.migrate();
    const b = new StopList(store, 'other-secret-0123456789');
    await b.load();
    await expect(b.migrate()).rejects.toThrow('another KAIROS_STOP_LIST_SECRET');
    const again = new StopList(store, 'first-secret-0123456789');
    await again.load();
    expect(await again.migrate()).toEqual({ rekeyed: 0, unmatched: [] });
  });

  it('re-keys the SHA-256 entries of an old LMDB store under the HMAC, and keeps matching those it cannot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-stop-'));
    try {
      const phone = '+79161234567';
      const old = new LmdbStore(dir);
      await old.importCustomers([{ id: 'c-1', record: { stage: 'client', profile: { firstName: 'Ирина' }, identifiers: { card: [], phone: [phone], email: ['irina@bank.example'], cookie: [] }, importedAt: 1 } }]);
      // entries as a store written before the HMAC holds them (no keying record)
      await old.putStop({ key: legacyStopKey('phone', phone) ?? '', kind: 'phone', hint: '+79*******67', channel: 'sms', at: 1 });
      await old.putStop({ key: legacyStopKey('customer', 'c-1') ?? '', kind: 'customer', hint: 'c-1', at: 2 });
      await old.putStop({ key: legacyStopKey('email', 'gone@bank.example') ?? '', kind: 'email', hint: 'g***@bank.example', at: 3 });
      await old.close();

      const store = new LmdbStore(dir);
      const list = new StopList(store, S);
      await list.load();
      const gone = legacyStopKey('email', 'gone@bank.example') ?? '';
      expect(await list.migrate()).toEqual({ rekeyed: 2, unmatched: [gone] });
      const keys = (await store.listStops()).map((e) => e.key).sort();
      expect(keys).toEqual([stopKey('phone', phone, S), stopKey('customer', 'c-1', S), gone].sort());
      expect(list.scopesFor('c-9', undefined, { phone })).toEqual([{ channel: 'sms' }]);
      expect(list.scopesFor('c-1', undefined, {})).toEqual([{}]);
      // the entry no identifier matched is still matched by its old key, after a restart too
      expect(list.scopesFor('c-9', undefined, { email: 'gone@bank.example' })).toEqual([{}]);
      await store.close();
      const reopened = new LmdbStore(dir);
      const next = new StopList(reopened, S);
      await next.load();
      expect(await next.migrate()).toEqual({ rekeyed: 0, unmatched: [gone] });
      expect(next.legacyKeys).toEqual([gone]);
      expect(next.scopesFor('c-9', undefined, { email: 'gone@bank.example' })).toEqual([{}]);
      expect(next.scopesFor('c-9', undefined, { phone })).toEqual([{ channel: 'sms' }]);
      // a search by the identifier finds the entry under its old key as well as under the new
      expect(next.keysOf('email', 'gone@bank.example')).toEqual([stopKey('email', 'gone@bank.example', S), gone]);
      expect(next.keysOf('phone', phone)).toEqual([stopKey('phone', phone, S)]);
      expect(next.keysOf('phone', 'not a phone')).toEqual([]);
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
    expect(maskIdentifier('card', 'card-12345')).toBe('**** 2345');
    expect(maskIdentifier('cookie', 'ck-abcdef')).toBe('***ef');
    expect(maskIdentifier('customer', 'demo-5')).toBe('demo-5');
  });

  it('is documented as it answers: each masked phone the docs show is maskIdentifier\'s, the conflicts\' identifierHash an HMAC', () => {
    const dir = join(packageRoot(), 'docs');
    const shown = readdirSync(dir)
      .filter((f) => f.endsWith('.md'))
      .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/`(\+7 \*{3}[^`]*)`/g)].map((m) => [f, m[1]!] as const));
    expect(shown.map(([f]) => f)).toEqual(expect.arrayContaining(['security.md', 'identity.md']));
    for (const [f, mask] of shown) expect(mask, f).toBe(maskIdentifier('phone', `+791612345${mask.slice(-2)}`));
    expect(IdentityConflictSchema.properties.identifierHash.description).toMatch(/HMAC-SHA-256 .*KAIROS_STOP_LIST_SECRET/);
  });

  it('gives hints that leave no cheap guess: at most two digits of a phone, four of a card', () => {
    const phone = '+79161234567';
    const hint = maskIdentifier('phone', phone);
    expect(hint).toBe('+7 *** *** ** 67');
    // besides the country code, only the last two of the ten digits: 10^8 candidates, each an HMAC under a secret the store lacks
    expect(hint.replace(/^\+7/, '').replace(/\D/g, '')).toBe('67');
    expect(maskIdentifier('phone', '8 (916) 123-45-67')).toBe(hint);
    expect(maskIdentifier('card', '4276123456789012').replace(/\D/g, '')).toBe('9012');
    expect(maskIdentifier('email', 'irina.petrova@bank.example')).not.toContain('rina');
  });
});
