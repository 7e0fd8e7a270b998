import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Catalog, CatalogDef } from '../../actors/index.js';

/**
 * The segment sweep's scan off the event loop's thread (segment-sweep.ts): on an LMDB store, a
 * worker thread (sweep-scan-worker.ts) reads, opens and decodes every customer and judges
 * whether their memberships need a check; this thread only sends the checks. On the main
 * thread that scan cost ~30 µs a customer, five minutes of a ten-million-customer base taken
 * from the events, page by page (`npm run bench -- --data-dir` on a seeded 10M store could not
 * hold 1,000 events/s while it ran).
 */

/** A page of the scan: customers read, and those whose memberships need a check. */
export interface SweepPage {
  scanned: number;
  due: string[];
}

/** What the worker is started with. */
export interface SweepScanData {
  dir: string;
  def: CatalogDef;
  /** the server's clock at the start (each acknowledgement brings it again) */
  now: number;
  graceMs: number;
  /** keys a page reads at most */
  page: number;
  /** milliseconds a page reads at most (its read transaction's length, about) */
  pageMs: number;
  /** pages posted and not yet acknowledged, at most */
  ahead: number;
}

export type SweepScanMessage = ({ kind: 'page' } & SweepPage) | { kind: 'end' } | { kind: 'failed'; message: string };

/** A scan of the base, page by page; `return()` (a `for await` left early) or `signal` stops it (the worker ended at once: it ends with no more pages). */
export type SweepScanner = (o: { catalog: Catalog; now: () => number; graceMs: number; signal?: AbortSignal }) => AsyncGenerator<SweepPage>;

/** The compiled worker beside this module; undefined when it is not there (the sources run under vitest). */
export function defaultSweepWorkerUrl(): URL | undefined {
  const url = new URL('./sweep-scan-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

/**
 * A scanner over the LMDB store in `dir`, in a worker thread of `url`: pages of at most
 * `page` keys and `pageMs` of reading (each reads the change log's index afresh: a longer
 * page spreads that over more customers, a shorter one holds its read transaction less long).
 */
export function workerSweepScanner(dir: string, url: URL, page = 100_000, pageMs = 250, ahead = 4): SweepScanner {
  return async function* scan({ catalog, now, graceMs, signal }) {
    const data: SweepScanData = { dir, def: catalog.def, now: now(), graceMs, page, pageMs, ahead };
    const aborted = (): boolean => signal?.aborted === true;
    if (aborted()) return;
    const worker = new Worker(url, { workerData: data });
    const queue: SweepScanMessage[] = [];
    let failure: Error | undefined;
    let exited = false;
    let wake: (() => void) | undefined;
    worker.on('message', (m: SweepScanMessage) => {
      queue.push(m);
      wake?.();
    });
    worker.on('error', (err) => {
      failure ??= err;
      wake?.();
    });
    worker.on('exit', (code) => {
      exited = true;
      if (code !== 0) failure ??= new Error(`the segment sweep's scan stopped (exit ${code})`);
      wake?.();
    });
    const stopped = (): void => {
      void worker.terminate();
      wake?.();
    };
    signal?.addEventListener('abort', stopped, { once: true });
    try {
      for (;;) {
        if (aborted()) return;
        const m = queue.shift();
        if (m === undefined) {
          if (failure !== undefined) throw failure;
          if (exited) throw new Error("the segment sweep's scan ended without saying so");
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
          continue;
        }
        if (m.kind === 'end') return;
        if (m.kind === 'failed') throw new Error(`the segment sweep's scan failed: ${m.message}`);
        yield { scanned: m.scanned, due: m.due };
        if (!exited) worker.postMessage({ now: now() });
      }
    } finally {
      signal?.removeEventListener('abort', stopped);
      if (!exited) await worker.terminate();
    }
  };
}
