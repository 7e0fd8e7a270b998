import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CatalogDef } from '../../actors/index.js';
import type { Store } from '../store/store.js';

/**
 * A draft count's scan in worker threads (draft-count.ts): the store's ids split into ranges,
 * one worker a range (draft-count-worker.ts), each opening the store itself (lmdb-js shares
 * the environment between threads), reading its range, opening, decoding and counting; the
 * event loop's thread only sums what they report and stays free for events. A compiled rule
 * is code and cannot be sent: each worker compiles the catalog's definition and the rule
 * again (the rule was checked by the caller's compile before).
 */

/** An LMDB store's directory, to be opened by the workers, its customers, and the table to split its ids by. */
export interface ScanPlan {
  dir: string;
  customers: number;
  by: 'snapshots' | 'records';
}

/** A store whose customers other threads can scan (LmdbStore: `parallelScan`, `LmdbScan`). */
export interface ParallelScanStore {
  parallelScan(): ScanPlan | undefined;
}

/** A range of ids, `[from, to)`; an end left out is the table's. */
export interface IdRange {
  from?: string;
  to?: string;
}

export function parallelScanOf(store: Store): ParallelScanStore | undefined {
  const s = store as Partial<ParallelScanStore>;
  return typeof s.parallelScan === 'function' ? (store as unknown as ParallelScanStore) : undefined;
}

/** What a worker is started with. */
export interface DraftWorkerData {
  dir: string;
  from?: string;
  to?: string;
  rule: unknown;
  def: CatalogDef;
  now: number;
  /** customers between progress reports and looks at `cancel` */
  page: number;
  /** one Int32: set to 1 to stop every worker of the count */
  cancel: SharedArrayBuffer;
  /** the first worker only: split the ids into `parts` ranges by that table, post them, count the first */
  plan?: { by: 'snapshots' | 'records'; parts: number };
}

/** What a worker posts: progress as increments, then how it ended. */
export type DraftWorkerMessage =
  | { kind: 'progress'; scanned: number; matched: number }
  | { kind: 'ranges'; ranges: IdRange[] }
  | { kind: 'end'; state: 'done' | 'cancelled' }
  | { kind: 'failed'; message: string };

/** The compiled worker beside this module; undefined when it is not there (the sources run under vitest). */
export function defaultWorkerUrl(): URL | undefined {
  const url = new URL('./draft-count-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

export interface WorkerCount {
  url: URL;
  dir: string;
  /** the table to split the ids by, and into how many ranges (one a worker) */
  by: 'snapshots' | 'records';
  threads: number;
  rule: unknown;
  def: CatalogDef;
  now: number;
  page: number;
  cancel: Int32Array;
  progress(scanned: number, matched: number): void;
}

/**
 * Runs the count: the first worker splits the ids (stepping over the keys before each bound:
 * off this thread) and posts the ranges, then counts the first; one more worker each for the
 * others. `cancelled` when any stopped on the flag; throws when one failed (the others are
 * stopped).
 */
export async function countInWorkers(o: WorkerCount): Promise<'done' | 'cancelled'> {
  const base = { dir: o.dir, rule: o.rule, def: o.def, now: o.now, page: o.page, cancel: o.cancel.buffer as SharedArrayBuffer };
  let planned: (ranges: IdRange[]) => void = () => undefined;
  const ranges = new Promise<IdRange[]>((resolve) => (planned = resolve));
  const run = (data: DraftWorkerData): Promise<'done' | 'cancelled'> =>
    new Promise<'done' | 'cancelled'>((resolve, reject) => {
      const worker = new Worker(o.url, { workerData: data });
      let ended: 'done' | 'cancelled' | undefined;
      worker.on('message', (m: DraftWorkerMessage) => {
        if (m.kind === 'progress') o.progress(m.scanned, m.matched);
        else if (m.kind === 'ranges') planned(m.ranges);
        else if (m.kind === 'end') ended = m.state;
        else reject(new Error(`draft count worker: ${m.message}`));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => (ended !== undefined ? resolve(ended) : reject(new Error(`draft count worker exited with ${code}`))));
    }).catch((err: unknown) => {
      // one failed: the others stop at their next page
      Atomics.store(o.cancel, 0, 1);
      throw err;
    });
  const runs = [run({ ...base, plan: { by: o.by, parts: o.threads } })];
  // the first worker's end before its ranges (cancelled, failed) leaves the others unstarted
  const rest = await Promise.race([ranges, runs[0]!.then(() => [], () => [])]);
  for (const range of rest.slice(1)) runs.push(run({ ...base, ...range }));
  const ends = await Promise.allSettled(runs);
  const failed = ends.find((e): e is PromiseRejectedResult => e.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return ends.some((e) => e.status === 'fulfilled' && e.value === 'cancelled') ? 'cancelled' : 'done';
}
