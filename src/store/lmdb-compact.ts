import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RootDatabase } from 'lmdb';
import { open } from 'lmdb';
import { KairosError } from '../errors.js';
import { lockDataDir } from './data-dir-lock.js';
import { keepPrivate, mkdirPrivate } from './private-files.js';
import { lmdbFileBytes, lmdbMapSize } from './lmdb-store.js';

/**
 * Rewrites an LMDB store with full pages: every table copied in key order into a new file
 * (LMDB's append mode fills each leaf page before starting the next), which then replaces the
 * old one in a single rename.
 *
 * A B-tree filled by inserts in random order (an import, a seed) keeps its leaf pages about
 * two-thirds full, and pages freed by deletes stay in the file; `mdb_copy -c` drops the free
 * pages but copies the rest as they are. A compacted store is a third smaller: less disk, and
 * less page cache for the same customers (the pages a memory-mapped store reads count in the
 * server's RSS). Pages fill up and split again as customers are written, so compacting pays
 * after a bulk load or a large erase.
 *
 * The store must not be open elsewhere: the compaction holds the data dir's lock
 * (`data-dir-lock.ts`: it refuses while a server or seed has it, naming its pid), and LMDB's
 * reader table is checked too, for a process that opened the file without the lock (stale
 * entries of dead processes cleared first): the compaction refuses while another has it open.
 * A crash at any point leaves the old file in place (and a `-compacting` directory beside it,
 * removed by the next run).
 */

export interface CompactProgress {
  table: string;
  done: number;
  total: number;
}

export interface CompactResult {
  beforeBytes: number;
  afterBytes: number;
  entries: number;
  tables: number;
}

/** Process ids in LMDB's reader table, other than this one. */
function otherReaders(root: RootDatabase): number[] {
  const r = root as unknown as { readerCheck(): number; readerList(): string };
  r.readerCheck();
  const pids = new Set<number>();
  for (const line of r.readerList().split('\n')) {
    const m = /^\s*(\d+)\s+[0-9a-f]+\s+/.exec(line);
    if (m !== null && Number(m[1]) !== process.pid) pids.add(Number(m[1]));
  }
  return [...pids];
}

const FIRST_KEY = Buffer.from([0]);
const BATCH = 20_000;

interface RawEntry {
  key: Buffer;
  value: Buffer;
}

function stats(db: { getStats(): unknown }): { entryCount: number } {
  return db.getStats() as { entryCount: number };
}

export async function compactLmdb(dir: string, onProgress: (p: CompactProgress) => void = () => undefined): Promise<CompactResult> {
  const dataFile = join(dir, 'data.mdb');
  if (!existsSync(dataFile)) throw new KairosError('not_found', `compact: no LMDB store in ${dir}`);
  const lock = lockDataDir(dir);
  try {
    return await compactLocked(dir, dataFile, onProgress);
  } finally {
    lock.release();
  }
}

async function compactLocked(dir: string, dataFile: string, onProgress: (p: CompactProgress) => void): Promise<CompactResult> {
  const beforeBytes = lmdbFileBytes(dir);
  const tmp = `${dir}-compacting`;
  rmSync(tmp, { recursive: true, force: true });
  const src = open({ path: dir, maxDbs: 64, noSubdir: false });
  let entries = 0;
  let tables = 0;
  try {
    const others = otherReaders(src);
    if (others.length > 0) throw new KairosError('conflict', `compact: the store in ${dir} is open in process ${others.join(', ')}; stop Kairos first`);
    const names = [...src.getKeys({ start: FIRST_KEY })].filter((k): k is string => typeof k === 'string');
    mkdirPrivate(tmp);
    const dst = open({ path: tmp, maxDbs: 64, noSync: true, noSubdir: false, mapSize: lmdbMapSize(dir) });
    try {
      for (const name of names) {
        const from = src.openDB<Buffer, Buffer>({ name, encoding: 'binary', keyEncoding: 'binary' });
        const to = dst.openDB<Buffer, Buffer>({ name, encoding: 'binary', keyEncoding: 'binary' });
        const total = stats(from).entryCount;
        let done = 0;
        let batch: RawEntry[] = [];
        const flush = (): void => {
          const b = batch;
          dst.transactionSync(() => {
            for (const e of b) to.putSync(e.key, e.value, { append: true });
          });
          done += b.length;
          batch = [];
          onProgress({ table: name, done, total });
        };
        // The range is read inside one read transaction; each copied key and value is its own Buffer.
        for (const { key, value } of from.getRange({ start: FIRST_KEY })) {
          batch.push({ key: Buffer.from(key), value: Buffer.from(value) });
          if (batch.length >= BATCH) flush();
        }
        if (batch.length > 0 || total === 0) flush();
        const copied = stats(to).entryCount;
        if (copied !== total) throw new KairosError('internal', `compact: table ${name} has ${total} entries, the copy ${copied}; the store is left as it was`);
        entries += total;
        tables++;
      }
      await new Promise<void>((resolve, reject) => {
        (dst as unknown as { sync(cb: (err?: unknown) => void): void }).sync((err) => (err ? reject(new KairosError('internal', `compact: sync failed: ${err instanceof Error ? err.message : JSON.stringify(err)}`, { cause: err })) : resolve()));
      });
    } finally {
      await dst.close();
    }
  } catch (err) {
    await src.close();
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  await src.close();
  // One atomic rename replaces the data file (the owner's alone, as the store keeps it); the lock file is reset by the next process to open it.
  keepPrivate([join(tmp, 'data.mdb')]);
  renameSync(join(tmp, 'data.mdb'), dataFile);
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  rmSync(tmp, { recursive: true, force: true });
  return { beforeBytes, afterBytes: lmdbFileBytes(dir), entries, tables };
}
