import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, closeSync, writeSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../test-support/test-kairos.js';
import { backupLine, backupLmdb, checkBackup, restoreBackup } from './lmdb-backup.js';
import { LmdbStore } from './lmdb-store.js';
import type { CustomerRecord } from './store.js';
import { reminderKey } from './store.js';
import { offerEntry } from './store.contract.js';

/**
 * Backup, check and restore of an LMDB store, in this process with no server (the round trip
 * beside a serving server, across processes, is src/cli/backup-command.test.ts): what a copy
 * holds, and each refusal named.
 */

const build = { kairosVersion: '9.9.9', snapshotVersion: 6 };
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function dir(): string {
  const d = tempDir('kairos-backup-');
  cleanups.push(d.remove);
  return d.dir;
}

const record = (n: number): CustomerRecord => ({
  stage: 'client',
  profile: { firstName: 'Мария', lastName: 'Смирнова', age: 30 + (n % 40), balance: 1000 * n },
  identifiers: { card: [`card-${n}`], phone: [], email: [], cookie: [] },
  consents: {},
  importedAt: 1_700_000_000_000,
});

/** A store of 50 imported customers, 10 of them with a snapshot, 5 with an outbox entry and a reminder, and one known only by its snapshot. */
async function smallStore(storeDir: string): Promise<void> {
  const store = new LmdbStore(storeDir);
  await store.importCustomers(Array.from({ length: 50 }, (_, k) => ({ id: `c-${k}`, record: record(k) })));
  for (let k = 0; k < 10; k++) {
    await store.commit({
      snapshots: [{ id: `c-${k}`, value: { v: 6, snapshot: { value: 'idle', context: { n: k } } } }],
      identities: [],
      outbox: k < 5 ? [offerEntry(`c-${k}`, `c-${k}:1.a`)] : [],
      reminders: k < 5 ? { set: [{ key: reminderKey(`c-${k}`, 'expiry'), customer: `c-${k}`, due: 5_000 + k, event: 'offer.expired' }], remove: [] } : { set: [], remove: [] },
    });
  }
  await store.commit({ snapshots: [{ id: 'v-visitor', value: { v: 6, snapshot: { value: 'idle', context: {} } } }], identities: [{ kind: 'cookie', value: 'ck-1', customer: 'v-visitor' }], outbox: [] });
  await store.close();
}

