import { linkSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KairosError } from '../errors.js';
import { mkdirPrivate } from './private-files.js';

/**
 * One owner per store: an exclusive lock on a data dir, held by the process that writes it
 * (`kairos serve`, `kairos seed`, `kairos compact`) from open to close. Two servers on one LMDB
 * store would each keep their own caps, budgets and outbox sequence, and exactly-once contacts
 * would silently break; the second one refuses to start instead, naming the first one's pid.
 *
 * The lock is a file, `kairos.lock`, holding the owner's pid. It is created atomically (written
 * under a temporary name, then hard-linked into place: it never exists without its pid). A lock
 * whose pid is not alive (the owner was killed) is stale and taken over; the takeover is itself
 * serialised by a `kairos.lock.takeover` file made the same way. A pid alive but not Kairos's (a
 * pid reused after a reboot) keeps the lock: the error says which file to remove. A lock holding
 * this process's own pid that this process did not take (a container restarted with the same
 * pid) is stale too.
 */

export const LOCK_FILE = 'kairos.lock';

/** the lock files this process holds, by path: a second open in the same process refuses too */
const held = new Set<string>();

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, someone else's
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid a lock file names; undefined when it is gone or holds no pid. */
function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Creates `file` holding this process's pid, atomically; false when it exists. */
function createWithPid(file: string): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${process.pid}\n`);
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Whether the lock's pid belongs to a live owner other than an earlier incarnation of this process. */
function liveOwner(file: string, pid: number | undefined): boolean {
  if (pid === undefined) return false;
  if (pid === process.pid) return held.has(file);
  return pidAlive(pid);
}

function inUse(dir: string, file: string, pid: number): KairosError {
  return new KairosError(
    'conflict',
    `the data dir ${dir} is in use by process ${pid} (another kairos serve, seed or compact on the same store); stop it first, or remove ${file} if process ${pid} is not Kairos`,
    { details: { pid, lockFile: file } },
  );
}

export interface DataDirLock {
  readonly file: string;
  /** Releases the lock (idempotent); the file is removed while it still names this process. */
  release(): void;
}

/**
 * Takes the lock on `dir` (created when missing) for this process, or throws `conflict`
 * naming the pid that holds it.
 */
export function lockDataDir(dir: string): DataDirLock {
  mkdirPrivate(dir);
  const file = resolve(join(dir, LOCK_FILE));
  if (held.has(file)) throw inUse(dir, file, process.pid);
  if (!createWithPid(file)) {
    const pid = readPid(file);
    if (liveOwner(file, pid)) throw inUse(dir, file, pid as number);
    takeOver(dir, file);
  }
  held.add(file);
  let released = false;
  return {
    file,
    release: () => {
      if (released) return;
      released = true;
      held.delete(file);
      if (readPid(file) === process.pid) rmSync(file, { force: true });
    },
  };
}

/** Replaces a stale lock with this process's, one taker at a time. */
function takeOver(dir: string, file: string): void {
  const guard = `${file}.takeover`;
  if (!createWithPid(guard)) {
    const other = readPid(guard);
    if (other !== undefined && other !== process.pid && pidAlive(other)) throw inUse(dir, file, other);
    // A taker that died mid-takeover: its guard is stale.
    rmSync(guard, { force: true });
    if (!createWithPid(guard)) throw inUse(dir, file, readPid(guard) ?? 0);
  }
  try {
    const pid = readPid(file);
    if (liveOwner(file, pid)) throw inUse(dir, file, pid as number);
    const tmp = `${file}.${process.pid}.new`;
    writeFileSync(tmp, `${process.pid}\n`);
    renameSync(tmp, file);
  } finally {
    try {
      unlinkSync(guard);
    } catch {
      // already gone
    }
  }
}
