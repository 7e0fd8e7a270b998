import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './bench-args.js';
import { open } from 'lmdb';
import { pack } from 'msgpackr';
import { loadConfig } from '../src/config.js';
import { startKairos } from '../src/kairos.js';
import { decodeSnapshot, encodeSnapshot } from '../src/store/snapshot-codec.js';
import type { StoredSnapshot } from '../src/store/store.js';
import { parseEvent } from '../src/transport/frames.js';
import { customersInTurns, makeEvent, wholeOption } from './open-loop.js';

/**
 * What a stored snapshot costs: the generator's event mix sent to the first N demo customers,
 * M events each, through a real server's host into its LMDB store; then the snapshots read
 * back from the store and measured. Bytes (median and largest), the LMDB overflow pages they
 * take (a value over ~2 KB gets pages of its own instead of a place in a leaf page), and the
 * µs to encode and to decode one with `snapshot-codec.ts`, against a plain msgpackr `pack`
 * of the same value (the rows form, nothing cached) as the baseline.
 *
 *   node dist/load-tests/snapshot-bench.js [--customers 100] [--events 40] [--rounds 200]
 *
 * Last line: `snapshot: median_bytes=N max_bytes=N overflow_pages=N encode_us=X decode_us=X plain_bytes=N plain_encode_us=X`.
 */
async function main(): Promise<void> {
  const { values } = benchArgs({
    command: 'node dist/load-tests/snapshot-bench.js [options]',
    summary: 'What a stored snapshot costs: bytes, overflow pages, encode and decode time, against a plain msgpackr pack.',
    lastLine: 'snapshot: median_bytes=N max_bytes=N overflow_pages=N encode_us=X decode_us=X plain_bytes=N plain_encode_us=X',
    options: {
      customers: { type: 'string', default: '100', describe: 'customers' },
      events: { type: 'string', default: '40', describe: 'events each' },
      rounds: { type: 'string', default: '200', describe: 'rounds of encoding and decoding' },
    },
  });
  const customers = customersInTurns(values.customers);
  const perCustomer = wholeOption('events', values.events, 1);
  const rounds = wholeOption('rounds', values.rounds, 1);
  const dataDir = mkdtempSync(join(tmpdir(), 'kairos-snapshot-bench-'));
  try {
    const config = loadConfig({ ...process.env, KAIROS_PORT: '0', KAIROS_HOST: '127.0.0.1', KAIROS_DATA_DIR: dataDir, KAIROS_LOG_LEVEL: 'warn', KAIROS_SEGMENT_SWEEP_MS: '0' });
    const k = await startKairos(config);
    try {
      // makeEvent visits every customer once in each run of `customers` events (its stride, EVENT_STRIDE, is a prime that does not divide `customers`).
      for (let i = 0; i < customers * perCustomer; i++) {
        const reply = await k.host.submitEvent(parseEvent(makeEvent(i, customers, 'snap')));
        if (reply.kind === 'error') throw new Error(`event ${i}: ${reply.code} ${reply.message}`);
      }
    } finally {
      await k.close();
    }
    const env = open({ path: join(dataDir, 'lmdb'), maxDbs: 16 });
    const db = env.openDB<Buffer, string>({ name: 'snapshots-mp', encoding: 'binary' });
    const stored: StoredSnapshot[] = [];
    const sizes: number[] = [];
    for (const { value } of db.getRange({})) {
      sizes.push(value.length);
      stored.push(decodeSnapshot(value));
    }
    const overflowPages = (db.getStats() as { overflowPages: number }).overflowPages;
    await env.close();
    sizes.sort((a, b) => a - b);

    const time = (f: (s: StoredSnapshot) => unknown): number => {
      const started = performance.now();
      for (let r = 0; r < rounds; r++) for (const s of stored) f(s);
      return ((performance.now() - started) * 1000) / (rounds * stored.length);
    };
    const encoded = stored.map((s) => encodeSnapshot(s));
    // Warm both up before timing either.
    time(encodeSnapshot);
    time((s) => pack(s));
    const encodeUs = time(encodeSnapshot);
    const plainEncodeUs = time((s) => pack(s));
    const decodeStarted = performance.now();
    for (let r = 0; r < rounds; r++) for (const bytes of encoded) decodeSnapshot(bytes);
    const decodeUs = ((performance.now() - decodeStarted) * 1000) / (rounds * encoded.length);
    const plainBytes = stored.map((s) => pack(s).length).sort((a, b) => a - b);
    const r2 = (x: number): number => Math.round(x * 100) / 100;
    const result = {
      snapshots: sizes.length,
      eventsEach: perCustomer,
      medianBytes: sizes[sizes.length >> 1] ?? 0,
      maxBytes: sizes[sizes.length - 1] ?? 0,
      overflowPages,
      encodeUs: r2(encodeUs),
      decodeUs: r2(decodeUs),
      plainMedianBytes: plainBytes[plainBytes.length >> 1] ?? 0,
      plainEncodeUs: r2(plainEncodeUs),
    };
    console.log(JSON.stringify(result));
    console.log(
      `snapshot: median_bytes=${result.medianBytes} max_bytes=${result.maxBytes} overflow_pages=${overflowPages} encode_us=${result.encodeUs} decode_us=${result.decodeUs} plain_bytes=${result.plainMedianBytes} plain_encode_us=${result.plainEncodeUs}`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
