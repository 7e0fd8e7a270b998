import { singleNodeStoreDir } from '../shards/shard-count.js';
import { parseArgs } from 'node:util';
import { packageVersion } from '../paths.js';
import { SNAPSHOT_VERSION } from '../runtime/snapshot-migrations.js';
import type { BuildInfo } from '../store/lmdb-backup.js';
import { backupLine, backupLmdb, checkBackup, restoreBackup } from '../store/lmdb-backup.js';
import { commandConfig } from './command-config.js';

export const backupUsage = `usage: kairos backup DIR [--data-dir DATA]
       kairos backup check DIR
  backup: a consistent, compacted copy of the LMDB store of KAIROS_DATA_DIR (or --data-dir),
  with its keyring and a manifest, into DIR (new or empty). Works while a server serves the
  store (one LMDB read transaction, taken in this process) and with none running. Prints last
  backup: customers=N outbox=N reminders=N records=N snapshots=N stops=N audit=N keys=N opened=N/N bytes=N s=T
  check: checks DIR's files against its manifest (size, SHA-256), opens the copy, counts it and
  opens a sample of its sealed values with its keyring; prints the same line (without s=), or
  exits 1 naming what is wrong. docs/operations.md#backup-and-restore`;

export const restoreUsage = `usage: kairos restore DIR [--data-dir DATA] [--force]
  Checks the backup in DIR (as kairos backup check), then puts its store in place as the LMDB
  store of KAIROS_DATA_DIR (or --data-dir). Refused while a process holds that store, and when
  one is there already unless --force (which moves it aside to lmdb-replaced-<time>, beside it).
  Prints last: restore: customers=N outbox=N reminders=N into DIR [replaced=DIR] s=T
  docs/operations.md#backup-and-restore`;

export interface BackupIo {
  env: Readonly<Record<string, string | undefined>>;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The single node's store in the data dir; undefined (said on stderr) for a data dir spread over shards. */
function storeDirOf(dataDir: string, command: 'backup' | 'restore', io: BackupIo): string | undefined {
  try {
    return singleNodeStoreDir(dataDir, command);
  } catch (err) {
    io.err(`kairos ${command}: ${(err as Error).message}\n`);
    return undefined;
  }
}

const build = (): BuildInfo => ({ kairosVersion: packageVersion(), snapshotVersion: SNAPSHOT_VERSION });

/** A refusal or failure as one line on stderr (KairosError's message, or the system's); exit 1. */
function refused(command: string, err: unknown, io: BackupIo): number {
  io.err(`kairos ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

/**
 * `kairos backup DIR` and `kairos backup check DIR`. Resolves with the exit code: 0 done, 1 the
 * copy could not be made or the backup does not check, 2 bad usage or configuration.
 */
export async function backupCommand(argv: readonly string[], io: BackupIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { 'data-dir': { type: 'string' } } });
  } catch (err) {
    io.err(`kairos backup: ${(err as Error).message}\n${backupUsage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals[0] === 'check') {
    if (positionals.length !== 2 || values['data-dir'] !== undefined) {
      io.err(`${backupUsage}\n`);
      return 2;
    }
    try {
      const r = checkBackup(positionals[1]!);
      io.out(`${backupLine(r.counts, r.bytes)}\n`);
      return 0;
    } catch (err) {
      return refused('backup check', err, io);
    }
  }
  if (positionals.length !== 1) {
    io.err(`${backupUsage}\n`);
    return 2;
  }
  const config = commandConfig('backup', io.env, values['data-dir'], io.err);
  if (config === undefined) return 2;
  if (config.store !== 'lmdb') {
    io.err('kairos backup: copies the LMDB store of KAIROS_DATA_DIR (KAIROS_STORE=lmdb); a Redis store is backed up by Redis itself (docs/operations.md#redis)\n');
    return 2;
  }
  const storeDir = storeDirOf(config.dataDir, 'backup', io);
  if (storeDir === undefined) return 2;
  const target = positionals[0]!;
  try {
    io.err(`backup: copying ${storeDir} into ${target}\n`);
    const m = await backupLmdb(storeDir, target, build());
    io.out(`${backupLine(m.counts, Object.values(m.files).reduce((n, f) => n + f.bytes, 0), m.seconds)}\n`);
    return 0;
  } catch (err) {
    return refused('backup', err, io);
  }
}

/** `kairos restore DIR`: 0 restored, 1 refused (the backup does not check, the store is held or not empty), 2 bad usage. */
export function restoreCommand(argv: readonly string[], io: BackupIo): number {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { 'data-dir': { type: 'string' }, force: { type: 'boolean' } } });
  } catch (err) {
    io.err(`kairos restore: ${(err as Error).message}\n${restoreUsage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    io.err(`${restoreUsage}\n`);
    return 2;
  }
  const config = commandConfig('restore', io.env, values['data-dir'], io.err);
  if (config === undefined) return 2;
  if (config.store !== 'lmdb') {
    io.err('kairos restore: restores the LMDB store of KAIROS_DATA_DIR (KAIROS_STORE=lmdb); a Redis store is restored by Redis itself (docs/operations.md#redis)\n');
    return 2;
  }
  const storeDir = storeDirOf(config.dataDir, 'restore', io);
  if (storeDir === undefined) return 2;
  const started = performance.now();
  try {
    const r = restoreBackup(positionals[0]!, storeDir, build(), { force: values.force === true });
    const c = r.counts;
    io.out(
      `restore: customers=${c.customers} outbox=${c.outbox} reminders=${c.reminders} into ${storeDir}${r.replaced === undefined ? '' : ` replaced=${r.replaced}`} s=${((performance.now() - started) / 1000).toFixed(1)}\n`,
    );
    return 0;
  } catch (err) {
    return refused('restore', err, io);
  }
}
