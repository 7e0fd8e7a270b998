import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PerformanceEntry } from 'node:perf_hooks';
import { PerformanceObserver } from 'node:perf_hooks';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { benchArgs } from './bench-args.js';
import { mainThreadCpuSeconds } from './harness.js';
import { loadConfig } from '../src/config.js';
import type { Kairos } from '../src/kairos.js';
import { startKairos } from '../src/kairos.js';
import { reminderKey } from '../src/store/store.js';
import { SEGMENT_TIMER, SEGMENTS_CHECK_EVENT } from '../actors/index.js';
import { parseEvent } from '../src/transport/frames.js';
import { customersInTurns, makeEvent } from './open-loop.js';

/**
 * The host alone, in process: the same event mix as the open-loop generator, submitted
 * straight to the customer host (no sockets, no frames), a fixed number in flight. What an
 * event costs the main thread (µs, with its share of the commits) and the garbage collector
 * (scavenges and their pauses per thousand events) without the noise of a generator and
 * a server sharing two cores: the figure to watch while optimising the hot path.
 *
 *   node dist/load-tests/host-bench.js [--events 60000] [--in-flight 64] [--customers 45211] [--durability commit] [--timers N] [--heap-profile FILE [--allocations]] [--cpu-profile FILE]
 *
 * `--timers N` first stores N other customers' segment timers (due over the next 90 days, none
 * during the run): what the event path costs with a big base's timers in the store (issue 29).
 *
 * `--heap-profile FILE` samples the allocations of the measured run that are still alive at
 * its end (what each event leaves behind for the garbage collector to copy and promote), as
 * a `.heapprofile` for Chrome DevTools; with `--allocations`, every allocation sampled, the
 * ones already collected included (what sets how often a scavenge comes).
 *
 * Last line: `host: us_per_event=X scavenges_per_1k=N scavenge_mean_ms=M scavenge_max_ms=M`.
 */

/** N segment timers of customers `t-<i>` (none of them stored: never fired here), due over the next 90 days from a day ahead. */
async function storeTimers(k: Kairos, n: number): Promise<void> {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error('--timers N, a whole number');
  const from = k.clock.now() + 86_400_000;
  const started = performance.now();
  for (let i = 0; i < n; i += 50_000) {
    const set = [];
    for (let j = i; j < Math.min(n, i + 50_000); j++) {
      const customer = `t-${j}`;
      set.push({ key: reminderKey(customer, SEGMENT_TIMER), customer, due: from + ((j * 7919) % 90) * 86_400_000, event: SEGMENTS_CHECK_EVENT });
    }
    await k.store.commit({ snapshots: [], identities: [], outbox: [], reminders: { set, remove: [] } });
  }
  if (n > 0) process.stderr.write(`host-bench: ${n} timers stored in ${Math.round(performance.now() - started)} ms\n`);
}

interface GcTally {
  minor: number[];
  major: number[];
}

