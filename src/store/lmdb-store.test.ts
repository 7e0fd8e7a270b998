import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { pack } from 'msgpackr';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LmdbStore, compareCodePoints, lmdbMapSize } from './lmdb-store.js';
import { encodeSnapshot } from './snapshot-codec.js';
import { unseal } from './keyring.js';
import type { CustomerRecord } from './store.js';
import { tempDir } from '../test-support/test-kairos.js';
import { describeStoreContract, offerEntry } from './store.contract.js';

// Every way of committing: on this thread without a flush per commit (`commit` durability,
// the default), with pwrite or through the write map, and on LMDB's writer thread with an
// fsync per commit (`strict`); and reads without the worker-thread prefetch.
for (const [name, options] of [
  ['lmdb', {}],
  ['lmdb (write map)', { writeMap: true }],
  ['lmdb (syncEachCommit)', { syncEachCommit: true }],
  ['lmdb (no prefetch)', { prefetch: false }],
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

/** The directory of the running test, in the describe blocks that call `freshDirEachTest`. */
let dir = '';

/** Gives each test of the enclosing describe a fresh temporary directory (`dir`), removed after it. */
function freshDirEachTest(prefix: string): void {
  let tmp: ReturnType<typeof tempDir> | undefined;
  beforeEach(() => {
    tmp = tempDir(prefix);
    dir = tmp.dir;
  });
  afterEach(() => tmp?.remove());
}

describe('lmdb files', () => {
  const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

  it("are the owner's alone: the directories it makes 0700, data.mdb, lock.mdb and keys.bin 0600, also those an earlier build left readable", async () => {
    const t = tempDir();
    try {
      const dir = join(t.dir, 'data', 'lmdb');
      let store = new LmdbStore(dir);
      await store.putMeta('m', 1);
      const files = ['data.mdb', 'lock.mdb', 'keys.bin'].map((f) => join(dir, f));
      expect([join(t.dir, 'data'), dir, ...files].map(mode)).toEqual(['700', '700', '600', '600', '600']);
      await store.close();
      // a store an earlier build opened with the umask's modes: made private at the next open
      for (const f of files) chmodSync(f, 0o644);
      store = new LmdbStore(dir);
      expect(files.map(mode)).toEqual(['600', '600', '600']);
      expect(await store.getMeta('m')).toBe(1);
      await store.close();
    } finally {
      t.remove();
    }
  });
});

describe('string keys in LMDB order', () => {
  it('compares as UTF-8 bytes do (code point order), past the BMP too (property)', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('', 'a', 'id-1', '\u{1F600}', '\uFFFF', '\uE000', 'я'));
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('lmdb customer records', () => {
  const record = (age: number): CustomerRecord => ({
    stage: 'client',
    profile: { firstName: 'Анна', patronymic: 'Петровна', lastName: 'Иванова', age, balance: 120_000, city: 'Москва' },
    identifiers: { card: [], phone: ['+79001234567'], email: [], cookie: [] },
    consents: { sms: { granted: true, at: 1_700_000_000_000, source: 'import' } },
    importedAt: 1_700_000_000_000,
  });
  freshDirEachTest('kairos-lmdb-customers-');

  it('stores imported records sealed under the customer\'s key: no name in clear, 29 bytes over plain MessagePack, read back whole', async () => {
    const store = new LmdbStore(dir);
    const batch = Array.from({ length: 200 }, (_, i) => ({ id: `c-${i}`, record: record(18 + (i % 80)) }));
    await store.importCustomers(batch);
    expect(await store.countImported()).toBe(200);
    for (const { id, record: r } of batch) expect(await store.getCustomer(id)).toEqual(r);
    await store.close();
    const root = open({ path: dir, maxDbs: 16, readOnly: true });
    const raw = root.openDB<Buffer, string>({ name: 'customers-sealed', encoding: 'binary' });
    const stored = raw.getBinary('c-47')!;
    expect(stored.length).toBe(pack(record(65)).length + 29);
    expect(stored.includes(Buffer.from('Иванова'))).toBe(false);
    await root.close();
    expect(readFileSync(join(dir, 'data.mdb')).includes(Buffer.from('+79001234567'))).toBe(false);
    const again = new LmdbStore(dir);
    expect(await again.getCustomer('c-47')).toEqual(record(18 + 47));
    expect(await again.lookupIdentity('phone', '+79001234567')).toMatch(/^c-/);
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

describe('lmdb stores written before the sealing', () => {
  freshDirEachTest('kairos-lmdb-clear-');

  it('reads snapshots, identity keys and outbox records in clear, seals them when written again, and erases the clear identity keys', async () => {
    const root = open({ path: dir, maxDbs: 16 });
    const snapshots = root.openDB<Buffer, string>({ name: 'snapshots-mp', encoding: 'binary' });
    const identities = root.openDB<string, string>({ name: 'identities', encoding: 'string' });
    const outbox = root.openDB<unknown, [string, string]>({ name: 'outbox' });
    const order = root.openDB<string, [string, number]>({ name: 'outbox-order', encoding: 'string' });
    const entry = { ...offerEntry('c-1', 'c-1:1.a'), seq: 7, attempts: 0 };
    await snapshots.put('c-1', encodeSnapshot({ v: 1, snapshot: { value: 'idle', context: { name: 'Иванова' } } }));
    await identities.put('phone:+79001234567', 'c-1');
    await outbox.put([entry.channel, entry.instance], entry);
    await order.put([entry.channel, entry.seq], entry.instance);
    await root.close();

    const store = new LmdbStore(dir);
    expect(await store.getSnapshot('c-1')).toEqual({ v: 1, snapshot: { value: 'idle', context: { name: 'Иванова' } } });
    expect(await store.lookupIdentity('phone', '+79001234567')).toBe('c-1');
    expect(await store.getOutbox(entry.channel, entry.instance)).toEqual(entry);
    expect(await store.listOutbox(entry.channel, 10)).toEqual([entry]);
    expect(await store.failOutbox(entry.channel, entry.instance, 'busy')).toBe(true);
    expect(await store.getOutbox(entry.channel, entry.instance)).toMatchObject({ attempts: 1, lastError: 'busy' });
    await store.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { value: 'idle', context: { name: 'Петрова' } } } }], identities: [], outbox: [] });
    expect(await store.getSnapshot('c-1')).toEqual({ v: 1, snapshot: { value: 'idle', context: { name: 'Петрова' } } });
    expect(await store.eraseCustomer('c-1', [{ kind: 'phone', value: '+79001234567' }])).toBe(true);
    expect(await store.lookupIdentity('phone', '+79001234567')).toBeUndefined();
    expect(await store.getSnapshot('c-1')).toBeUndefined();
    expect(await store.listOutbox(entry.channel, 10)).toEqual([]);
    await store.close();
    const raw = readFileSync(join(dir, 'data.mdb'));
    expect(raw.includes(Buffer.from('Петрова'))).toBe(false);
  });
});

describe('lmdb outbox order', () => {
  freshDirEachTest('kairos-lmdb-outbox-');

  it('builds the order index of a store written before it, once, at open', async () => {
    const a = new LmdbStore(dir);
    await a.commit({ snapshots: [], identities: [], outbox: [offerEntry('c-1', 'i-1', 1), offerEntry('c-2', 'i-2', 2), offerEntry('c-3', 'i-3', 3)] });
    await a.close();
    // As an earlier version left it: the entries, no index.
    const root = open({ path: dir });
    await root.openDB({ name: 'outbox-order', encoding: 'string' }).clearAsync();
    await root.close();
    const b = new LmdbStore(dir);
    try {
      expect((await b.listOutbox('sms', 2)).map((r) => r.instance)).toEqual(['i-1', 'i-2']);
      const [second] = await b.listOutbox('sms', 1, (await b.getOutbox('sms', 'i-1'))!.seq);
      expect(second?.instance).toBe('i-2');
      expect(await b.removeOutbox('sms', 'i-2')).toBe(true);
      expect((await b.listOutbox('sms', 10)).map((r) => r.instance)).toEqual(['i-1', 'i-3']);
    } finally {
      await b.close();
    }
  });
});

describe('lmdb prefetch', () => {
  freshDirEachTest('kairos-lmdb-prefetch-');

  // A customer who is not live has their pages faulted in on a worker thread: the event loop
  // runs other work meanwhile. Without prefetch nothing waits, and the reads that follow are
  // synchronous (faulting on the event loop).
  for (const prefetch of [true, false]) {
    it(`${prefetch ? 'yields' : 'does not yield'} the event loop before an activation's reads (prefetch ${prefetch})`, async () => {
      const store = new LmdbStore(dir, { prefetch });
      try {
        await store.importCustomers([{ id: 'c-1', record: { stage: 'client', profile: { age: 61 }, identifiers: { phone: ['+79990000001'] }, importedAt: 0 } }]);
        const order: string[] = [];
        const immediate = new Promise<void>((resolve) =>
          setImmediate(() => {
            order.push('other work');
            resolve();
          }),
        );
        const fetched = store.prefetchCustomer('c-1').then((waited) => {
          order.push(`prefetched ${waited}`);
        });
        await Promise.all([immediate, fetched]);
        expect(order).toEqual(prefetch ? ['other work', 'prefetched true'] : ['prefetched false', 'other work']);
        // The activation's own call right after finds the pages warm and does not wait again.
        expect(await store.prefetchCustomer('c-1')).toBe(false);
        // What is read next is the same either way.
        expect(await store.hasCustomer('c-1')).toBe(true);
        expect((await store.getCustomer('c-1'))?.profile).toEqual({ age: 61 });
        expect(await store.getSnapshot('c-1')).toBeUndefined();
        expect(await store.prefetchCustomer('c-2')).toBe(prefetch);
        expect(await store.hasCustomer('c-2')).toBe(false);
        expect(await store.lookupIdentity('phone', '+79990000001')).toBe('c-1');
        expect(await store.lookupIdentity('phone', '+79990000002')).toBeUndefined();
      } finally {
        await store.close();
      }
    });

    it(`brings a run's page in at once, the activations then not waiting (prefetch ${prefetch})`, async () => {
      const store = new LmdbStore(dir, { prefetch });
      try {
        await store.importCustomers(['p-1', 'p-2'].map((id) => ({ id, record: { stage: 'client' as const, profile: { age: 61 }, identifiers: {}, importedAt: 0 } })));
        const order: string[] = [];
        const immediate = new Promise<void>((resolve) =>
          setImmediate(() => {
            order.push('other work');
            resolve();
          }),
        );
        await Promise.all([immediate, store.prefetchCustomers(['p-1', 'p-2', 'p-3']).then(() => order.push('page prefetched'))]);
        expect(order).toEqual(prefetch ? ['other work', 'page prefetched'] : ['page prefetched', 'other work']);
        // each customer of the page is warm: its activation's own call does not wait
        for (const id of ['p-1', 'p-2', 'p-3']) expect(await store.prefetchCustomer(id)).toBe(false);
        expect((await store.getCustomer('p-2'))?.profile).toEqual({ age: 61 });
        expect(await store.hasCustomer('p-3')).toBe(false);
      } finally {
        await store.close();
      }
    });
  }
});

describe('lmdb memory map', () => {
  freshDirEachTest('kairos-lmdb-map-');
  const mappings = (): number => readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.endsWith(join(dir, 'data.mdb'))).length;
  const batch = (from: number) => Array.from({ length: 5_000 }, (_, i) => ({ id: `c-${from + i}`, record: { stage: 'client' as const, profile: { age: 30, note: 'x'.repeat(300) }, identifiers: { phone: [`+7999${from + i}`] }, importedAt: 0 } }));

  // lmdb-js maps anew each time the file outgrows its map and keeps the old mappings: the
  // same pages then count twice in RSS. A map sized ahead is mapped once while the file grows.
  it.runIf(process.platform === 'linux')('maps the file once while it grows by megabytes', async () => {
    const store = new LmdbStore(dir);
    try {
      for (let from = 0; from < 20_000; from += 5_000) await store.importCustomers(batch(from));
      expect(await store.getCustomer('c-19999')).toBeDefined();
      expect(mappings()).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('sizes the map from what the file holds, so a sparse write-map file does not grow it at each restart', async () => {
    expect(lmdbMapSize(dir)).toBe(32 * 2 ** 30);
    for (let round = 0; round < 2; round++) {
      const store = new LmdbStore(dir, { writeMap: true });
      await store.importCustomers(batch(round * 5_000));
      await store.close();
      expect(lmdbMapSize(dir)).toBe(32 * 2 ** 30);
    }
  });
});

describe("lmdb segment members listed by page", () => {
  freshDirEachTest('kairos-lmdb-members-');

  it('gives every member once in the keys\' own order (UTF-8 bytes), whatever the ids\' characters', async () => {
    const store = new LmdbStore(dir);
    try {
      // "a😀" sorts after "aＡ" in UTF-8 bytes, before it in JavaScript's UTF-16 order
      const ids = ['b', 'a😀', 'aＡ', 'a', 'ä'];
      await store.setSegmentMembers(ids.map((id) => ({ id, segments: ['s'] })));
      const whole = await store.listSegmentMembers('s', 100);
      expect(whole).toEqual([...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
      const paged: string[] = [];
      let after: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await store.listSegmentMembers('s', 1, after);
        if (page.length === 0) break;
        paged.push(...page);
        after = page.at(-1);
      }
      expect(paged).toEqual(whole);
    } finally {
      await store.close();
    }
  });
});

/** The store's next write transaction (either kind) runs its body, then aborts as a commit that fails. */
function failNextTransaction(store: LmdbStore): void {
  const root = (store as unknown as { root: { transaction: (cb: () => unknown) => Promise<unknown>; transactionSync: (cb: () => unknown) => unknown } }).root;
  const { transaction, transactionSync } = root;
  const restore = (): void => {
    root.transaction = transaction;
    root.transactionSync = transactionSync;
  };
  const fail = (cb: () => unknown): never => {
    restore();
    return root.transactionSync(() => {
      cb();
      throw new Error('MDB_MAP_FULL (injected)');
    }) as never;
  };
  root.transactionSync = fail;
  root.transaction = (cb) => {
    try {
      return Promise.resolve(fail(cb));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };
}

describe('lmdb key slots drawn by a write that does not commit', () => {
  freshDirEachTest('kairos-lmdb-drawn-');
  /** a value nested deeper than any encoder writes: the write that holds it throws */
  const deep = (levels: number): unknown => {
    let v: unknown = 'bottom';
    for (let i = 0; i < levels; i++) v = [v];
    return v;
  };
  const snap = { v: 1, snapshot: { context: { id: 'p-1', profile: { firstName: 'Секретная' } }, value: 'prospect' } };

  it('are forgotten when a commit aborts: the customer committed next is sealed under a key a key-slots row names, read after a restart and erased for good', async () => {
    let store = new LmdbStore(dir);
    // a new customer's first sealed write, then a reminder no encoder writes: the transaction aborts
    await expect(
      store.commit({ snapshots: [{ id: 'p-1', value: snap }], identities: [], outbox: [], reminders: { set: [{ key: 'p-2|x', customer: 'p-2', due: 1, event: { type: 'x', data: { deep: deep(20_000) } } as never }], remove: [] } }),
    ).rejects.toThrow();
    // the customer's change alone (the write-behind's retry of the batch's good half)
    await store.commit({ snapshots: [{ id: 'p-1', value: snap }], identities: [], outbox: [] });
    await store.close();
    const raw = open({ path: dir, maxDbs: 32, readOnly: true });
    const slot = raw.openDB<number, string>({ name: 'key-slots' }).get('p-1');
    const sealed = Buffer.from(raw.openDB<Buffer, string>({ name: 'snapshots-mp', encoding: 'binary' }).getBinary('p-1')!);
    await raw.close();
    expect(slot).toBeTypeOf('number');
    store = new LmdbStore(dir);
    expect(await store.getSnapshot('p-1')).toEqual(snap);
    expect(await store.eraseCustomer('p-1', [])).toBe(true);
    await store.close();
    // no slot of keys.bin opens the erased snapshot
    const keys = readFileSync(join(dir, 'keys.bin'));
    for (let s = 1; s * 32 < keys.length; s++) expect(unseal(keys.subarray(s * 32, s * 32 + 32), 'p-1', sealed)).toBeUndefined();
  });

  it('are forgotten when an import batch aborts: the rows imported again are read after a restart', async () => {
    const record = (profile: Record<string, unknown>): CustomerRecord => ({ stage: 'client', profile, identifiers: { phone: ['+79990000077'] }, importedAt: 0 });
    let store = new LmdbStore(dir);
    // the batch written, then its transaction aborts (a full map, a full disk)
    failNextTransaction(store);
    await expect(store.importCustomers([{ id: 'a-1', record: record({ age: 40 }) }])).rejects.toThrow('injected');
    await store.importCustomers([{ id: 'a-1', record: record({ age: 40 }) }]);
    expect(await store.getCustomer('a-1')).toEqual(record({ age: 40 }));
    await store.close();
    store = new LmdbStore(dir);
    expect(await store.getCustomer('a-1')).toEqual(record({ age: 40 }));
    await store.close();
  });
});

describe('lmdb erasure whose transaction does not commit', () => {
  freshDirEachTest('kairos-lmdb-half-erased-');
  const record = (phone: string): CustomerRecord => ({ stage: 'client', profile: { firstName: 'Анна', age: 40 }, identifiers: { phone: [phone] }, importedAt: 0 });

  it('is finished by the next erasure of the customer, whose records cannot be read any more: records and links removed', async () => {
    const store = new LmdbStore(dir);
    await store.importCustomers([{ id: 'c-1', record: record('+79990000001') }]);
    failNextTransaction(store);
    await expect(store.eraseCustomer('c-1', [{ kind: 'phone', value: '+79990000001' }])).rejects.toThrow('injected');
    // the key is gone, the records are still there
    expect(await store.getCustomer('c-1')).toBeUndefined();
    expect(await store.hasCustomer('c-1')).toBe(true);
    // erased again without its identifiers (they were in the records): the links are found in the index
    expect(await store.eraseCustomer('c-1', [])).toBe(true);
    expect(await store.hasCustomer('c-1')).toBe(false);
    expect(await store.lookupIdentity('phone', '+79990000001')).toBeUndefined();
    await store.close();
  });

  it('is finished at the next start, and its zeroed key slot is not handed to another customer before', async () => {
    let store = new LmdbStore(dir);
    await store.importCustomers([{ id: 'c-1', record: record('+79990000001') }]);
    failNextTransaction(store);
    await expect(store.eraseCustomer('c-1', [{ kind: 'phone', value: '+79990000001' }], { at: 1, who: { name: 'dpo', role: 'privacy' }, action: 'customer.erase', target: 'customer:c-1' })).rejects.toThrow('injected');
    await store.close();
    store = new LmdbStore(dir);
    expect(await store.hasCustomer('c-1')).toBe(false);
    expect(await store.lookupIdentity('phone', '+79990000001')).toBeUndefined();
    expect((await store.listAudit(0, 10)).map((e) => e.action)).toEqual(['customer.erase']);
    // a new customer, then the old id erased again: the new one's key is theirs alone
    await store.importCustomers([{ id: 'n-1', record: record('+79990000002') }]);
    await store.eraseCustomer('c-1', []);
    await store.close();
    store = new LmdbStore(dir);
    expect(await store.getCustomer('n-1')).toEqual(record('+79990000002'));
    await store.close();
  });
});
