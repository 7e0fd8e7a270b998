import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './bench-args.js';
import { freePort } from '../src/free-port.js';
import { findMax, firstTouchUsPerPage, line, listeningPort, mainThreadCpuSeconds, runGenerator, waitReady } from './harness.js';
import { httpBench } from './http-bench.js';
import { createMemoryCgroup } from './memory-cgroup.js';
import type { OpenLoopResult } from './open-loop.js';

/**
 * The benchmark harness (`npm run bench`): starts Kairos (LMDB store, the demo bank), a
 * bare uWS echo server and the durable echo server (the echo with an LMDB commit before
 * each reply, `durable-echo-server.ts`), each in its own process, and drives them with the
 * open-loop generator in another process, in the same run on the same machine.
 *
 * For each server it steps the arrival rate up until the server stops keeping up (it
 * answers fewer than 97 % of the target rate, replies go missing, or p99 passes the
 * bound), and reports the highest sustained rate. Then it runs Kairos at half and at 90 %
 * of that rate for the latency figures (with activations per second, GC pauses, CPU time
 * per event and the event loop's utilization read from the server's metrics), the echo
 * server at Kairos's half rate (the floor: what the generator and the loopback alone add)
 * and the durable echo server at that rate (the floor with a commit: what any server that
 * acknowledges only what it has committed adds on this disk and kernel), and autocannon
 * against `POST /v1/events`. echo_ratio is against the echo server, as the issue defines
 * it. `--data-dir DIR
 * --customers N` runs on a store seeded beforehand (`kairos seed`), kept afterwards.
 * `--memory-limit-mb M` runs Kairos in a memory cgroup of that limit (Linux, root), as a
 * container would, and reports the cgroup's peak charge. The last line is
 *   bench: events_per_s=N p99_ms=X echo_ratio=R rss_mb=M cpu_us_kairos=K cpu_us_echo=E cpu_ratio=K/E p99_echo_ms=Y p99_ratio=X/Y shards=S cpu_us_process=P gateway_port=yes|no
 * (`--shards S`: Kairos with KAIROS_SHARDS=S; cpu_us_kairos is its main thread's either way,
 * cpu_us_process every thread's. `--gateway-port` with shards: the generator connects to
 * KAIROS_GATEWAY_PORT, whose connections every shard accepts, rather than the main thread's port).
 */

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** A Prometheus text exposition, as sample name{labels} -> value. */
async function scrape(url: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const l of (await (await fetch(url)).text()).split('\n')) {
    if (l.startsWith('#') || l.trim() === '') continue;
    const i = l.lastIndexOf(' ');
    out.set(l.slice(0, i), Number(l.slice(i + 1)));
  }
  return out;
}

/** The sum over samples whose name and labels match, after minus before. */
function delta(after: Map<string, number>, before: Map<string, number>, test: (key: string) => boolean): number {
  let d = 0;
  for (const [k, v] of after) if (test(k)) d += v - (before.get(k) ?? 0);
  return d;
}

/** A quantile from cumulative histogram buckets (after minus before): the upper bound of the bucket it falls in. */
function bucketQuantile(after: Map<string, number>, before: Map<string, number>, metric: string, q: number): number | null {
  const buckets = new Map<number, number>();
  for (const [k, v] of after) {
    const m = new RegExp(`^${metric}_bucket\\{(.*,)?le="([^"]+)"`).exec(k);
    if (m === null) continue;
    const le = m[2] === '+Inf' ? Infinity : Number(m[2]);
    buckets.set(le, (buckets.get(le) ?? 0) + v - (before.get(k) ?? 0));
  }
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return null;
  for (const [le, c] of sorted) if (c >= q * total) return le;
  return null;
}

