import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './bench-args.js';
import { compileCatalog } from '../actors/index.js';
import { loadCatalogFile } from '../src/catalog/catalog-file.js';
import { ManualClock } from '../src/clock.js';
import { createLogger } from '../src/logger.js';
import { demoCatalogPath } from '../src/paths.js';
import { DraftCounts } from '../src/runtime/draft-count.js';
import { LmdbStore } from '../src/store/lmdb-store.js';
import { wholeOption } from './open-loop.js';
import { SEED_HOUR, SEED_T0, seedSnapshots, snapshotTemplates } from './seeded-snapshots.js';

/**
 * A draft segment counted over the whole base: N customers' real snapshots written into a fresh
 * LMDB store (load-tests/seeded-snapshots.ts: a few hundred templates stepped through a host,
 * each written for N/templates customers, sealed as in production), then a draft
 * rule over features and the profile counted with `DraftCounts` (src/runtime/draft-count.ts),
 * as `POST /v1/segments/count` runs it.
 *
 *   npm run bench:segment-count [-- --customers 1000000] [--page N (the scan's page, default draft-count's)]
 *     [--threads N (worker threads, default draft-count's: the cores, at most 4; 0: the scan in the event loop's thread)]
 *
 * Last line: `segment-count: customers=N s=T` (T: the count's seconds; goal ≤ 10 s for 1M).
 */
async function main(): Promise<void> {
  const { values } = benchArgs({
    command: 'npm run bench:segment-count -- [options]',
    summary: 'A draft segment counted over a seeded base, as POST /v1/segments/count runs it.',
    lastLine: 'segment-count: customers=N s=T',
    options: { customers: { type: 'string', default: '1000000', describe: 'customers seeded' }, page: { type: 'string', describe: 'the scan\'s page (draft-count\'s by default)' }, threads: { type: 'string', describe: 'worker threads (draft-count\'s default: the cores, at most 4; 0: in the event loop\'s thread)' } },
  });
  const customers = wholeOption('customers', values.customers, 1);
  const pageSize = values.page === undefined ? undefined : wholeOption('page', values.page, 1);
  const threads = values.threads === undefined ? undefined : wholeOption('threads', values.threads, 0);
  const catalog = compileCatalog(loadCatalogFile(demoCatalogPath()));
  const snaps = await snapshotTemplates(catalog);
  const dir = mkdtempSync(join(tmpdir(), 'kairos-segcount-bench-'));
  try {
    const store = new LmdbStore(join(dir, 'lmdb'), { prefetch: false });
    const wrote = await seedSnapshots(store, snaps, customers);
    process.stderr.write(`segment-count: wrote ${customers} snapshots in ${wrote.toFixed(1)} s\n`);
    const clock = new ManualClock(SEED_T0 + 7 * SEED_HOUR);
    const counts = new DraftCounts({ store, catalog: () => catalog, clock, logger: createLogger('warn'), ...(pageSize === undefined ? {} : { pageSize }), ...(threads === undefined ? {} : { threads }) });
    const rule = { all: [{ attr: 'profile.age', op: 'gte', value: 40 }, { attr: 'feature.restaurant_tx_30d', op: 'gte', value: 2 }] };
    const started = performance.now();
    const job = counts.start(rule);
    const done = await counts.settled(job.job);
    const s = (performance.now() - started) / 1000;
    await store.close();
    if (done?.state !== 'done' || done.scanned !== customers) throw new Error(`count ${done?.state}: scanned ${done?.scanned} of ${customers} (${done?.error ?? ''})`);
    process.stderr.write(`segment-count: matched ${done.matched}\n`);
    process.stdout.write(`segment-count: customers=${customers} s=${s.toFixed(1)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
