import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './bench-args.js';
import { seedBank } from '../src/demo/seed.js';
import { demoCsvPath } from '../src/paths.js';
import { SNAPSHOT_VERSION } from '../src/runtime/snapshot-migrations.js';
import { backupLmdb, checkBackup, restoreBackup } from '../src/store/lmdb-backup.js';
import { compactLmdb } from '../src/store/lmdb-compact.js';
import { LmdbStore } from '../src/store/lmdb-store.js';
import { wholeOption } from './open-loop.js';

/**
 * Backup, check and restore of a seeded bank (docs/operations.md#backup-and-restore): N
 * customers written as `kairos seed` writes them (then compacted), a backup of the store
 * (`backupLmdb`: the copy, its counts and SHA-256s), its check and its restore into a new data
 * dir, each timed. The store is in the page cache (just written): the figures are the copy's
 * own cost, not the disk's.
 *
 *   npm run build && node dist/load-tests/backup-bench.js [--customers 1000000]
 *
 * Last line: `backup-bench: customers=N bytes=B backup_s=T check_s=T restore_s=T`.
 */
async function main(): Promise<void> {
  const { values } = benchArgs({
    command: 'npm run bench:backup -- [options]',
    summary: 'Backup, check and restore of a seeded bank (docs/operations.md#backup-and-restore), each timed.',
    lastLine: 'backup-bench: customers=N bytes=B backup_s=T check_s=T restore_s=T',
    options: { customers: { type: 'string', default: '1000000', describe: 'customers seeded' } },
  });
  const customers = wholeOption('customers', values.customers, 1);
  const dir = mkdtempSync(join(tmpdir(), 'kairos-backup-bench-'));
  const build = { kairosVersion: 'bench', snapshotVersion: SNAPSHOT_VERSION };
  try {
    const storeDir = join(dir, 'data', 'lmdb');
    const store = new LmdbStore(storeDir, { prefetch: false });
    await seedBank(store, demoCsvPath(), customers, Date.now());
    await store.close();
    await compactLmdb(storeDir);
    process.stderr.write(`backup-bench: seeded ${customers} customers\n`);
    const time = async <T>(what: () => Promise<T> | T): Promise<[T, number]> => {
      const started = performance.now();
      const r = await what();
      return [r, (performance.now() - started) / 1000];
    };
    const [m, backupS] = await time(() => backupLmdb(storeDir, join(dir, 'backup'), build));
    const [checked, checkS] = await time(() => checkBackup(join(dir, 'backup')));
    const [, restoreS] = await time(() => restoreBackup(join(dir, 'backup'), join(dir, 'restored', 'lmdb'), build));
    if (m.counts.customers !== customers || checked.counts.customers !== customers) throw new Error(`counted ${m.counts.customers} and ${checked.counts.customers} customers, not ${customers}`);
    process.stdout.write(`backup-bench: customers=${customers} bytes=${checked.bytes} backup_s=${backupS.toFixed(2)} check_s=${checkS.toFixed(2)} restore_s=${restoreS.toFixed(2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
