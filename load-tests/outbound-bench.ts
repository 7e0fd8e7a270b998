import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './bench-args.js';
import * as hdr from 'hdr-histogram-js';
import type { GatewayEvent } from '../actors/index.js';
import { compileCatalog } from '../actors/index.js';
import { loadCatalogFile } from '../src/catalog/catalog-file.js';
import { ManualClock } from '../src/clock.js';
import { createLogger } from '../src/logger.js';
import { demoCatalogPath } from '../src/paths.js';
import type { CustomerHost } from '../src/runtime/customer-host.js';
import { FunnelLedger } from '../src/runtime/funnel-ledger.js';
import { OutboundRuns } from '../src/runtime/outbound-runs.js';
import { LmdbScan, LmdbStore } from '../src/store/lmdb-store.js';
import { bareHost } from '../src/test-support/bare-host.js';
import { wholeOption } from './open-loop.js';
import { SEED_T0, seededId, seedSnapshots, snapshotTemplates } from './seeded-snapshots.js';

/**
 * An outbound run over the whole base (issue 30's speed goal, docs/outbound.md): N customers'
 * real snapshots written into a fresh LMDB store (load-tests/seeded-snapshots.ts; the templates
 * aged 55 to 87, so most customers are in `clients_60_plus`, whose member list is written with
 * them), then the demo catalog's `pension-deposit-run` run by `OutboundRuns` over a real
 * `CustomerHost` (no sockets; the server's default host settings), eight days later at noon in Moscow.
 *
 * The floor, in the same run: every customer's snapshot read through and opened and decoded as
 * the store reads a snapshot (`LmdbScan.snapshotsIn`, one thread), nothing decided or written.
 *
 * The event path: gateway events (card payments and log-ins of the seeded customers) submitted
 * to the host open-loop at a fixed rate (`--rate`, 200/s), each one's latency measured from its
 * intended time (no coordinated omission), for `--seconds` (5) before the run ("without") and
 * all through the run ("during").
 *
 * The campaign's propensity floor is set to 0 (`--keep-floor`: the demo's): see below, in main.
 *
 *   npm run bench:outbound [-- --customers 1000000] [--rate 200] [--seconds 5] [--keep-floor] [--cpu-profile FILE (the run alone)]
 *
 * Last line: `outbound: customers=N s=T scan_s=S ratio=T/S offered=O suppressed=P
 * p99_ms_without=A p99_ms_during=B` (goal: ratio ≤ 3, 1M within 60 s, the event path's p99 kept).
 */

const DAY = 86_400_000;
const CAMPAIGN = 'pension-deposit-run';
const SEGMENT = 'clients_60_plus';
/** the templates' ages: 55 to 87, 28 of every 33 over 60 */
const age = (i: number): number => 55 + (i % 33);

interface Stream {
  /** stops sending; resolves with the latencies once every event sent has answered */
  stop(): Promise<{ sent: number; p50: number; p99: number; max: number }>;
}

