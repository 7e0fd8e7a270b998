import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../test-support/test-kairos.js';
import { LOCK_FILE, lockDataDir } from './data-dir-lock.js';
import { compactLmdb } from './lmdb-compact.js';
import { LmdbStore } from './lmdb-store.js';

let dir: string;
let remove: () => void;
const children: ChildProcess[] = [];

beforeEach(() => {
  ({ dir, remove } = tempDir('kairos-lock-'));
});

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  remove();
});

/** Another live process (a sleeping node), and its pid. */
async function otherProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'console.log("up"); setInterval(() => {}, 1000);'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return child;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return child.pid!;
}

describe('one owner per LMDB store', () => {
  it('refuses a second store on the same dir, naming the owner pid; after close the next one opens', async () => {
    const first = new LmdbStore(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    let refused: unknown;
    try {
      new LmdbStore(dir);
    } catch (err) {
      refused = err;
    }
    expect(refused).toMatchObject({ code: 'conflict', message: expect.stringContaining(`in use by process ${process.pid}`) as unknown, details: { pid: process.pid } });
    // The refusal took nothing from the owner: it still writes, and still holds the lock.
    await first.putMeta('k', 1);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    await first.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const next = new LmdbStore(dir);
    expect(await next.getMeta('k')).toBe(1);
    await next.close();
  });

  it('refuses while another live process holds the lock, naming it', async () => {
    const other = await otherProcess();
    writeFileSync(join(dir, LOCK_FILE), `${other.pid}\n`);
    expect(() => new LmdbStore(dir)).toThrow(expect.objectContaining({ code: 'conflict', message: expect.stringContaining(`in use by process ${other.pid}`) as unknown }));
    // Its lock is left as it was.
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(other.pid));
  });

  it('takes over a stale lock whose pid is not alive, and releases it at close', async () => {
    const pid = await deadPid();
    writeFileSync(join(dir, LOCK_FILE), `${pid}\n`);
    const store = new LmdbStore(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    await store.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it("takes over a lock holding this process's own pid that this process never took (a restarted container)", () => {
    writeFileSync(join(dir, LOCK_FILE), `${process.pid}\n`);
    const lock = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(expect.objectContaining({ code: 'conflict' }));
    lock.release();
    lock.release();
    lockDataDir(dir).release();
  });

  it('takes over past a takeover that died half-way, but not past a live one', async () => {
    writeFileSync(join(dir, LOCK_FILE), `${await deadPid()}\n`);
    const other = await otherProcess();
    writeFileSync(join(dir, `${LOCK_FILE}.takeover`), `${other.pid}\n`);
    expect(() => lockDataDir(dir)).toThrow(expect.objectContaining({ code: 'conflict', message: expect.stringContaining(`process ${other.pid}`) as unknown }));
    writeFileSync(join(dir, `${LOCK_FILE}.takeover`), `${await deadPid()}\n`);
    const lock = lockDataDir(dir);
    expect(existsSync(join(dir, `${LOCK_FILE}.takeover`))).toBe(false);
    lock.release();
  });

  it('makes kairos compact refuse while a store is open, naming its pid', async () => {
    const store = new LmdbStore(dir);
    await store.putMeta('k', 1);
    try {
      await expect(compactLmdb(dir)).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining(`in use by process ${process.pid}`) as unknown });
    } finally {
      await store.close();
    }
    await compactLmdb(dir);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