interface Phase {
  activationsPerSec: number;
  /** p99 of an activation (the store's reads, a disk wait included, and building the actor), ms: a histogram bucket's bound */
  activationP99Ms: number | null;
  /** p99 wait for a customer's pages read in off the event loop (LMDB prefetch), ms: a bucket's bound */
  prefetchP99Ms: number | null;
  gcPauses: number;
  gcPauseMeanMs: number | null;
  gcPauseP99Ms: number | null;
  /**
   * full (mark-compact) collections in the phase. Their pauses are short, but their marking
   * runs beside the event loop for hundreds of ms (V8's helper threads, and the loop itself
   * when those get no CPU): on a machine without a spare core that is a stall.
   */
  majorGcs: number;
  /** Kairos's CPU time (all its threads: event loop, GC helpers, LMDB) per event answered, µs */
  cpuUsPerEvent: number | null;
  /** the share of the phase the event loop was busy (0..1): near 1, every pause queues what follows */
  eventLoopBusy: number;
  /** event-loop busy time per event answered, µs */
  loopUsPerEvent: number | null;
  /**
   * the longest the event loop was late over the phase, ms (prom-client's delay monitor,
   * 10-ms resolution, reset at each scrape): a stall of the server's own, or none (the tail
   * came from elsewhere: the generator, the sockets, the machine)
   */
  loopDelayMaxMs: number | null;
}

function phase(after: Map<string, number>, before: Map<string, number>, seconds: number, events: number): Phase {
  const cpu = delta(after, before, (k) => k === 'kairos_process_cpu_seconds_total');
  const loop = delta(after, before, (k) => k === 'kairos_event_loop_busy_seconds_total');
  const act = delta(after, before, (k) => k.startsWith('kairos_actor_activations_total'));
  const gcCount = delta(after, before, (k) => k.startsWith('kairos_nodejs_gc_duration_seconds_count'));
  const gcSum = delta(after, before, (k) => k.startsWith('kairos_nodejs_gc_duration_seconds_sum'));
  const p99 = bucketQuantile(after, before, 'kairos_nodejs_gc_duration_seconds', 0.99);
  const actP99 = bucketQuantile(after, before, 'kairos_actor_activation_seconds', 0.99);
  const prefetchP99 = bucketQuantile(after, before, 'kairos_store_prefetch_seconds', 0.99);
  return {
    activationsPerSec: Math.round(act / seconds),
    activationP99Ms: actP99 === null ? null : actP99 * 1000,
    prefetchP99Ms: prefetchP99 === null ? null : prefetchP99 * 1000,
    gcPauses: gcCount,
    gcPauseMeanMs: gcCount > 0 ? Math.round((gcSum / gcCount) * 1e5) / 100 : null,
    gcPauseP99Ms: p99 === null ? null : p99 * 1000,
    majorGcs: delta(after, before, (k) => k === 'kairos_nodejs_gc_duration_seconds_count{kind="major"}'),
    cpuUsPerEvent: events > 0 ? Math.round((cpu * 1e6) / events) : null,
    eventLoopBusy: Math.round((loop / seconds) * 100) / 100,
    loopUsPerEvent: events > 0 ? Math.round((loop * 1e6) / events) : null,
    loopDelayMaxMs: after.has('kairos_nodejs_eventloop_lag_max_seconds') ? Math.round((after.get('kairos_nodejs_eventloop_lag_max_seconds') ?? 0) * 1e4) / 10 : null,
  };
}

const toMb = (bytes: number): number => Math.round(bytes / 1048576);

/** RSS now and its peak over the process's life (VmHWM), MB */
function rssMb(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string): number => Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? '0') / 1024);
  return { now: mb('VmRSS'), peak: mb('VmHWM') };
}

/**
 * RSS split: anonymous (the heap and everything else the process allocated) and file-backed
 * (the LMDB file's pages mapped into the process: page cache, shared and reclaimable).
 */
function rssSplitMb(pid: number): { anonMb: number; fileMb: number } {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? '0');
  return { anonMb: Math.round(kb('Anonymous') / 1024), fileMb: Math.round((kb('Rss') - kb('Anonymous')) / 1024) };
}

interface Target {
  name: string;
  url: string;
  token?: string;
  /** customers to draw events over (the generator's --customers) */
  customers?: string;
}

/** The generator against a target: `rate` frames a second for `seconds`, event ids starting with `prefix`. */
function drive(t: Target, rate: number, seconds: number, connections: number, prefix: string): Promise<OpenLoopResult> {
  const args = ['--url', t.url, '--rate', String(rate), '--duration', String(seconds), '--connections', String(connections), '--prefix', prefix];
  if (t.token !== undefined) args.push('--token', t.token);
  if (t.customers !== undefined) args.push('--customers', t.customers);
  return runGenerator(args);
}

