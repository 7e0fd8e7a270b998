import { createHash } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Database, RootDatabase, RootDatabaseOptionsWithPath } from 'lmdb';
import { open } from 'lmdb';
import { KairosError } from '../errors.js';
import { LOCK_FILE, lockDataDir } from './data-dir-lock.js';
import { SEALED, unseal } from './keyring.js';
import { lmdbMapSize } from './lmdb-store.js';

/**
 * Backup and restore of the embedded store (docs/operations.md#backup-and-restore).
 *
 * A backup is a directory: `lmdb/data.mdb` (a compacted copy of the LMDB environment),
 * `lmdb/keys.bin` (the keyring the copy is sealed under, `keyring.ts`) and `manifest.json`
 * (when, which Kairos and snapshot version, the copy's counts, each file's size and SHA-256),
 * written last: a directory without it is no backup.
 *
 * The copy is taken in the process that runs `kairos backup`, not in the server: it opens the
 * environment read-only (LMDB shares an environment between processes through its lock file's
 * reader table) and `mdb_env_copy2` with `MDB_CP_COMPACT` copies what one read transaction
 * sees, free pages left out. One read transaction is one committed state of every table: a
 * customer's snapshot, their outbox entries, reminders and identity links come from the same
 * commit. The server takes no lock for it and its event loop does no work for it; a long copy
 * only keeps the pages that commit saw from being reused until it ends (the file may grow
 * while a busy server writes meanwhile).
 *
 * The keyring is copied after the environment. A key is written to `keys.bin` before the
 * LMDB commit that first uses it, so every key the copy names is in the file by then; keys
 * drawn later are extra slots nobody in the copy names. A customer erased after the copy's
 * transaction has their slot zeroed before the keyring is read: what the copy holds of them
 * stays sealed for good, as the erasure wants.
 */

export const BACKUP_FORMAT = 'kairos-backup';
export const BACKUP_FORMAT_VERSION = 1;
const MANIFEST = 'manifest.json';
const FILES = ['lmdb/data.mdb', 'lmdb/keys.bin'] as const;
/** sealed values opened per table by a check: the keys match the copy */
const SAMPLE = 200;
const SLOT = 32;

export interface BackupCounts {
  /** customers with an imported record or a snapshot (or both) */
  customers: number;
  /** imported customer records */
  records: number;
  /** actor snapshots */
  snapshots: number;
  /** outbox entries (queued, retried or dead) */
  outbox: number;
  /** durable reminders */
  reminders: number;
  /** stop-list entries */
  stops: number;
  /** audit trail entries */
  audit: number;
  /** customer keys in the keyring (slots not zero, the index secret not counted) */
  keys: number;
  /** sealed values tried with their customer's key, and how many opened */
  sampled: number;
  opened: number;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  /** ISO 8601, when the copy was taken */
  createdAt: string;
  kairosVersion: string;
  /** the snapshot version of the build that took it (docs/operations.md#data) */
  snapshotVersion: number;
  store: 'lmdb';
  /** the LMDB directory copied */
  source: string;
  /** how long the copy took */
  seconds: number;
  counts: BackupCounts;
  files: Record<string, { bytes: number; sha256: string }>;
}

/** The build a backup is taken or restored with. */
export interface BuildInfo {
  kairosVersion: string;
  snapshotVersion: number;
}

/** The line `kairos backup` and `kairos backup check` print: `backup: customers=N outbox=N reminders=N …`. */
export function backupLine(counts: BackupCounts, bytes: number, seconds?: number): string {
  const c = counts;
  return (
    `backup: customers=${c.customers} outbox=${c.outbox} reminders=${c.reminders} records=${c.records} snapshots=${c.snapshots} ` +
    `stops=${c.stops} audit=${c.audit} keys=${c.keys} opened=${c.opened}/${c.sampled} bytes=${bytes}${seconds === undefined ? '' : ` s=${seconds.toFixed(1)}`}`
  );
}

