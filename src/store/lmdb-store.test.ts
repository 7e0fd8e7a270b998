import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbStore } from './lmdb-store.js';
import { describeStoreContract } from './store.contract.js';

describeStoreContract(
  'lmdb',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-lmdb-'));
    return Promise.resolve({
      store: new LmdbStore(dir),
      reopen: () => Promise.resolve(new LmdbStore(dir)),
      cleanup: () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    });
  },
  { durable: true },
);
