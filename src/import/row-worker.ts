import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { ImportMapping } from './import-mapping.js';
import type { PrepareOptions, PreparedRow } from './prepare-row.js';
import { prepareRow } from './prepare-row.js';
import type { ImportFormat } from './read-rows.js';
import { readRowChunks } from './read-rows.js';

/**
 * The worker thread of the direct import (`prepared-rows.ts`): reads the file, maps and checks
 * each row on its own (`prepare-row.ts`) and posts the rows in chunks, in file order, a few
 * chunks ahead of the run (each chunk acknowledged). Then `{ done: true }`, or `{ error }`.
 */

export interface RowWorkerData {
  path: string;
  format: ImportFormat;
  delimiter: string;
  mapping: ImportMapping;
  chunk: number;
  /** the import time, whether to seal */
  prepare: PrepareOptions;
}

export type RowWorkerMessage = { rows: PreparedRow[] } | { done: true } | { error: { message: string; code?: string } };

/** chunks posted and not yet taken by the run */
const AHEAD = 16;

async function run(port: NonNullable<typeof parentPort>, d: RowWorkerData): Promise<void> {
  let unacked = 0;
  let wake: (() => void) | undefined;
  port.on('message', () => {
    unacked--;
    wake?.();
  });
  const post = async (m: RowWorkerMessage): Promise<void> => {
    port.postMessage(m);
    if ('rows' in m) unacked++;
    while (unacked >= AHEAD) await new Promise<void>((r) => (wake = r));
    wake = undefined;
  };
  try {
    let chunk: PreparedRow[] = [];
    for await (const rows of readRowChunks(createReadStream(d.path), d.format, d.delimiter, d.mapping.encoding)) {
      for (const src of rows) {
        chunk.push(prepareRow(src, d.mapping, d.prepare));
        if (chunk.length >= d.chunk) {
          await post({ rows: chunk });
          chunk = [];
        }
      }
    }
    if (chunk.length > 0) await post({ rows: chunk });
    port.postMessage({ done: true } satisfies RowWorkerMessage);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    port.postMessage({ error: { message: (err as Error).message, ...(code !== undefined ? { code } : {}) } } satisfies RowWorkerMessage);
  }
  port.close();
}

if (parentPort !== null) void run(parentPort, workerData as RowWorkerData);
