import { chmodSync, mkdirSync } from 'node:fs';

/**
 * The store's files hold customers' data (sealed or not: identifiers' keys, outbox texts,
 * the audit trail): readable by the process's user only. lmdb-js creates `data.mdb` and
 * `lock.mdb` with the process's umask (0644 commonly) and takes no mode, so they are made
 * `0600` once open; a directory the store creates is made `0700` (one that exists is left as
 * its owner made it: a volume, a systemd StateDirectory).
 */

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Creates `dir` (and its missing parents) readable by this user only; an existing one is left as it is. */
export function mkdirPrivate(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Makes each of `files` readable and writable by its owner only; a file not there is skipped. */
export function keepPrivate(files: readonly string[]): void {
  for (const file of files) {
    try {
      chmodSync(file, PRIVATE_FILE_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