function isEmptyOrMissing(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function sha256(file: string): string {
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** `src` copied to `dst` with mode 0600, on disk before it returns. */
function copyPrivate(src: string, dst: string): void {
  copyFileSync(src, dst);
  chmodSync(dst, 0o600);
  fsyncPath(dst);
}

/** A table of a read-only environment, or undefined when the store never made it. */
function table<V, K extends string | number | [string, string] | [number, string]>(root: RootDatabase, name: string, extra: Record<string, unknown> = {}): Database<V, K> | undefined {
  try {
    return root.openDB<V, K>({ name, ...extra });
  } catch {
    return undefined;
  }
}

const count = (db: { getCount(): number } | undefined): number => db?.getCount() ?? 0;

/** Non-zero slots of a keyring file, the index secret (slot 0) aside; and a reader of one slot. */
function keyringOf(file: string): { keys: number; key: (slot: number) => Buffer | undefined; close: () => void } {
  if (!existsSync(file)) return { keys: 0, key: () => undefined, close: () => undefined };
  const fd = openSync(file, 'r');
  const slots = Math.floor(statSync(file).size / SLOT);
  let keys = 0;
  const chunk = Buffer.alloc(SLOT * 4096);
  for (let at = 1; at < slots; at += 4096) {
    const n = Math.floor(readSync(fd, chunk, 0, chunk.length, at * SLOT) / SLOT);
    for (let i = 0; i < n; i++) if (chunk.subarray(i * SLOT, (i + 1) * SLOT).some((b) => b !== 0)) keys++;
  }
  return {
    keys,
    key: (slot) => {
      const key = Buffer.alloc(SLOT);
      if (readSync(fd, key, 0, SLOT, slot * SLOT) !== SLOT || key.every((b) => b === 0)) return undefined;
      return key;
    },
    close: () => closeSync(fd),
  };
}

/** LMDB's magic number, in the first meta page (after the page header: 16 bytes in LMDB 0.9, 24 in lmdb-js's 0.9.90). */
const MDB_MAGIC = 0xbeefc0de;

/**
 * Refuses a file that does not start as an LMDB store: lmdb-js trusts the file it maps, and on
 * one that is not LMDB's it crashes the process (a segmentation fault) instead of failing. A
 * store damaged further in can still do that, which is why a backup's files are checked
 * against their SHA-256 before LMDB reads them.
 */
function assertLmdbFile(file: string): void {
  const head = Buffer.alloc(32);
  let n = 0;
  try {
    const fd = openSync(file, 'r');
    try {
      n = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new KairosError('invalid', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  if (n < head.length || (head.readUInt32LE(16) !== MDB_MAGIC && head.readUInt32LE(24) !== MDB_MAGIC)) {
    throw new KairosError('invalid', `${file} is not an LMDB store (no LMDB meta page at its start)`);
  }
}

/**
 * Opens an LMDB directory read-only and counts what it holds; opens up to `SAMPLE` sealed values
 * of each sealed table with the keyring beside it. Throws `invalid` when LMDB cannot open it.
 */
export function countLmdb(dir: string): BackupCounts {
  assertLmdbFile(join(dir, 'data.mdb'));
  const hadLock = existsSync(join(dir, 'lock.mdb'));
  let root: RootDatabase;
  try {
    const options: RootDatabaseOptionsWithPath = { path: dir, maxDbs: 32, readOnly: true, mapSize: lmdbMapSize(dir) };
    root = open(options);
  } catch (err) {
    if (!hadLock) rmSync(join(dir, 'lock.mdb'), { force: true });
    throw new KairosError('invalid', `LMDB cannot open ${join(dir, 'data.mdb')}: ${(err as Error).message}`, { cause: err });
  }
  const ring = keyringOf(join(dir, 'keys.bin'));
  try {
    const recordTables = [table<Buffer, string>(root, 'customers-sealed', { encoding: 'binary' }), table<unknown, string>(root, 'customers-rec'), table<unknown, string>(root, 'customers')];
    const snapshotTables = [table<Buffer, string>(root, 'snapshots-mp', { encoding: 'binary' }), table<unknown, string>(root, 'snapshots')];
    const keySlots = table<number, string>(root, 'key-slots');
    const records = recordTables.reduce((n, t) => n + count(t), 0);
    let snapshots = 0;
    let withoutRecord = 0;
    for (const t of snapshotTables) {
      if (t === undefined) continue;
      for (const id of t.getKeys()) {
        snapshots++;
        if (!recordTables.some((r) => r?.doesExist(id) === true)) withoutRecord++;
      }
    }
    let sampled = 0;
    let opened = 0;
    for (const t of [recordTables[0], snapshotTables[0]] as Array<Database<Buffer, string> | undefined>) {
      if (t === undefined) continue;
      let n = 0;
      for (const { key: id, value } of t.getRange()) {
        if (n++ >= SAMPLE) break;
        if (value[0] !== SEALED) continue;
        const bytes = Buffer.from(value);
        sampled++;
        const slot = keySlots?.get(id);
        const key = slot === undefined ? undefined : ring.key(slot);
        if (key !== undefined && unseal(key, id, bytes) !== undefined) opened++;
      }
    }
    return {
      customers: records + withoutRecord,
      records,
      snapshots,
      outbox: count(table(root, 'outbox')),
      reminders: count(table(root, 'reminders')),
      stops: count(table(root, 'stops')),
      audit: count(table(root, 'audit')),
      keys: ring.keys,
      sampled,
      opened,
    };
  } finally {
    ring.close();
    void root.close();
    // a check leaves the copy as it found it: LMDB's lock file made by opening it goes
    if (!hadLock) rmSync(join(dir, 'lock.mdb'), { force: true });
  }
}

/**
 * Copies the LMDB store in `storeDir` (`<KAIROS_DATA_DIR>/lmdb`) into `target`, which must be
 * empty or missing, with its keyring and a manifest; works while a server holds the store.
 */
export async function backupLmdb(storeDir: string, target: string, build: BuildInfo, now: () => number = Date.now): Promise<BackupManifest> {
  if (!existsSync(join(storeDir, 'data.mdb'))) throw new KairosError('not_found', `no LMDB store in ${storeDir}`);
  if (!isEmptyOrMissing(target)) throw new KairosError('conflict', `${target} is not empty: a backup goes into a new or empty directory`);
  try {
    return await backupInto(storeDir, target, build, now);
  } catch (err) {
    // what a failed backup wrote goes (the directory was empty): the same command can run again
    if (existsSync(target)) for (const f of readdirSync(target)) rmSync(join(target, f), { recursive: true, force: true });
    throw err;
  }
}

async function backupInto(storeDir: string, target: string, build: BuildInfo, now: () => number): Promise<BackupManifest> {
  const started = performance.now();
  const createdAt = new Date(now()).toISOString();
  const lmdbCopy = join(target, 'lmdb');
  mkdirSync(lmdbCopy, { recursive: true, mode: 0o700 });
  chmodSync(target, 0o700);
  let source: RootDatabase;
  try {
    // read-only: a reader in the lock file's table like any other, beside the server if one runs
    const options: RootDatabaseOptionsWithPath = { path: storeDir, maxDbs: 32, readOnly: true, mapSize: lmdbMapSize(storeDir) };
    source = open(options);
  } catch (err) {
    throw new KairosError('internal', `cannot open the store in ${storeDir}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // one read transaction, free pages left out (mdb_env_copy2, MDB_CP_COMPACT), on a thread of its own
    await source.backup(lmdbCopy, true);
  } finally {
    await source.close();
  }
  // after the copy: every key it names was written before the commit that used it
  if (existsSync(join(storeDir, 'keys.bin'))) copyPrivate(join(storeDir, 'keys.bin'), join(lmdbCopy, 'keys.bin'));
  chmodSync(join(lmdbCopy, 'data.mdb'), 0o600);
  fsyncPath(join(lmdbCopy, 'data.mdb'));
  fsyncPath(lmdbCopy);
  const counts = countLmdb(lmdbCopy);
  const files: BackupManifest['files'] = {};
  for (const f of FILES) {
    const path = join(target, f);
    if (existsSync(path)) files[f] = { bytes: statSync(path).size, sha256: sha256(path) };
  }
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    formatVersion: BACKUP_FORMAT_VERSION,
    createdAt,
    kairosVersion: build.kairosVersion,
    snapshotVersion: build.snapshotVersion,
    store: 'lmdb',
    source: resolve(storeDir),
    seconds: Math.round((performance.now() - started) / 100) / 10,
    counts,
    files,
  };
  // the manifest last, whole or not at all: its presence says the backup is complete
  const tmp = join(target, `${MANIFEST}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  fsyncPath(tmp);
  renameSync(tmp, join(target, MANIFEST));
  fsyncPath(target);
  return manifest;
}

function readManifest(dir: string): BackupManifest {
  if (!existsSync(dir)) throw new KairosError('not_found', `${dir}: no such directory`);
  const file = join(dir, MANIFEST);
  if (!existsSync(file)) throw new KairosError('invalid', `${dir}: no ${MANIFEST}: not a Kairos backup, or one that did not finish`);
  let m: Partial<BackupManifest>;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as Partial<BackupManifest>;
  } catch (err) {
    throw new KairosError('invalid', `${file}: not JSON (${(err as Error).message})`, { cause: err });
  }
  if (m.format !== BACKUP_FORMAT || typeof m.formatVersion !== 'number' || typeof m.files !== 'object' || m.files === null || typeof m.counts !== 'object' || typeof m.snapshotVersion !== 'number') {
    throw new KairosError('invalid', `${file}: not a Kairos backup manifest`);
  }
  if (m.formatVersion > BACKUP_FORMAT_VERSION) throw new KairosError('invalid', `${file}: backup format ${m.formatVersion} is newer than this build reads (${BACKUP_FORMAT_VERSION})`);
  return m as BackupManifest;
}

export interface CheckedBackup {
  manifest: BackupManifest;
  counts: BackupCounts;
  /** the bytes of the backup's files */
  bytes: number;
}

/**
 * Checks a backup: its manifest, each file's size and SHA-256 against it (before LMDB reads a
 * page of it), then opens the copy and counts it; the counts must be the manifest's and the
 * sampled sealed values must open. Throws `not_found` or `invalid`, naming the file and what is wrong.
 */
export function checkBackup(dir: string): CheckedBackup {
  const manifest = readManifest(dir);
  let bytes = 0;
  if (manifest.files['lmdb/data.mdb'] === undefined) throw new KairosError('invalid', `${join(dir, MANIFEST)}: names no lmdb/data.mdb`);
  for (const [name, want] of Object.entries(manifest.files)) {
    const path = join(dir, name);
    if (!existsSync(path)) throw new KairosError('invalid', `${path}: missing (the manifest lists it)`);
    const size = statSync(path).size;
    if (size !== want.bytes) throw new KairosError('invalid', `${path}: ${size} bytes, the manifest says ${want.bytes}: the copy is damaged`);
    if (sha256(path) !== want.sha256) throw new KairosError('invalid', `${path}: its SHA-256 is not the manifest's: the copy is damaged`);
    bytes += size;
  }
  const counts = countLmdb(join(dir, 'lmdb'));
  for (const k of Object.keys(manifest.counts) as Array<keyof BackupCounts>) {
    if (counts[k] !== manifest.counts[k]) throw new KairosError('invalid', `${dir}: the copy holds ${k}=${counts[k]}, the manifest says ${manifest.counts[k]}`);
  }
  if (counts.sampled > 0 && counts.opened === 0) throw new KairosError('invalid', `${join(dir, 'lmdb/keys.bin')}: opens none of the ${counts.sampled} sealed values tried: not the keyring of this copy`);
  return { manifest, counts, bytes };
}

export interface RestoreResult extends CheckedBackup {
  /** where the store that was there before went (`--force`), if there was one */
  replaced?: string;
}

/** A lock file left by `lockDataDir` in a directory that was renamed or moved since: removed while it names this process. */
function dropOwnLock(dir: string): void {
  const file = join(dir, LOCK_FILE);
  try {
    if (Number.parseInt(readFileSync(file, 'utf8'), 10) === process.pid) rmSync(file, { force: true });
  } catch {
    // none
  }
}

/**
 * Restores a checked backup into `storeDir` (`<KAIROS_DATA_DIR>/lmdb`): refused while a
 * process holds its data-dir lock, and when a store is there unless `force` (the store found
 * there is moved aside, `lmdb-replaced-<time>`, not deleted). The files are copied into
 * `lmdb-restoring` beside it, flushed, and renamed into place in one step.
 */
export function restoreBackup(dir: string, storeDir: string, build: BuildInfo, opts: { force?: boolean; now?: () => number } = {}): RestoreResult {
  const checked = checkBackup(dir);
  const { manifest } = checked;
  if (manifest.snapshotVersion > build.snapshotVersion) {
    throw new KairosError('conflict', `${dir} was taken by Kairos ${manifest.kairosVersion} with snapshot version ${manifest.snapshotVersion}; this build reads up to ${build.snapshotVersion}: restore it with that version or later`);
  }
  const parent = dirname(resolve(storeDir));
  mkdirSync(parent, { recursive: true });
  const lock = lockDataDir(storeDir);
  const staging = join(parent, `${basename(storeDir)}-restoring`);
  let stagingLock: ReturnType<typeof lockDataDir> | undefined;
  try {
    const present = ['data.mdb', 'keys.bin'].filter((f) => existsSync(join(storeDir, f)));
    if (present.length > 0 && opts.force !== true) {
      throw new KairosError('conflict', `${storeDir} already holds a store (${present.join(', ')}): restore into an empty data dir, or pass --force to move it aside`);
    }
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { mode: 0o700 });
    // held across the rename: a server starting meanwhile finds the new store locked
    stagingLock = lockDataDir(staging);
    copyPrivate(join(dir, 'lmdb', 'data.mdb'), join(staging, 'data.mdb'));
    if (existsSync(join(dir, 'lmdb', 'keys.bin'))) copyPrivate(join(dir, 'lmdb', 'keys.bin'), join(staging, 'keys.bin'));
    fsyncPath(staging);
    let replaced: string | undefined;
    if (present.length > 0) {
      replaced = join(parent, `${basename(storeDir)}-replaced-${new Date((opts.now ?? Date.now)()).toISOString().replace(/[:.]/g, '-')}`);
      renameSync(storeDir, replaced);
      dropOwnLock(replaced);
    } else {
      rmSync(storeDir, { recursive: true, force: true });
    }
    renameSync(staging, storeDir);
    fsyncPath(parent);
    return replaced === undefined ? checked : { ...checked, replaced };
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  } finally {
    stagingLock?.release();
    lock.release();
    dropOwnLock(storeDir);
  }
}
