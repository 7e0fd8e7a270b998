import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './bench-args.js';
import { getHeapSnapshot, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadConfig } from '../src/config.js';
import type { Kairos } from '../src/kairos.js';
import { startKairos } from '../src/kairos.js';
import { parseEvent } from '../src/transport/frames.js';
import { customersInTurns, makeEvent, wholeOption } from './open-loop.js';

/**
 * What a live customer costs in memory: the first N demo customers brought to life by one
 * event each, then given M events each (the generator's mix, through a real server's host and
 * LMDB store, every actor kept live), the V8 heap and the array buffers outside it measured
 * after a full collection at each point. A customer's first event is their profile, features and memberships; the later ones
 * fill the list of the last 32 request ids kept for repeats (PROTOCOL.md), the part that grows.
 * Then a restart on the same store, and one more event each: the customers read back from
 * their snapshots. A figure that does not depend on the machine's speed: what the hot-set
 * bounds (`KAIROS_MAX_HOT_ACTORS`, `KAIROS_MAX_HEAP_MB`) buy.
 *
 * With `--days D` the later events are spread over D days instead of one (a day's events
 * share a bucket of each feature they feed; a feature keeps the days its window reads): what a
 * customer active every day for months costs.
 *
 *   node dist/load-tests/actor-memory.js [--customers 10000] [--events 33] [--days 0]
 *
 * At the steady point it also counts the heap's objects (from a heap snapshot's header): what
 * a full collection marks one by one, so what it costs with that many customers live, is
 * more their number than their bytes. And it times full collections there (the median of
 * five, all on this thread: that figure does depend on the machine).
 *
 * Last line: `actor-memory: first_event_bytes=N steady_bytes=N reactivated_bytes=N
 * steady_heap_bytes=N steady_objects=N full_gc_ms=X` (per live customer, heap and buffers
 * together; the heap's part; heap objects; then a full collection with all of them live).
 */
interface Mem {
  heap: number;
  buffers: number;
}

/** How many objects the V8 heap holds: the `node_count` in a heap snapshot's header (the rest is not read). */
async function heapObjects(): Promise<number> {
  const stream = getHeapSnapshot();
  let head = '';
  try {
    for await (const chunk of stream) {
      // (Only the start of a chunk: one may be hundreds of megabytes.)
      head += (chunk as Buffer).subarray(0, 65_536).toString('latin1');
      const m = /"node_count":(\d+)/.exec(head);
      if (m?.[1] !== undefined) return Number(m[1]);
      if (head.length > 1_000_000) break;
    }
  } finally {
    stream.destroy();
  }
  throw new Error('no node_count in the heap snapshot header');
}