describe('backupLmdb, checkBackup, restoreBackup', () => {
  it('copies the store with its keyring and a manifest, checks it, and restores it into an empty data dir', async () => {
    const root = dir();
    const storeDir = join(root, 'data', 'lmdb');
    await smallStore(storeDir);
    const target = join(root, 'backup');
    const m = await backupLmdb(storeDir, target, build, () => 1_800_000_000_000);
    expect(m).toMatchObject({ format: 'kairos-backup', formatVersion: 1, createdAt: new Date(1_800_000_000_000).toISOString(), kairosVersion: '9.9.9', snapshotVersion: 6, store: 'lmdb' });
    expect(m.counts).toEqual({ customers: 51, records: 50, snapshots: 11, outbox: 5, reminders: 5, stops: 0, audit: 0, keys: 51, sampled: 61, opened: 61 });
    expect(readdirSync(target).sort()).toEqual(['lmdb', 'manifest.json']);
    expect(readdirSync(join(target, 'lmdb')).sort()).toEqual(['data.mdb', 'keys.bin']);
    for (const f of ['manifest.json', 'lmdb/data.mdb', 'lmdb/keys.bin']) expect(statSync(join(target, f)).mode & 0o777).toBe(0o600);
    expect(statSync(target).mode & 0o777).toBe(0o700);

    const checked = checkBackup(target);
    expect(checked.counts).toEqual(m.counts);
    expect(backupLine(checked.counts, checked.bytes)).toMatch(/^backup: customers=51 outbox=5 reminders=5 records=50 snapshots=11 stops=0 audit=0 keys=51 opened=61\/61 bytes=\d+$/);
    // the check leaves the copy as it was
    expect(readdirSync(join(target, 'lmdb')).sort()).toEqual(['data.mdb', 'keys.bin']);

    const restored = join(root, 'restored', 'lmdb');
    const r = restoreBackup(target, restored, build);
    expect(r.replaced).toBeUndefined();
    expect(readdirSync(join(root, 'restored'))).toEqual(['lmdb']);
    expect(readdirSync(restored).sort()).toEqual(['data.mdb', 'keys.bin']);
    const store = new LmdbStore(restored);
    try {
      expect(await store.getCustomer('c-7')).toEqual(record(7));
      expect(await store.getSnapshot('c-3')).toEqual({ v: 6, snapshot: { value: 'idle', context: { n: 3 } } });
      expect(await store.lookupIdentity('card', 'card-42')).toBe('c-42');
      expect(await store.lookupIdentity('cookie', 'ck-1')).toBe('v-visitor');
      expect((await store.listOutbox('sms', 100)).map((e) => e.customer)).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
      expect((await store.dueReminders(Number.MAX_SAFE_INTEGER, 100)).map((x) => x.customer)).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
    } finally {
      await store.close();
    }
  });

  it('refuses a missing store, and a target that is not empty', async () => {
    const root = dir();
    await expect(backupLmdb(join(root, 'nothing'), join(root, 'b'), build)).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('no LMDB store in') as unknown });
    const storeDir = join(root, 'data', 'lmdb');
    await smallStore(storeDir);
    mkdirSync(join(root, 'full'));
    writeFileSync(join(root, 'full', 'x'), 'x');
    await expect(backupLmdb(storeDir, join(root, 'full'), build)).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('is not empty') as unknown });
  });

  it('names a missing backup, a directory that is none, and a damaged copy', async () => {
    const root = dir();
    expect(() => checkBackup(join(root, 'nope'))).toThrow(expect.objectContaining({ code: 'not_found', message: expect.stringContaining('no such directory') as unknown }));
    mkdirSync(join(root, 'empty'));
    expect(() => checkBackup(join(root, 'empty'))).toThrow(/no manifest\.json: not a Kairos backup, or one that did not finish/);

    const storeDir = join(root, 'data', 'lmdb');
    await smallStore(storeDir);
    const target = join(root, 'b');
    await backupLmdb(storeDir, target, build);
    const data = join(target, 'lmdb', 'data.mdb');
    // a byte changed in the middle of the copy: the size is right, the hash is not
    const fd = openSync(data, 'r+');
    writeSync(fd, Buffer.from([0xff, 0x00, 0xff]), 0, 3, Math.floor(statSync(data).size / 2));
    closeSync(fd);
    expect(() => checkBackup(target)).toThrow(expect.objectContaining({ code: 'invalid', message: `${data}: its SHA-256 is not the manifest's: the copy is damaged` }));
    truncateSync(data, 4096);
    expect(() => checkBackup(target)).toThrow(/data\.mdb: 4096 bytes, the manifest says \d+: the copy is damaged/);
    // a file that is no LMDB store, with a manifest that agrees with it: named, not opened (lmdb-js would crash on it)
    const garbage = join(root, 'g');
    await backupLmdb(storeDir, garbage, build);
    writeFileSync(join(garbage, 'lmdb', 'data.mdb'), Buffer.alloc(65_536, 0x5a));
    const gm = JSON.parse(readFileSync(join(garbage, 'manifest.json'), 'utf8')) as { files: Record<string, { bytes: number; sha256: string }> };
    gm.files['lmdb/data.mdb'] = { bytes: 65_536, sha256: createHash('sha256').update(Buffer.alloc(65_536, 0x5a)).digest('hex') };
    writeFileSync(join(garbage, 'manifest.json'), JSON.stringify(gm));
    expect(() => checkBackup(garbage)).toThrow(expect.objectContaining({ code: 'invalid', message: `${join(garbage, 'lmdb', 'data.mdb')} is not an LMDB store (no LMDB meta page at its start)` }));
    expect(readdirSync(join(garbage, 'lmdb')).sort()).toEqual(['data.mdb', 'keys.bin']);
    // and it is not restored
    expect(() => restoreBackup(target, join(root, 'r', 'lmdb'), build)).toThrow(/the copy is damaged/);
    expect(existsSync(join(root, 'r', 'lmdb', 'data.mdb'))).toBe(false);
  });

  it('names a keyring that does not open the copy', async () => {
    const root = dir();
    const [a, b] = [join(root, 'a'), join(root, 'b')];
    await smallStore(join(a, 'lmdb'));
    await smallStore(join(b, 'lmdb'));
    await backupLmdb(join(a, 'lmdb'), join(root, 'ba'), build);
    await backupLmdb(join(b, 'lmdb'), join(root, 'bb'), build);
    // b's keyring put beside a's copy, and the manifest made to agree with it: only the keys can tell
    copyFileSync(join(root, 'bb', 'lmdb', 'keys.bin'), join(root, 'ba', 'lmdb', 'keys.bin'));
    const manifest = JSON.parse(readFileSync(join(root, 'ba', 'manifest.json'), 'utf8')) as { files: Record<string, unknown>; counts: Record<string, unknown> };
    manifest.files['lmdb/keys.bin'] = (JSON.parse(readFileSync(join(root, 'bb', 'manifest.json'), 'utf8')) as typeof manifest).files['lmdb/keys.bin'];
    manifest.counts.opened = 0;
    writeFileSync(join(root, 'ba', 'manifest.json'), JSON.stringify(manifest));
    expect(() => checkBackup(join(root, 'ba'))).toThrow(expect.objectContaining({ code: 'invalid', message: `${join(root, 'ba', 'lmdb/keys.bin')}: opens none of the 61 sealed values tried: not the keyring of this copy` }));
  });

  it('refuses a data dir a process holds, one with a store unless forced (kept aside), and a newer snapshot version', async () => {
    const root = dir();
    const storeDir = join(root, 'data', 'lmdb');
    await smallStore(storeDir);
    const target = join(root, 'b');
    await backupLmdb(storeDir, target, build);

    const other = join(root, 'other', 'lmdb');
    const held = new LmdbStore(other);
    await held.importCustomers([{ id: 'x-1', record: record(1) }]);
    try {
      expect(() => restoreBackup(target, other, build, { force: true })).toThrow(expect.objectContaining({ code: 'conflict', message: expect.stringContaining(`is in use by process ${process.pid}`) as unknown }));
    } finally {
      await held.close();
    }
    expect(() => restoreBackup(target, other, build)).toThrow(expect.objectContaining({ code: 'conflict', message: `${other} already holds a store (data.mdb, keys.bin): restore into an empty data dir, or pass --force to move it aside` }));
    const r = restoreBackup(target, other, build, { force: true, now: () => 1_800_000_000_000 });
    expect(r.replaced).toBe(join(root, 'other', 'lmdb-replaced-2027-01-15T08-00-00-000Z'));
    expect(readdirSync(join(root, 'other')).sort()).toEqual(['lmdb', 'lmdb-replaced-2027-01-15T08-00-00-000Z']);
    const before = new LmdbStore(r.replaced!);
    expect(await before.getCustomer('x-1')).toEqual(record(1));
    await before.close();
    const after = new LmdbStore(other);
    expect(await after.getCustomer('x-1')).toBeUndefined();
    expect(await after.countImported()).toBe(50);
    await after.close();

    expect(() => restoreBackup(target, join(root, 'old', 'lmdb'), { kairosVersion: '0.0.1', snapshotVersion: 5 })).toThrow(
      expect.objectContaining({ code: 'conflict', message: expect.stringContaining('with snapshot version 6; this build reads up to 5') as unknown }),
    );
    expect(JSON.parse(readFileSync(join(target, 'manifest.json'), 'utf8'))).toMatchObject({ snapshotVersion: 6 });
  });
});
