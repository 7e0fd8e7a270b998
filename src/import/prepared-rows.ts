import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { hashedIdentityKey } from '../store/keyring.js';
import type { LmdbStore } from '../store/lmdb-store.js';
import type { ImportOptions } from './import-customers.js';
import type { ImportMapping } from './import-mapping.js';
import type { PrepareOptions, PreparedRow } from './prepare-row.js';
import { prepareRowChunks } from './prepare-row.js';
import type { ImportFormat } from './read-rows.js';
import { readRowChunks } from './read-rows.js';
import type { RowWorkerData, RowWorkerMessage } from './row-worker.js';

/**
 * A file's rows, read, mapped and checked on their own (`prepare-row.ts`), for the direct
 * import (docs/import.md, Speed): on a worker thread (`row-worker.ts`) when the built worker
 * is there (the `kairos` command, the bench), so the main thread is left the store's part
 * (the checks against other rows and the store, commits); in this thread otherwise (run from
 * TypeScript, as the tests are). The same rows in the same order either way, a chunk at a time.
 */
export function preparedRowsFromFile(path: string, format: ImportFormat, mapping: ImportMapping, opts: PreparedRowsOptions): AsyncGenerator<PreparedRow[]> {
  const worker = new URL('./row-worker.js', import.meta.url);
  const useWorker = opts.worker ?? (worker.protocol === 'file:' && existsSync(fileURLToPath(worker)));
  const prepare: PrepareOptions = { now: opts.now, ...(opts.seal === true ? { seal: true } : {}) };
  if (!useWorker) return prepareRowChunks(readRowChunks(createReadStream(path), format, mapping.delimiter, mapping.encoding), mapping, prepare);
  return fromWorker(worker, { path, format, delimiter: mapping.delimiter, mapping, chunk: opts.chunk ?? 1000, prepare });
}

/** `PrepareOptions` (the import time, whether to seal), and where */
export interface PreparedRowsOptions extends PrepareOptions {
  /** false: in this thread; default: on a worker thread when the built worker is there */
  worker?: boolean;
  /** rows a message from the worker */
  chunk?: number;
}

/**
 * The direct import's use of an LMDB store's identity index: the run computes each
 * identifier's index key (an HMAC under the store's secret) and looks owners up and writes by
 * them (`ImportOptions.identityIndex`); `empty`: the store holds no customer, so the rows can
 * come sealed as new customers (`PrepareOptions.seal`).
 */
export function identityIndexOf(store: LmdbStore): { identityIndex: NonNullable<ImportOptions['identityIndex']>; empty: boolean } {
  const secret = store.identityIndexSecret();
  return {
    identityIndex: {
      indexKey: (kind, value) => hashedIdentityKey(secret, kind, value),
      owner: (kind, value, key) => store.ownerOfIdentity(kind, value, key),
      holdsNoCustomers: () => store.holdsNoCustomers(),
      importCustomers: (entries, marker) => store.importCustomers(entries, marker),
    },
    empty: store.holdsNoCustomers(),
  };
}

async function* fromWorker(url: URL, data: RowWorkerData): AsyncGenerator<PreparedRow[]> {
  const w = new Worker(url, { workerData: data });
  const queue: RowWorkerMessage[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  w.on('message', (m: RowWorkerMessage) => {
    queue.push(m);
    wake?.();
  });
  w.on('error', (err) => {
    failure = err;
    wake?.();
  });
  w.on('exit', (code) => {
    failure ??= new Error(`the import's row worker stopped (exit ${code})`);
    wake?.();
  });
  try {
    for (;;) {
      const m = queue.shift();
      if (m === undefined) {
        if (failure !== undefined) throw failure;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
        continue;
      }
      if ('done' in m) return;
      if ('error' in m) throw Object.assign(new Error(m.error.message), m.error.code !== undefined ? { code: m.error.code } : {});
      w.postMessage('next');
      yield m.rows;
    }
  } finally {
    await w.terminate();
  }
}