async function main(): Promise<void> {
  const { values } = benchArgs({
    command: 'npm run bench:host -- [options]',
    summary: 'The customer host alone, in process: the generator\'s event mix submitted straight to the host, a fixed number in flight; main-thread CPU and GC per event.',
    lastLine: 'host-bench: cpu_us_per_event=X alloc_kb_per_event=Y (after `host: timers=N us_per_event=W scavenges_per_1k=N ...`: W is wall time, X the main thread\'s CPU, Y the V8 heap allocated)',
    options: {
      events: { type: 'string', default: '60000', describe: 'events measured' },
      'in-flight': { type: 'string', default: '64', describe: 'events in flight' },
      durability: { type: 'string', default: 'commit', describe: 'KAIROS_DURABILITY: commit, strict or write-behind' },
      'heap-profile': { type: 'string', describe: 'write a sampling heap profile of the measured run to FILE' },
      'cpu-profile': { type: 'string', describe: 'write a CPU profile of the measured run to FILE' },
      allocations: { type: 'boolean', default: false, describe: 'with --heap-profile: every allocation sampled, collected ones too' },
      customers: { type: 'string', default: '45211', describe: 'the first N demo customers take the events' },
      timers: { type: 'string', default: '0', describe: 'store N other customers\' segment timers first' },
    },
  });
  const events = Number(values.events);
  const inFlight = Number(values['in-flight']);
  // The first N demo customers take the events (fewer: the same work on a smaller live heap),
  // each once a turn: checked before the server starts.
  const customers = customersInTurns(values.customers);
  const dataDir = mkdtempSync(join(tmpdir(), 'kairos-host-bench-'));
  const config = loadConfig({ ...process.env, KAIROS_PORT: '0', KAIROS_HOST: '127.0.0.1', KAIROS_DATA_DIR: dataDir, KAIROS_LOG_LEVEL: 'warn', KAIROS_DURABILITY: values.durability, KAIROS_SEGMENT_SWEEP_MS: '0' });
  const k = await startKairos(config);
  const run = async (prefix: string, n: number): Promise<number> => {
    const started = performance.now();
    let next = 0;
    let errors = 0;
    const worker = async (): Promise<void> => {
      while (next < n) {
        const i = next++;
        const reply = await k.host.submitEvent(parseEvent(makeEvent(i, customers, prefix)));
        if (reply.kind === 'error') errors++;
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    if (errors > 0) throw new Error(`${errors} of ${n} events answered with an error`);
    return performance.now() - started;
  };
  try {
    await storeTimers(k, Number(values.timers));
    // Every customer activated and written once before the measured run.
    await run('warm', customers);
    const gc: GcTally = { minor: [], major: [] };
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries() as Array<PerformanceEntry & { detail?: { kind?: number } }>) {
        // detail.kind: 1 minor (scavenge), 2 major, 4 incremental, 8 weak callbacks
        (e.detail?.kind === 1 ? gc.minor : gc.major).push(e.duration);
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    const session = values['heap-profile'] === undefined && values['cpu-profile'] === undefined ? undefined : new Session();
    if (session !== undefined) session.connect();
    if (values['cpu-profile'] !== undefined && session !== undefined) {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
    }
    if (values['heap-profile'] !== undefined && session !== undefined) {
      // --allocations: every allocation, collected or not (what drives the scavenges' rate);
      // otherwise what is still alive at the end (what each scavenge copies and promotes).
      const all = values.allocations === true;
      await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMinorGC: all, includeObjectsCollectedByMajorGC: all });
    }
    process.stderr.write(`host-bench: warm-up done, measuring ${events} events (pid ${process.pid})\n`);
    const faults0 = process.resourceUsage().minorPageFault;
    const cpu0 = mainThreadCpuSeconds(process.pid);
    // V8 heap bytes allocated by the run: between two collections nothing is freed, so the heap's
    // growth up to each collection is what was allocated since the one before (v8.GCProfiler).
    const gcProfiler = new GCProfiler();
    const used0 = getHeapStatistics().used_heap_size;
    gcProfiler.start();
    const ms = await run('run', events);
    const usedEnd = getHeapStatistics().used_heap_size;
    const gcs = gcProfiler.stop()?.statistics ?? [];
    const cpuSeconds = mainThreadCpuSeconds(process.pid) - cpu0;
    const faults = process.resourceUsage().minorPageFault - faults0;
    let allocated = 0;
    let usedAfter = used0;
    for (const g of gcs) {
      allocated += g.beforeGC.heapStatistics.usedHeapSize - usedAfter;
      usedAfter = g.afterGC.heapStatistics.usedHeapSize;
    }
    allocated += usedEnd - usedAfter;
    obs.disconnect();
    if (session !== undefined && values['cpu-profile'] !== undefined) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(values['cpu-profile'], JSON.stringify(profile));
    }
    if (session !== undefined && values['heap-profile'] !== undefined) {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      writeFileSync(values['heap-profile'], JSON.stringify(profile));
    }
    session?.disconnect();
    const mean = (a: number[]): number => (a.length === 0 ? 0 : a.reduce((s, x) => s + x, 0) / a.length);
    const r2 = (x: number): number => Math.round(x * 100) / 100;
    const result = {
      events,
      inFlight,
      durability: values.durability,
      eventsPerSec: Math.round((events * 1000) / ms),
      usPerEvent: r2((ms * 1000) / events),
      // the main thread's CPU (user and system) per event: its share of the commits included, V8's and LMDB's helper threads not
      cpuUsPerEvent: r2((cpuSeconds * 1e6) / events),
      allocKbPerEvent: r2(allocated / 1024 / events),
      scavengesPer1k: r2((gc.minor.length * 1000) / events),
      scavengeMeanMs: r2(mean(gc.minor)),
      scavengeMaxMs: r2(Math.max(0, ...gc.minor)),
      majorGcs: gc.major.length,
      majorGcMaxMs: r2(Math.max(0, ...gc.major)),
      // Minor page faults (the whole process, its GC helper threads included): a first touch
      // of a page the kernel has to map, ~10 µs each on some virtual machines.
      faultsPer1k: Math.round((faults * 1000) / events),
      heapUsedMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    };
    console.log(JSON.stringify(result));
    console.log(`host: timers=${Number(values.timers)} us_per_event=${result.usPerEvent} scavenges_per_1k=${result.scavengesPer1k} scavenge_mean_ms=${result.scavengeMeanMs} scavenge_max_ms=${result.scavengeMaxMs} faults_per_1k=${result.faultsPer1k}`);
    console.log(`host-bench: cpu_us_per_event=${result.cpuUsPerEvent} alloc_kb_per_event=${result.allocKbPerEvent}`);
  } finally {
    await k.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
