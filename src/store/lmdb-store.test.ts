import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbStore } from './lmdb-store.js';
import { describeStoreContract } from './store.contract.js';

// Every way of committing: on this thread without a flush per commit (`commit` durability,
// the default), with pwrite or through the write map, and on LMDB's writer thread with an
// fsync per commit (`strict`).
for (const [name, options] of [
  ['lmdb', {}],
  ['lmdb (write map)', { writeMap: true }],
  ['lmdb (syncEachCommit)', { syncEachCommit: true }],
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
