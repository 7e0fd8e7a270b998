import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import { compactLmdb } from './lmdb-compact.js';
import { LmdbStore } from './lmdb-store.js';
import type { CustomerRecord } from './store.js';
import { reminderKey } from './store.js';
import { offerEntry } from './store.contract.js';

const record = (n: number): CustomerRecord => ({
  stage: 'client',
  profile: { firstName: 'Мария', patronymic: 'Ивановна', lastName: 'Смирнова', age: 20 + (n % 70), balance: 1000 * n, city: 'Казань' },
  identifiers: { card: [`card-${n}`], phone: [`+7900${String(n).padStart(7, '0')}`], email: [`m${n}@example.com`], cookie: [] },
  consents: { sms: { granted: true, at: 1_700_000_000_000, source: 'import' } },
  importedAt: 1_700_000_000_000,
});

/** 0 … n-1 in a scrambled order (inserts at random places fill pages about two-thirds). */
function scrambled(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7919) % n);
}

describe('compactLmdb', () => {
  let dir: string;
  let lmdb: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kairos-compact-'));
    lmdb = join(dir, 'lmdb');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rewrites every table with full pages: a smaller file, every record read back the same', async () => {
    const n = 20_000;
    const store = new LmdbStore(lmdb);
    const order = scrambled(n);
    for (let i = 0; i < n; i += 2_000) await store.importCustomers(order.slice(i, i + 2_000).map((k) => ({ id: `c-${k}`, record: record(k) })));
    for (let k = 0; k < 300; k++) {
      await store.commit({
        snapshots: [{ id: `c-${k}`, value: { v: 1, snapshot: { value: 'idle', context: { n: k } } } }],
        identities: [{ kind: 'cookie', value: `ck-${k}`, customer: `c-${k}` }],
        outbox: k % 10 === 0 ? [offerEntry(`c-${k}`, `c-${k}:1.a`)] : [],
        reminders: k % 3 === 0 ? { set: [{ key: reminderKey(`c-${k}`, 'expiry'), customer: `c-${k}`, due: 5_000 + k, event: 'offer.expired' }], remove: [] } : { set: [], remove: [] },
      });
    }
    // c-42 changed again: a change record in the log (docs/runtime.md#change-records)
    const first = { v: 1, snapshot: { value: 'idle', context: { n: 42 } } };
    await store.commit({ snapshots: [{ id: 'c-42', value: { v: 1, snapshot: { value: 'busy', context: { n: 42, m: 1 } } }, base: first }], identities: [], outbox: [] });
    const stop = { key: 'h-7', kind: 'phone' as const, hint: '+7 9** ***-**-07', reason: 'complaint', at: 1 };
    await store.putStop(stop);
    const outboxBefore = await store.listOutbox('sms', 100);
    await store.close();

    const progress: string[] = [];
    const r = await compactLmdb(lmdb, (p) => progress.push(p.table));
    expect(r.afterBytes).toBeLessThan(r.beforeBytes * 0.8);
    expect(statSync(join(lmdb, 'data.mdb')).size).toBe(r.afterBytes);
    expect(new Set(progress)).toEqual(new Set(['customers', 'customers-rec', 'customers-sealed', 'key-slots', 'identities', 'snapshots', 'snapshots-mp', 'outbox', 'outbox-order', 'stops', 'meta', 'reminders', 'reminders-due', 'audit', 'segment-members', 'changes']));
    expect(readdirSync(dir)).toEqual(['lmdb']);

    const again = new LmdbStore(lmdb);
    try {
      expect(await again.countImported()).toBe(n);
      for (const k of [0, 1, 4_999, 12_345, n - 1]) {
        expect(await again.getCustomer(`c-${k}`)).toEqual(record(k));
        expect(await again.lookupIdentity('card', `card-${k}`)).toBe(`c-${k}`);
      }
      expect(await again.getSnapshot('c-42')).toEqual({ v: 1, snapshot: { value: 'busy', context: { n: 42, m: 1 } } });
      expect(await again.getSnapshot('c-41')).toEqual({ v: 1, snapshot: { value: 'idle', context: { n: 41 } } });
      expect(await again.lookupIdentity('cookie', 'ck-299')).toBe('c-299');
      expect(await again.listOutbox('sms', 100)).toEqual(outboxBefore);
      expect((await again.dueReminders(5_010, 100)).map((x) => x.customer)).toEqual(['c-0', 'c-3', 'c-6', 'c-9']);
      expect(await again.listStops()).toEqual([stop]);
      // Still a working store: new records go in after the compaction.
      await again.importCustomers([{ id: 'c-new', record: record(7) }]);
      expect(await again.getCustomer('c-new')).toEqual(record(7));
    } finally {
      await again.close();
    }
  });

  it('refuses while another process has the store open, and leaves it as it was', async () => {
    const store = new LmdbStore(lmdb);
    await store.importCustomers([{ id: 'c-1', record: record(1) }]);
    await store.close();
    const before = statSync(join(lmdb, 'data.mdb')).size;
    // Another process: opens the store, reads, says so, and waits.
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', `import { open } from 'lmdb'; const r = open({ path: ${JSON.stringify(lmdb)}, maxDbs: 16 }); r.openDB({ name: 'customers-rec', sharedStructuresKey: Symbol.for('structures') }).get('c-1'); console.log('open'); setInterval(() => {}, 1000);`],
      { cwd: packageRoot(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', () => resolve());
        child.once('exit', (code) => reject(new Error(`the other process exited (${code}) before it opened the store`)));
      });
      await expect(compactLmdb(lmdb)).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining(`open in process ${child.pid}; stop Kairos first`) as unknown });
    } finally {
      child.kill('SIGKILL');
    }
    expect(statSync(join(lmdb, 'data.mdb')).size).toBe(before);
    expect(existsSync(`${lmdb}-compacting`)).toBe(false);
    // Once it is gone (killed: its reader slot is stale), the compaction goes ahead.
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    await compactLmdb(lmdb);
    const again = new LmdbStore(lmdb);
    expect(await again.getCustomer('c-1')).toEqual(record(1));
    await again.close();
  });

  it('names a data dir without a store', async () => {
    await expect(compactLmdb(join(dir, 'nothing'))).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('no LMDB store in') as unknown });
  });
});
