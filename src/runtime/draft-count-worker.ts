import { parentPort, workerData } from 'node:worker_threads';
import { compileCatalog } from '../../actors/index.js';
import { LmdbScan } from '../store/lmdb-store.js';
import { DraftTally, RULE_UNREAD_FIELDS, compileDraftRule } from './draft-count.js';
import type { DraftWorkerData, DraftWorkerMessage } from './draft-count-workers.js';
import { SNAPSHOT_VERSION } from './snapshot-migrations.js';

/**
 * A draft count's worker thread (draft-count-workers.ts): counts the rule over one range of
 * the store's ids (the first worker splits the ids into the ranges first and posts them) (the snapshots, then the imported records of customers without one),
 * posting its progress every `page` customers and stopping there when the count is cancelled.
 */

const d = workerData as DraftWorkerData;
const post = (m: DraftWorkerMessage): void => parentPort?.postMessage(m);

function count(): 'done' | 'cancelled' {
  const catalog = compileCatalog(d.def);
  const tally = new DraftTally(compileDraftRule(d.rule, catalog), catalog, d.now);
  const cancel = new Int32Array(d.cancel);
  let reported = { scanned: 0, matched: 0 };
  const report = (): void => {
    post({ kind: 'progress', scanned: tally.scanned - reported.scanned, matched: tally.matched - reported.matched });
    reported = { scanned: tally.scanned, matched: tally.matched };
  };
  let n = 0;
  /** after each customer: at a page's end, reports and tells whether to stop */
  const stop = (): boolean => {
    if (++n % d.page !== 0) return false;
    report();
    return Atomics.load(cancel, 0) !== 0;
  };
  if (Atomics.load(cancel, 0) !== 0) return 'cancelled';
  const scan = new LmdbScan(d.dir);
  try {
    let range = { from: d.from, to: d.to };
    if (d.plan !== undefined) {
      const ranges = scan.split(d.plan.by, d.plan.parts);
      post({ kind: 'ranges', ranges });
      range = { from: undefined, to: ranges[0]?.to };
    }
    // Both passes run without yielding: lmdb-js keeps one read transaction for them, so a
    // customer whose first snapshot is committed meanwhile is counted once, as it was.
    for (const { id, snapshot } of scan.snapshotsIn(range.from, range.to, { fields: RULE_UNREAD_FIELDS, version: SNAPSHOT_VERSION })) {
      tally.add(id, snapshot, undefined);
      if (stop()) return 'cancelled';
    }
    for (const { id, record } of scan.recordsWithoutSnapshotIn(range.from, range.to)) {
      tally.add(id, undefined, record);
      if (stop()) return 'cancelled';
    }
  } finally {
    scan.close();
    report();
  }
  return 'done';
}

try {
  post({ kind: 'end', state: count() });
} catch (err) {
  post({ kind: 'failed', message: err instanceof Error ? err.message : String(err) });
}
