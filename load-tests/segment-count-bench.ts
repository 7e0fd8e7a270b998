import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { GatewayEvent } from '../actors/index.js';
import { compileCatalog } from '../actors/index.js';
import { loadCatalogFile } from '../src/catalog/catalog-file.js';
import { ManualClock } from '../src/clock.js';
import { createLogger } from '../src/logger.js';
import { demoCatalogPath } from '../src/paths.js';
import { DraftCounts } from '../src/runtime/draft-count.js';
import { LmdbStore } from '../src/store/lmdb-store.js';
import { bareHost } from '../src/test-support/bare-host.js';
import { MemoryStore } from '../src/store/memory-store.js';
import type { StoredSnapshot } from '../src/store/store.js';
import { wholeOption } from './open-loop.js';

/**
 * A draft segment counted over the whole base: N customers' snapshots (real ones: a few
 * hundred customers' card payments and log-ins stepped through a host on the demo catalog,
 * each stored snapshot then written for N/templates customers) committed into a fresh LMDB
 * store in batches through the store's own `commit` (sealed as in production), then a draft
 * rule over features and the profile counted with `DraftCounts` (src/runtime/draft-count.ts),
 * as `POST /v1/segments/count` runs it.
 *
 *   npm run bench:segment-count [-- --customers 1000000] [--page N (the scan's page, default draft-count's)]
 *     [--threads N (worker threads, default draft-count's: the cores, at most 4; 0: the scan in the event loop's thread)]
 *
 * Last line: `segment-count: customers=N s=T` (T: the count's seconds; goal ≤ 10 s for 1M).
 */
const HOUR = 3_600_000;
const T0 = Date.UTC(2031, 2, 10, 9, 0);
const TEMPLATES = 500;

async function templates(catalog: ReturnType<typeof compileCatalog>): Promise<StoredSnapshot[]> {
  const store = new MemoryStore();
  const clock = new ManualClock(T0);
  await store.importCustomers(
    Array.from({ length: TEMPLATES }, (_, i) => ({
      id: `t-${i}`,
      record: {
        stage: 'client' as const,
        profile: { firstName: 'Ирина', lastName: 'Смирнова', age: 18 + (i % 70), city: 'Москва' },
        identifiers: { card: [`4000${String(i).padStart(12, '0')}`], phone: [`+7900${String(i).padStart(7, '0')}`] },
        consents: { sms: { granted: true, at: 0, source: 'import' } },
        importedAt: T0 - HOUR,
      },
    })),
  );
  const host = bareHost(store, clock, catalog);
  for (let k = 0; k < 6; k++) {
    clock.set(clock.now() + HOUR);
    for (let i = 0; i < TEMPLATES; i++) {
      const event: GatewayEvent =
        (i + k) % 3 === 0
          ? { id: `e-${k}-${i}`, type: 'ib.login', customer: { id: `t-${i}` }, channel: 'ib', at: clock.now() }
          : { id: `e-${k}-${i}`, type: 'card.transaction', customer: { id: `t-${i}` }, channel: 'pos', at: clock.now(), data: { mcc: (i + k) % 2 === 0 ? '5812' : '5411', amount: 500 + i } };
      const reply = await host.submitEvent(event);
      if (reply.kind === 'error') throw new Error(`event ${event.id}: ${reply.code} ${reply.message}`);
    }
  }
  await host.close(10_000);
  const out: StoredSnapshot[] = [];
  for (let i = 0; i < TEMPLATES; i++) {
    const s = await store.getSnapshot(`t-${i}`);
    if (s !== undefined) out.push(s);
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { customers: { type: 'string', default: '1000000' }, page: { type: 'string' }, threads: { type: 'string' } } });
  const customers = wholeOption('customers', values.customers, 1);
  const pageSize = values.page === undefined ? undefined : wholeOption('page', values.page, 1);
  const threads = values.threads === undefined ? undefined : wholeOption('threads', values.threads, 0);
  const catalog = compileCatalog(loadCatalogFile(demoCatalogPath()));
  const snaps = await templates(catalog);
  const dir = mkdtempSync(join(tmpdir(), 'kairos-segcount-bench-'));
  try {
    const store = new LmdbStore(join(dir, 'lmdb'), { prefetch: false });
    const writing = performance.now();
    const BATCH = 10_000;
    for (let at = 0; at < customers; at += BATCH) {
      const n = Math.min(BATCH, customers - at);
      await store.commit({ snapshots: Array.from({ length: n }, (_, j) => ({ id: `c-${String(at + j).padStart(8, '0')}`, value: snaps[(at + j) % snaps.length]! })), identities: [], outbox: [] });
    }
    process.stderr.write(`segment-count: wrote ${customers} snapshots in ${((performance.now() - writing) / 1000).toFixed(1)} s\n`);
    const clock = new ManualClock(T0 + 7 * HOUR);
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
