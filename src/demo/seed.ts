import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Store } from '../store/store.js';
import type { DemoRow } from './demo-bank.js';
import { DEMO_META_KEY, demoCustomer, parseDemoRow } from './demo-bank.js';
import { KairosError } from '../errors.js';

/**
 * A synthetic bank of any size for scale tests: customers demo-1 … demo-N. The first 45,211
 * are the demo bank itself; beyond that, each takes the attributes of a demo row (cycling
 * through the UCI data, balance varied) with its own generated name, phone, e-mail and card,
 * so every identifier stays unique. Written in large transactions, two in flight.
 */

export interface SeedProgress {
  done: number;
  total: number;
  elapsedMs: number;
}

async function readRows(csvPath: string): Promise<DemoRow[]> {
  const rows: DemoRow[] = [];
  let header: string[] | undefined;
  let lineNo = 0;
  for await (const line of createInterface({ input: createReadStream(csvPath, 'utf8'), crlfDelay: Infinity })) {
    lineNo++;
    if (line.trim() === '') continue;
    if (header === undefined) header = line.split(';').map((c) => c.replace(/^"(.*)"$/, '$1'));
    else rows.push(parseDemoRow(line, header, lineNo));
  }
  return rows;
}

/** Seeds customers demo-(from) … demo-(total) into the store; returns how many it wrote. */
export async function seedBank(
  store: Store,
  csvPath: string,
  total: number,
  now: number,
  onProgress: (p: SeedProgress) => void = () => undefined,
  batchSize = 10_000,
): Promise<number> {
  const rows = await readRows(csvPath);
  if (rows.length === 0) throw new KairosError('invalid', `no rows in ${csvPath}`);
  const marker = (await store.getMeta(DEMO_META_KEY)) as { customers?: number } | undefined;
  const from = (marker?.customers ?? 0) + 1;
  const started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  let written = 0;
  for (let start = from; start <= total; start += batchSize) {
    const end = Math.min(total, start + batchSize - 1);
    const batch = [];
    for (let n = start; n <= end; n++) {
      const base = rows[(n - 1) % rows.length]!;
      // Beyond the data set, vary the balance so the copies are not all alike (deterministic per n).
      const row = n <= rows.length ? base : { ...base, balance: Math.round(base.balance * (0.5 + ((n * 2_654_435_761) >>> 0) / 4_294_967_296)) };
      batch.push(demoCustomer(n, row, now));
    }
    inFlight.push(store.importCustomers(batch));
    if (inFlight.length >= 2) await inFlight.shift();
    written += batch.length;
    onProgress({ done: written, total: total - from + 1, elapsedMs: performance.now() - started });
  }
  await Promise.all(inFlight);
  if (total >= from) await store.putMeta(DEMO_META_KEY, { loadedAt: now, customers: total });
  return written;
}

/** A one-line progress bar: `[#####-----]  45%  4,500,000 / 10,000,000  120,000/s  ETA 46 s`. */
export function progressLine(p: SeedProgress, width = 30): string {
  const share = p.total === 0 ? 1 : p.done / p.total;
  const filled = Math.round(share * width);
  const rate = p.elapsedMs > 0 ? (p.done / p.elapsedMs) * 1000 : 0;
  const eta = rate > 0 ? Math.ceil((p.total - p.done) / rate) : 0;
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${fmt(p.done)} / ${fmt(p.total)}  ${fmt(rate)}/s  ETA ${eta} s`;
}