/** Gateway events to `host` at `rate` a second, open-loop (each due at t0 + i / rate), until stopped. */
function eventStream(host: CustomerHost, clock: ManualClock, customers: number, rate: number, prefix: string): Stream {
  const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  const pending = new Set<Promise<void>>();
  const t0 = performance.now();
  let i = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const send = (n: number, due: number): void => {
    const c = seededId((n * 7919) % customers);
    const event: GatewayEvent =
      n % 3 === 0
        ? { id: `${prefix}-${n}`, type: 'ib.login', customer: { id: c }, channel: 'ib', at: clock.now() }
        : { id: `${prefix}-${n}`, type: 'card.transaction', customer: { id: c }, channel: 'pos', at: clock.now(), data: { mcc: n % 2 === 0 ? '5812' : '5411', amount: 300 + (n % 5000) } };
    const p = host.submitEvent(event).then((reply) => {
      if (reply.kind === 'error') throw new Error(`event ${event.id}: ${reply.code} ${reply.message}`);
      latency.recordValue(Math.max(1, Math.round((performance.now() - due) * 1000)));
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const pump = (): void => {
    const now = performance.now();
    while (!stopped && t0 + (i * 1000) / rate <= now) {
      send(i, t0 + (i * 1000) / rate);
      i++;
    }
    if (!stopped) timer = setTimeout(pump, Math.max(0, t0 + (i * 1000) / rate - performance.now()));
  };
  pump();
  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await Promise.all([...pending]);
      const ms = (p: number): number => Math.round(latency.getValueAtPercentile(p)) / 1000;
      return { sent: i, p50: ms(50), p99: ms(99), max: Math.round(latency.maxValue) / 1000 };
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** the process's CPU seconds (user + system, every thread) since `from` */
const cpuS = (from: NodeJS.CpuUsage): string => {
  const d = process.cpuUsage(from);
  return ((d.user + d.system) / 1e6).toFixed(1);
};
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const { values } = benchArgs({
    command: 'npm run bench:outbound -- [options]',
    summary: 'An outbound run over a seeded base against a snapshot scan of the same base (the floor), with the event path\'s p99 before and during the run.',
    lastLine: 'outbound: customers=N s=T scan_s=S ratio=T/S offered=O suppressed=P p99_ms_without=A p99_ms_during=B',
    options: { customers: { type: 'string', default: '1000000', describe: 'customers seeded' }, rate: { type: 'string', default: '200', describe: 'gateway events per second beside the run' }, seconds: { type: 'string', default: '5', describe: 'seconds of events before the run' }, 'cpu-profile': { type: 'string', describe: 'write a CPU profile of the run to FILE' }, 'keep-floor': { type: 'boolean', default: false, describe: 'keep the demo campaign\'s propensity floor (set to 0 by default)' } },
  });
  const customers = wholeOption('customers', values.customers, 1);
  const rate = wholeOption('rate', values.rate, 1);
  const seconds = wholeOption('seconds', values.seconds, 1);
  const def = loadCatalogFile(demoCatalogPath());
  // The run's own offers, none answered yet, soon push the group's response estimate under the
  // policy's floor (`below_propensity_floor` for most of a big base): without a floor every
  // customer takes the whole way, the offer and its outbox record included (the dearer path).
  if (values['keep-floor'] !== true) for (const c of def.campaigns ?? []) if (c.id === CAMPAIGN) c.minResponsePercent = 0;
  const catalog = compileCatalog(def);
  const templates = await snapshotTemplates(catalog, { age });
  const dir = mkdtempSync(join(tmpdir(), 'kairos-outbound-bench-'));
  const lmdb = join(dir, 'lmdb');
  try {
    process.stderr.write(`outbound: load average ${load()} at the start\n`);
    let store = new LmdbStore(lmdb, { prefetch: false });
    let members = 0;
    const wrote = await seedSnapshots(store, templates, customers, (at, n) => {
      const entries = [];
      for (let j = at; j < at + n; j++) if (age(j % templates.length) >= 60) entries.push({ id: seededId(j), segments: [SEGMENT] });
      members += entries.length;
      return store.setSegmentMembers(entries);
    });
    await store.close();
    process.stderr.write(`outbound: wrote ${customers} snapshots (${members} in ${SEGMENT}) in ${wrote.toFixed(1)} s\n`);

    // The floor: each snapshot read, opened and decoded, nothing else.
    const scanning = performance.now();
    const scanCpu = process.cpuUsage();
    const scan = new LmdbScan(lmdb);
    let scanned = 0;
    for (const s of scan.snapshotsIn()) if (s.snapshot !== undefined) scanned++;
    scan.close();
    const scanS = (performance.now() - scanning) / 1000;
    if (scanned !== customers) throw new Error(`the scan read ${scanned} snapshots of ${customers}`);
    process.stderr.write(`outbound: scan ${scanS.toFixed(2)} s, ${cpuS(scanCpu)} s of CPU (load ${load()})\n`);

    // Eight days later, noon in Moscow (a Tuesday): the offers the templates' own events made are past the policy's 7-day pause on an offer.
    store = new LmdbStore(lmdb);
    const clock = new ManualClock(SEED_T0 + 8 * DAY);
    const funnel = new FunnelLedger();
    // the server's defaults (src/config.ts)
    const host = bareHost(store, clock, catalog, { funnel, flushIntervalMs: 50, flushBatch: 5000, maxHotActors: 500_000, maxInFlight: 20_000 });
    const runs = new OutboundRuns({ store, clock, catalog: () => catalog, logger: createLogger('warn'), submit: (run, id) => host.submitRun(run, id), flush: () => host.flush() });

    const before = eventStream(host, clock, customers, rate, 'without');
    await sleep(seconds * 1000);
    const without = await before.stop();
    process.stderr.write(`outbound: events without a run: ${without.sent}, p50 ${without.p50} ms, p99 ${without.p99} ms, max ${without.max} ms\n`);

    const session = values['cpu-profile'] === undefined ? undefined : new Session();
    if (session !== undefined) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
    }
    const during = eventStream(host, clock, customers, rate, 'during');
    const started = performance.now();
    const runCpu = process.cpuUsage();
    const run = await runs.start(CAMPAIGN);
    await runs.idle();
    const s = (performance.now() - started) / 1000;
    const runCpuS = cpuS(runCpu);
    const duringLatency = await during.stop();
    if (session !== undefined) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(values['cpu-profile']!, JSON.stringify(profile));
      session.disconnect();
    }
    const done = await runs.get(run.id);
    process.stderr.write(`outbound: run ${done?.state} in ${s.toFixed(1)} s, ${runCpuS} s of CPU (the events beside it included): selected ${done?.selected}, ${done?.pages} pages (load ${load()})\n`);
    process.stderr.write(`outbound: events during the run: ${duringLatency.sent}, p50 ${duringLatency.p50} ms, p99 ${duringLatency.p99} ms, max ${duringLatency.max} ms\n`);
    await runs.stop();
    await host.close(30_000);
    await store.close();
    if (done?.state !== 'done' || done.selected !== members) throw new Error(`run ${done?.state}: selected ${done?.selected} of ${members}`);
    const f = { decided: 0, offered: 0, control: 0, suppressed: 0, deferred: 0, by: {} as Record<string, number> };
    for (const r of funnel.report({ campaign: CAMPAIGN, run: run.id, by: [] })) {
      f.decided += r.triggered;
      f.offered += r.offered;
      f.control += r.control;
      f.suppressed += r.suppressed;
      f.deferred += r.deferred;
      for (const [k, n] of Object.entries(r.suppressedBy)) f.by[k] = (f.by[k] ?? 0) + n;
    }
    process.stderr.write(`outbound: decided ${f.decided}, offered ${f.offered}, control ${f.control}, deferred ${f.deferred}, suppressed ${f.suppressed} ${JSON.stringify(f.by)}\n`);
    process.stdout.write(
      `outbound: customers=${customers} s=${s.toFixed(1)} scan_s=${scanS.toFixed(2)} ratio=${(s / scanS).toFixed(2)} offered=${f.offered} suppressed=${f.suppressed} p99_ms_without=${without.p99} p99_ms_during=${duringLatency.p99}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
