import { parentPort, workerData } from 'node:worker_threads';
import { compileCatalog, segmentsNeedCheck } from '../../actors/index.js';
import { LmdbScan } from '../store/lmdb-store.js';
import { storedContext } from './draft-count.js';
import type { SweepScanData, SweepScanMessage } from './sweep-scan.js';

/**
 * The segment sweep's scan on a worker thread (sweep-scan.ts): every stored customer read,
 * opened and decoded here, the customers whose memberships need a check posted a page at a
 * time. Each page is a read of its own, ended after `page` keys or `pageMs` (a pass over
 * millions of customers takes minutes; one read transaction held that long would keep LMDB
 * from reusing the pages the events' commits free meanwhile, and the file would grow). A page
 * counts every key it reads, the customers it steps over too (the records of customers who
 * have a snapshot: nearly all of them after a first pass). At most `ahead` pages wait
 * unacknowledged; each acknowledgement brings the server's clock, which the next pages are
 * judged by.
 */

const d = workerData as SweepScanData;
const port = parentPort!;
let now = d.now;
let unacked = 0;
let wake: (() => void) | undefined;
port.on('message', (m: { now: number }) => {
  now = m.now;
  unacked--;
  wake?.();
});

async function post(m: SweepScanMessage): Promise<void> {
  port.postMessage(m);
  unacked++;
  while (unacked >= Math.max(1, d.ahead)) await new Promise<void>((r) => (wake = r));
  wake = undefined;
}

const catalog = compileCatalog(d.def);

/** A table read from the start, a page at a time (`read(from)`: its ids from `from` on, inclusive, each with its customer's context or undefined when there is none to judge). */
async function pages(read: (from: string | undefined) => Iterable<{ id: string; ctx: ReturnType<typeof storedContext> }>): Promise<void> {
  let cursor: string | undefined;
  for (;;) {
    const due: string[] = [];
    let scanned = 0;
    let keys = 0;
    let last: string | undefined;
    let more = false;
    const started = performance.now();
    for (const { id, ctx } of read(cursor)) {
      // a page starts at the last id of the one before (inclusive): that one is skipped
      if (id === cursor) continue;
      if (keys >= d.page || (keys > 0 && keys % 64 === 0 && performance.now() - started >= d.pageMs)) {
        more = true;
        break;
      }
      keys++;
      last = id;
      if (ctx === undefined) continue;
      scanned++;
      if (segmentsNeedCheck(ctx, catalog, now, d.graceMs)) due.push(id);
    }
    if (keys > 0) await post({ kind: 'page', scanned, due });
    if (!more || last === undefined) return;
    cursor = last;
  }
}

async function run(): Promise<void> {
  const scan = new LmdbScan(d.dir);
  try {
    await pages(function* (from) {
      for (const { id, snapshot } of scan.snapshotsIn(from)) yield { id, ctx: storedContext(id, snapshot, undefined) };
    });
    await pages(function* (from) {
      for (const { id, record } of scan.recordsIn(from)) yield { id, ctx: record === undefined ? undefined : storedContext(id, undefined, record) };
    });
  } finally {
    scan.close();
  }
}

run()
  .then(
    () => port.postMessage({ kind: 'end' } satisfies SweepScanMessage),
    (err: unknown) => port.postMessage({ kind: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies SweepScanMessage),
  )
  .finally(() => port.close());