async function main(): Promise<void> {
  const { values } = benchArgs({
    command: 'node dist/load-tests/actor-memory.js [options]',
    summary: 'What a live customer costs in memory: the first N demo customers brought to life, given M events each, measured after full collections; then a restart and one more event each.',
    lastLine: 'actor-memory: first_event_bytes=N steady_bytes=N reactivated_bytes=N steady_heap_bytes=N steady_objects=N full_gc_ms=X',
    options: {
      customers: { type: 'string', default: '10000', describe: 'customers brought to life' },
      events: { type: 'string', default: '33', describe: 'events each after the first' },
      days: { type: 'string', default: '0', describe: 'spread the later events over D days (0: one day)' },
    },
  });
  const customers = customersInTurns(values.customers);
  const eventsPerCustomer = wholeOption('events', values.events, 1);
  // At most what KAIROS_MAX_EVENT_AGE_MS can take (400 days).
  const days = wholeOption('days', values.days, 0, 398);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  /** The V8 heap in use and the array buffers outside it (Buffers' memory), after a full collection. */
  const memory = (): { heap: number; buffers: number } => {
    gc();
    gc();
    const m = process.memoryUsage();
    return { heap: m.heapUsed, buffers: m.arrayBuffers };
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'kairos-actor-memory-'));
  // Every customer stays live: no idle passivation, no heap bound, a hot set larger than the run.
  const config = loadConfig({
    ...process.env,
    KAIROS_PORT: '0',
    KAIROS_HOST: '127.0.0.1',
    KAIROS_DATA_DIR: dataDir,
    KAIROS_LOG_LEVEL: 'warn',
    KAIROS_SEGMENT_SWEEP_MS: '0',
    KAIROS_MAX_HOT_ACTORS: String(Math.max(100, customers * 2)),
    KAIROS_PASSIVATE_AFTER_MS: '0',
    KAIROS_MAX_HEAP_MB: '1000000',
    // With --days, events as old as the first day (the server's clock is now).
    KAIROS_MAX_EVENT_AGE_MS: String((days + 2) * 86_400_000),
  });
  // 64 in flight; makeEvent visits every customer once in each run of `customers` events.
  // With --days, the k-th round of a run happens `dayOf(k)` days after the first (in order).
  const start = Date.now() - (days + 1) * 86_400_000;
  const run = async (k: Kairos, prefix: string, n: number, dayOf: (round: number) => number = () => 0): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < n) {
        const i = next++;
        const round = Math.floor(i / customers);
        // Without --days, the server's clock (as the generator sends them).
        const event = days === 0 ? makeEvent(i, customers, prefix) : { ...makeEvent(i, customers, prefix), at: start + dayOf(round) * 86_400_000 + (i % customers) };
        const reply = await k.host.submitEvent(parseEvent(event));
        if (reply.kind === 'error') throw new Error(`event ${prefix}-${i}: ${reply.code} ${reply.message}`);
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
  };
  const allLive = (k: Kairos): void => {
    if (k.host.hotCount < customers) throw new Error(`only ${k.host.hotCount} of ${customers} customers stayed live: the figures would be wrong`);
  };
  try {
    const k = await startKairos(config);
    let before: Mem, afterFirst: Mem, steady: Mem;
    let objectsBefore: number, objectsSteady: number;
    const gcMs: number[] = [];
    try {
      before = memory();
      objectsBefore = await heapObjects();
      await run(k, 'first', customers);
      afterFirst = memory();
      // The later events spread over `days` days, the first of them the day of the first event.
      const more = eventsPerCustomer - 1;
      if (more > 0) await run(k, 'more', customers * more, (round) => Math.floor((round * days) / more));
      steady = memory();
      objectsSteady = await heapObjects();
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        gc();
        gcMs.push(performance.now() - t0);
      }
      gcMs.sort((a, b) => a - b);
      allLive(k);
    } finally {
      await k.close();
    }
    // A restart on the same store: every customer read back from their snapshot by one more event.
    const again = await startKairos(config);
    let restarted: Mem, reactivated: Mem;
    try {
      restarted = memory();
      await run(again, 'again', customers, () => days);
      reactivated = memory();
      allLive(again);
    } finally {
      await again.close();
    }
    const perCustomer = (from: Mem, to: Mem): { heap: number; buffers: number; total: number } => {
      const heap = Math.round((to.heap - from.heap) / customers);
      const buffers = Math.round((to.buffers - from.buffers) / customers);
      return { heap, buffers, total: heap + buffers };
    };
    const result = {
      customers,
      eventsPerCustomer,
      days,
      firstEvent: perCustomer(before, afterFirst),
      steady: perCustomer(before, steady),
      reactivated: perCustomer(restarted, reactivated),
      steadyObjects: Math.round((objectsSteady - objectsBefore) / customers),
      fullGcMs: Number((gcMs[2] ?? 0).toFixed(1)),
    };
    console.log(JSON.stringify(result));
    console.log(`actor-memory: first_event_bytes=${result.firstEvent.total} steady_bytes=${result.steady.total} reactivated_bytes=${result.reactivated.total} steady_heap_bytes=${result.steady.heap} steady_objects=${result.steadyObjects} full_gc_ms=${result.fullGcMs}`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
