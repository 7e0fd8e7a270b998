import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './bench-args.js';
import { mainThreadCpuSeconds } from './harness.js';
import { customersInTurns, makeEvent, wholeOption } from './open-loop.js';
import type { GatewayEvent } from '../actors/index.js';
import { loadCatalogFile } from '../src/catalog/catalog-file.js';
import { systemClock } from '../src/clock.js';
import type { Config } from '../src/config.js';
import { loadConfig } from '../src/config.js';
import { startKairos } from '../src/kairos.js';
import { createLogger } from '../src/logger.js';
import { demoCatalogPath } from '../src/paths.js';
import type { HostReply } from '../src/runtime/host-options.js';
import { Shards } from '../src/shards/shards.js';
import { parseEvent } from '../src/transport/frames.js';

/**
 * What the shards cost (issue 34): the same open-loop event mix as the WebSocket generator,
 * submitted in process at a fixed rate to the customer host on the main thread (`host`, a
 * single node as it runs today) and to 1, 2, 4 and 8 shards (src/shards/), each on a fresh
 * data dir with the demo bank. For each: the whole process's CPU (every thread: the main
 * thread's router, every shard, LMDB's and V8's helpers) per event, less what making the
 * events costs (measured alone in the same run), and the p99 from submission to reply.
 * `shard_cpu_ratio_N` is N shards' CPU per event over one shard's: at or under 1.25, N cores
 * carry about N times one core's events (this 2-core machine measures the cost, not the
 * speed-up). The `host` figure is the whole server (`startKairos`: its dispatcher and timers
 * too), the shards' only their hosts and the router: compare the shard counts with each
 * other; `host` says what a single node costs on the same events.
 *
 *   node dist/load-tests/shard-bench.js [--rate 1500] [--seconds 10] [--shards 1,2,4,8] [--customers 45211] [--new-visitors 0]
 *
 * `--new-visitors N`: N events in a thousand are an anonymous visitor's first (a new cookie),
 * each a claim the shards' directory writes before its shard is sent the event.
 *
 * Last line: `shard-bench: rate=R events=E cpu_us_host=H cpu_us_1=A cpu_us_2=B ... shard_cpu_ratio_2=X shard_cpu_ratio_4=Y ... p99_ms_1=P ...`.
 */

type Submit = (event: GatewayEvent) => Promise<HostReply>;

interface Measured {
  cpuUs: number;
  /** of which the main thread's */
  mainUs: number;
  p99Ms: number;
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Every customer once, 64 in flight: activated and written before the measured run. */
async function warm(submit: Submit, customers: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < customers) {
      const reply = await submit(parseEvent(makeEvent(next++, customers, 'warm')));
      if (reply.kind === 'error') throw new Error(`warm-up: ${reply.code}: ${reply.message}`);
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
}

/** `rate` events a second for `seconds`, sent every 5 ms whatever the replies: CPU per event and the p99 latency. */
/** The mix's event `i`, or, for `newPerMille` of them, a first visit of an anonymous visitor (a new cookie: a directory claim with the shards). */
function eventOf(i: number, customers: number, prefix: string, newPerMille: number): GatewayEvent {
  if (newPerMille > 0 && (i * 7) % 1000 < newPerMille) {
    return parseEvent({ t: 'event', id: `${prefix}-${i}`, type: 'web.pageview', customer: { cookie: `${prefix}-visitor-${i}` }, channel: 'web', data: { url: '/deposits' } });
  }
  return parseEvent(makeEvent(i, customers, prefix));
}

async function openLoop(submit: Submit | undefined, customers: number, rate: number, seconds: number, prefix: string, newPerMille: number): Promise<Measured> {
  const total = rate * seconds;
  const latencies: number[] = [];
  let sent = 0;
  let errors = 0;
  const replies: Array<Promise<void>> = [];
  const cpu0 = cpuMicros();
  const main0 = mainThreadCpuSeconds(process.pid);
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000));
      while (sent < due) {
        const event = eventOf(sent++, customers, prefix, newPerMille);
        if (submit === undefined) continue;
        const at = performance.now();
        replies.push(
          submit(event).then((r) => {
            latencies.push(performance.now() - at);
            if (r.kind === 'error') errors++;
          }),
        );
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 5);
    };
    tick();
  });
  await Promise.all(replies);
  const cpuUs = (cpuMicros() - cpu0) / total;
  const mainUs = ((mainThreadCpuSeconds(process.pid) - main0) * 1e6) / total;
  if (errors > 0) throw new Error(`${errors} of ${total} events answered with an error`);
  latencies.sort((a, b) => a - b);
  return { cpuUs, mainUs, p99Ms: latencies.length === 0 ? 0 : (latencies[Math.floor(latencies.length * 0.99)] ?? 0) };
}