/**
 * The highest rate a target sustains: the generator against it, step by step. With the
 * target's `/metrics` (Kairos), each step's line also says how busy its event loop was: how
 * close it ran to saturation.
 */
function findTargetMax(
  t: Target,
  rates: number[],
  stepSec: number,
  connections: number,
  p99BoundMs: number,
  log: (s: string) => void,
  metricsUrl?: string,
): Promise<{ max: number; steps: OpenLoopResult[] }> {
  let busy = '';
  const run = async (rate: number, attempt: number): Promise<OpenLoopResult> => {
    const step = (): Promise<OpenLoopResult> => drive(t, rate, stepSec, connections, `${t.name}-${rate}-${attempt}`);
    if (metricsUrl === undefined) return step();
    const { result, phase: p } = await measure(metricsUrl, step);
    busy = `  loop busy ${Math.round(p.eventLoopBusy * 100)} %, late by up to ${p.loopDelayMaxMs ?? 'n/a'} ms, major GCs ${p.majorGcs}`;
    return result;
  };
  return findMax(rates, run, p99BoundMs, (r) => log(`  ${t.name.padEnd(6)} ${line(r)}${busy}`));
}

/** Runs the generator, reading Kairos's metrics before and after: rates over the time between the scrapes (connecting and draining included). */
/** Runs `run` and answers its result with the main-thread CPU µs `pid` spent per reply received. */
async function withCpu(pid: number, run: () => Promise<OpenLoopResult>): Promise<{ result: OpenLoopResult; cpuUsPerEvent: number | null }> {
  const before = mainThreadCpuSeconds(pid);
  const result = await run();
  const cpu = mainThreadCpuSeconds(pid) - before;
  return { result, cpuUsPerEvent: result.received > 0 ? Math.round((cpu * 1e7) / result.received) / 10 : null };
}

async function measure(metricsUrl: string, run: () => Promise<OpenLoopResult>): Promise<{ result: OpenLoopResult; phase: Phase }> {
  const before = await scrape(metricsUrl);
  const started = performance.now();
  const result = await run();
  return { result, phase: phase(await scrape(metricsUrl), before, (performance.now() - started) / 1000, result.received) };
}