function benchConfig(dataDir: string): Readonly<Config> {
  return loadConfig({ ...process.env, KAIROS_PORT: '0', KAIROS_HOST: '127.0.0.1', KAIROS_DATA_DIR: dataDir, KAIROS_LOG_LEVEL: 'warn', KAIROS_SEGMENT_SWEEP_MS: '0' });
}

async function main(): Promise<void> {
  const { values } = benchArgs({
    command: 'npm run bench:shards -- [options]',
    summary: 'The whole process\'s CPU per event (all threads) at a fixed rate: the host on the main thread, then 1, 2, 4, 8 shards; their ratio to one shard\'s.',
    lastLine: 'shard-bench: rate=R events=E cpu_us_host=H cpu_us_1=A cpu_us_2=B ... shard_cpu_ratio_2=X ... p99_ms_1=P ...',
    options: {
      rate: { type: 'string', default: '1500', describe: 'events a second, sent whatever the replies' },
      seconds: { type: 'string', default: '10', describe: 'seconds measured at that rate, for each setup' },
      shards: { type: 'string', default: '1,2,4,8', describe: 'the shard counts measured, comma-separated' },
      customers: { type: 'string', default: '45211', describe: 'the first N demo customers take the events' },
      'new-visitors': { type: 'string', default: '0', describe: 'events in a thousand that are a new visitor\'s first (a new cookie: a claim in the shards\' directory)' },
    },
  });
  const rate = wholeOption('--rate', values.rate, 1, 100_000);
  const seconds = wholeOption('--seconds', values.seconds, 1, 3600);
  const customers = customersInTurns(values.customers);
  const newPerMille = wholeOption('--new-visitors', values['new-visitors'], 0, 1000);
  // (one shard always: the ratios are to its figure)
  const counts = [...new Set([1, ...values.shards.split(',').map((c) => wholeOption('--shards', c, 1, 64))])].sort((a, b) => a - b);
  const results = new Map<string, Measured>();
  const report = (name: string, m: Measured): void => {
    results.set(name, m);
    process.stderr.write(`shard-bench: ${name}: ${m.cpuUs.toFixed(1)} µs CPU per event (all threads, events' making included; the main thread ${m.mainUs.toFixed(1)}), p99 ${m.p99Ms.toFixed(1)} ms\n`);
  };

  // What making the events costs, alone.
  const gen = await openLoop(undefined, customers, rate, seconds, 'gen', newPerMille);
  process.stderr.write(`shard-bench: making the events: ${gen.cpuUs.toFixed(1)} µs CPU per event\n`);

  {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-shard-bench-'));
    const k = await startKairos(benchConfig(dir));
    try {
      const submit: Submit = (e) => k.host.submitEvent(e);
      await warm(submit, customers);
      report('host', await openLoop(submit, customers, rate, seconds, 'run', newPerMille));
    } finally {
      await k.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  for (const count of counts) {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-shard-bench-'));
    const config = benchConfig(dir);
    const shards = await Shards.start({ count, config, def: loadCatalogFile(demoCatalogPath()), clock: systemClock, logger: createLogger('warn') });
    try {
      const submit: Submit = (e) => shards.submitEvent(e);
      await warm(submit, customers);
      report(String(count), await openLoop(submit, customers, rate, seconds, 'run', newPerMille));
    } finally {
      await shards.close(10_000);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const net = (name: string): number => Math.max(0, (results.get(name)?.cpuUs ?? 0) - gen.cpuUs);
  const r1 = (x: number): string => x.toFixed(1);
  const fields = [`rate=${rate}`, `events=${rate * seconds}`, `new_visitors_per_1k=${newPerMille}`, `cpu_us_gen=${r1(gen.cpuUs)}`, `cpu_us_host=${r1(net('host'))}`];
  for (const c of counts) fields.push(`cpu_us_${c}=${r1(net(String(c)))}`);
  const one = net('1');
  for (const c of counts) if (c > 1 && one > 0) fields.push(`shard_cpu_ratio_${c}=${(net(String(c)) / one).toFixed(2)}`);
  fields.push(`p99_ms_host=${r1(results.get('host')?.p99Ms ?? 0)}`);
  for (const c of counts) fields.push(`p99_ms_${c}=${r1(results.get(String(c))?.p99Ms ?? 0)}`);
  console.log(`shard-bench: ${fields.join(' ')}`);
}

await main();