async function main(): Promise<void> {
  const { values } = benchArgs({
    command: 'npm run bench -- [options]',
    summary: 'Kairos (LMDB, the demo bank), the bare uWS echo server and the durable echo server driven by the open-loop generator in the same run: the highest sustained rate of each, latency at half and 90 % of Kairos\'s, CPU per event, autocannon on POST /v1/events.',
    lastLine: 'bench: events_per_s=N p99_ms=X echo_ratio=R rss_mb=M cpu_us_kairos=K cpu_us_echo=E cpu_ratio=K/E p99_echo_ms=Y p99_ratio=X/Y shards=S cpu_us_process=P gateway_port=yes|no',
    options: {
      rates: { type: 'string', default: '1000,2000,3000,4000,5000,6000,7000,8000,10000,12000,14000,16000,20000,24000,28000,32000,40000,48000', describe: 'arrival rates to step through (events/s, comma-separated)' },
      step: { type: 'string', default: '8', describe: 'seconds per step of the rate' },
      duration: { type: 'string', default: '10', describe: 'seconds of each latency and CPU measurement' },
      connections: { type: 'string', default: '4', describe: 'WebSocket connections of the generator' },
      'p99-bound': { type: 'string', default: '200', describe: 'p99 (ms) above which a rate is not kept up' },
      'data-dir': { type: 'string', describe: 'run on this store, seeded beforehand with `kairos seed` (kept)' },
      customers: { type: 'string', default: '45211', describe: 'customers the events are drawn over' },
      'memory-limit-mb': { type: 'string', describe: 'run Kairos in a memory cgroup of this limit (Linux, root)' },
      shards: { type: 'string', default: '1', describe: 'KAIROS_SHARDS for Kairos (above 1: the main thread routes, worker threads decide; cpu_us_kairos is still the main thread\'s)' },
      'gateway-port': { type: 'boolean', default: false, describe: 'with --shards above 1: the generator and autocannon use KAIROS_GATEWAY_PORT, accepted on every shard' },
    },
  });
  const rates = values.rates.split(',').map(Number);
  const stepSec = Number(values.step);
  const connections = Number(values.connections);
  const p99Bound = Number(values['p99-bound']);
  const log = (s: string): void => void process.stdout.write(`${s}\n`);

  const keepData = values['data-dir'] !== undefined;
  const dataDir = values['data-dir'] ?? mkdtempSync(join(tmpdir(), 'kairos-bench-'));
  const customers = values.customers;
  const children: ChildProcess[] = [];
  const stopAll = (): void => {
    for (const c of children) c.kill('SIGTERM');
  };
  process.on('exit', stopAll);
  // Kairos under a memory limit, as in a container: anonymous memory and the page cache it
  // uses (LMDB's pages) charged together, cached pages reclaimed first.
  const cgroup = values['memory-limit-mb'] === undefined ? undefined : createMemoryCgroup(`kairos-bench-${process.pid}`, Number(values['memory-limit-mb']));
  try {
    // The machine, for reading the figures: its cores (the generator takes one) and what a
    // fresh page costs it (see firstTouchUsPerPage).
    const cpus = availableParallelism();
    const firstTouchUs = firstTouchUsPerPage();
    log(`machine: ${cpus} CPUs, a first touch of a fresh 4 KB page ${firstTouchUs} µs`);
    const kport = await freePort();
    const gatewayPort = values['gateway-port'] ? await freePort() : undefined;
    // (the gateways' port: the node's, or the gateway port every shard accepts on)
    const gport = gatewayPort ?? kport;
    const serve = [join(root, 'bin', 'kairos.js'), 'serve', '--port', String(kport), '--host', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'warn'];
    const cmd = cgroup === undefined ? { command: process.execPath, args: serve } : cgroup.wrap(process.execPath, serve);
    // The segment sweep (a background pass over the base after start) would share the measured cores.
    const kairos = spawn(cmd.command, cmd.args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, KAIROS_SEGMENT_SWEEP_MS: '0', KAIROS_SHARDS: values.shards, ...(gatewayPort === undefined ? {} : { KAIROS_GATEWAY_PORT: String(gatewayPort) }) } });
    children.push(kairos);
    if (cgroup !== undefined) log(`kairos in the memory cgroup ${cgroup.path} (v${cgroup.version}), limit ${toMb(cgroup.limitBytes)} MB`);
    const echo = spawn(process.execPath, [join(here, 'echo-server.js'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(echo);
    const durableEcho = spawn(process.execPath, [join(here, 'durable-echo-server.js'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(durableEcho);
    const echoPort = await listeningPort(echo);
    const durablePort = await listeningPort(durableEcho);
    log(`kairos pid ${kairos.pid} on ${kport} (LMDB in ${dataDir}); echo pid ${echo.pid} on ${echoPort}; durable echo pid ${durableEcho.pid} on ${durablePort}`);
    await waitReady(`http://127.0.0.1:${kport}/ready`, 120_000);
    const metricsUrl = `http://127.0.0.1:${kport}/metrics`;
    const startMetrics = await scrape(metricsUrl);

    const kTarget: Target = { name: 'kairos', url: `ws://127.0.0.1:${gport}/v1/gateway`, token: 'demo-gateway', customers };
    const eTarget: Target = { name: 'echo', url: `ws://127.0.0.1:${echoPort}/` };
    const dTarget: Target = { name: 'd-echo', url: `ws://127.0.0.1:${durablePort}/` };

    log(`stepping the rate (${stepSec} s a step; sustained = >= 97 % answered, none missing, p99 <= ${p99Bound} ms)`);
    const echoMax = await findTargetMax(eTarget, rates, stepSec, connections, p99Bound, log);
    // The echo server with a commit before each reply: what durability alone costs here.
    const durableMax = await findTargetMax(dTarget, rates, stepSec, connections, p99Bound, log);
    // Kairos warms up right before its own steps (after minutes idle, V8 shrinks its heap and the first seconds pay for it).
    log('warm-up: 45,000 events at 3000/s');
    await drive(kTarget, 3000, 15, connections, 'warm');

    const kairosMax = await findTargetMax(kTarget, rates, stepSec, connections, p99Bound, log, metricsUrl);

    // Rounded to 100/s; at least 100/s, so a low highest rate (997/s) is not measured at 1,000/s again.
    const roundRate = (rate: number): number => Math.max(100, Math.round(rate / 100) * 100);
    const half = roundRate(kairosMax.max / 2);
    const duration = Number(values.duration);
    const measured = async (label: string, rate: number): Promise<{ result: OpenLoopResult; phase: Phase; mainCpuUsPerEvent: number | null }> => {
      log(`latency at ${label} (${rate}/s, ${duration} s)`);
      let mainCpuUsPerEvent: number | null = null;
      const { result, phase: p } = await measure(metricsUrl, async () => {
        const r = await withCpu(kairos.pid!, () => drive(kTarget, rate, duration, connections, label.replace(/\W+/g, '-')));
        mainCpuUsPerEvent = r.cpuUsPerEvent;
        return r.result;
      });
      log(`  kairos ${line(result)}`);
      log(`         activations ${p.activationsPerSec}/s${p.activationP99Ms === null ? '' : ` (p99 <= ${p.activationP99Ms} ms, prefetch wait p99 <= ${p.prefetchP99Ms ?? 'n/a'} ms)`}  GC pauses ${p.gcPauses} (mean ${p.gcPauseMeanMs} ms, p99 <= ${p.gcPauseP99Ms} ms; major ${p.majorGcs})  CPU ${p.cpuUsPerEvent} µs an event  event loop busy ${Math.round(p.eventLoopBusy * 100)} % (${p.loopUsPerEvent} µs an event), late by up to ${p.loopDelayMaxMs ?? 'n/a'} ms`);
      log(`         main thread CPU ${mainCpuUsPerEvent ?? 'n/a'} µs an event`);
      return { result, phase: p, mainCpuUsPerEvent };
    };
    const halfRun = await measured('half the highest rate', half);
    const atHalf = halfRun.result;
    const ninety = await measured('90 % of the highest rate', roundRate(kairosMax.max * 0.9));
    // The floor under those latencies: the same generator against the echo server at the same
    // rate (its own timers, the loopback, its event loop sharing the machine).
    log(`floor: the echo server, then the durable echo server, at ${half}/s (${duration} s each)`);
    const { result: echoAtHalf, cpuUsPerEvent: echoCpuUs } = await withCpu(echo.pid!, () => drive(eTarget, half, duration, connections, 'echo-half'));
    log(`  echo   ${line(echoAtHalf)}; main thread CPU ${echoCpuUs ?? 'n/a'} µs a message`);
    const durableAtHalf = await drive(dTarget, half, duration, connections, 'd-echo-half');
    log(`  d-echo ${line(durableAtHalf)}`);

    log('autocannon: POST /v1/events, 10 s, 32 connections');
    const http = await httpBench(`http://127.0.0.1:${gport}`, 'demo-gateway', Number(customers), 10, 32);
    log(`  http   ${http.requestsPerSec} requests/s  p50 ${http.latencyMs.p50} ms  p99 ${http.latencyMs.p99} ms  max ${http.latencyMs.max} ms  non-2xx ${http.non2xx}  errors ${http.errors}`);

    const { now: rss, peak: rssPeak } = rssMb(kairos.pid!);
    const split = rssSplitMb(kairos.pid!);
    const charged = cgroup?.peak();
    const endMetrics = await scrape(metricsUrl);
    const hot = endMetrics.get('kairos_hot_actors') ?? 0;
    const coldP99 = bucketQuantile(endMetrics, startMetrics, 'kairos_actor_activation_seconds', 0.99);
    const activations = delta(endMetrics, startMetrics, (k) => k.startsWith('kairos_actor_activations_total'));
    log(`activations ${activations} in all; cold activation p99 over the whole run, overloaded steps included, <= ${coldP99 === null ? 'n/a' : `${coldP99 * 1000} ms`} (histogram bucket)`);

    const ratio = echoMax.max > 0 ? kairosMax.max / echoMax.max : 0;
    const cpuRatio = halfRun.mainCpuUsPerEvent !== null && echoCpuUs !== null && echoCpuUs > 0 ? Math.round((halfRun.mainCpuUsPerEvent / echoCpuUs) * 100) / 100 : null;
    const p99Ratio = echoAtHalf.latencyMs.p99 > 0 ? Math.round((atHalf.latencyMs.p99 / echoAtHalf.latencyMs.p99) * 100) / 100 : null;
    const report = {
      at: new Date().toISOString(),
      node: process.version,
      cpus,
      firstTouchUsPerPage: firstTouchUs,
      customers: Number(customers),
      kairos: {
        maxEventsPerSec: kairosMax.max,
        steps: kairosMax.steps,
        atHalf,
        atHalfPhase: halfRun.phase,
        at90: ninety.result,
        at90Phase: ninety.phase,
        http,
        rssMb: rss,
        rssPeakMb: rssPeak,
        rssAnonMb: split.anonMb,
        rssFileMb: split.fileMb,
        hotActors: hot,
        activations,
        coldActivationP99Ms: coldP99 === null ? null : coldP99 * 1000,
        memoryLimit:
          cgroup === undefined || charged === undefined
            ? null
            : { limitMb: toMb(cgroup.limitBytes), peakChargedMb: toMb(charged.peakBytes), limitHits: charged.limitHits, oomKills: charged.oomKills },
      },
      echo: { maxMessagesPerSec: echoMax.max, steps: echoMax.steps, atKairosHalf: echoAtHalf },
      durableEcho: { maxMessagesPerSec: durableMax.max, steps: durableMax.steps, atKairosHalf: durableAtHalf },
      echoRatio: Math.round(ratio * 100) / 100,
      // Main-thread CPU per event at the same rate (half Kairos's highest), Kairos against the echo server (issue 34).
      cpu: { kairosUsPerEvent: halfRun.mainCpuUsPerEvent, echoUsPerMessage: echoCpuUs, ratio: cpuRatio },
      p99Ratio,
    };
    const outDir = join(root, 'load-tests', 'results');
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `bench-${report.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    log(`results: ${file}`);
    log(`kairos: highest sustained ${kairosMax.max} events/s; echo: ${echoMax.max} messages/s; durable echo: ${durableMax.max} messages/s; RSS ${rss} MB (anonymous ${split.anonMb} MB, LMDB file pages ${split.fileMb} MB; peak ${rssPeak} MB); hot actors ${hot}`);
    if (cgroup !== undefined && charged !== undefined) {
      log(`memory limit ${toMb(cgroup.limitBytes)} MB: peak charge ${toMb(charged.peakBytes)} MB (anonymous memory and page cache), reclaim at the limit ${charged.limitHits} times, OOM kills ${charged.oomKills}`);
    }
    log(`floor: the echo server's p99 at ${half}/s was ${echoAtHalf.latencyMs.p99} ms (p99.9 ${echoAtHalf.latencyMs.p999} ms): what the generator, the loopback and this machine add by themselves, under any server's`);
    log(`bench: events_per_s=${kairosMax.max} p99_ms=${atHalf.latencyMs.p99} echo_ratio=${report.echoRatio} rss_mb=${rss} cpu_us_kairos=${halfRun.mainCpuUsPerEvent ?? 'n/a'} cpu_us_echo=${echoCpuUs ?? 'n/a'} cpu_ratio=${cpuRatio ?? 'n/a'} p99_echo_ms=${echoAtHalf.latencyMs.p99} p99_ratio=${p99Ratio ?? 'n/a'} shards=${values.shards} cpu_us_process=${halfRun.phase.cpuUsPerEvent} gateway_port=${gatewayPort === undefined ? 'no' : 'yes'}`);
  } finally {
    stopAll();
    await new Promise((r) => setTimeout(r, 500));
    cgroup?.remove();
    if (!keepData) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
