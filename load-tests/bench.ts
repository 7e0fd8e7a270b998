import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { OpenLoopResult } from './open-loop.js';

/**
 * The benchmark harness (`npm run bench`): starts Kairos (LMDB store, the demo bank) and a
 * bare uWS echo server, each in its own process, and drives both with the open-loop
 * generator in a third process, in the same run on the same machine.
 *
 * For each server it steps the arrival rate up until the server stops keeping up (it
 * answers fewer than 97 % of the target rate, replies go missing, or p99 passes the
 * bound), and reports the highest sustained rate. Then it runs Kairos at half of that
 * rate for the latency figures. The last line is
 *   bench: events_per_s=N p99_ms=X echo_ratio=R rss_mb=M
 */

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const generator = join(here, 'open-loop.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready in ${timeoutMs} ms`);
}

function runGenerator(args: string[]): Promise<OpenLoopResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [generator, ...args], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`generator failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as OpenLoopResult);
    });
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? '0');
  return Math.round(kb / 1024);
}

interface Target {
  name: string;
  url: string;
  token?: string;
}

function sustained(r: OpenLoopResult, p99BoundMs: number): boolean {
  return r.missing === 0 && r.errors === 0 && r.achievedRate >= 0.97 * r.targetRate && r.latencyMs.p99 <= p99BoundMs;
}

function line(r: OpenLoopResult): string {
  const l = r.latencyMs;
  return `rate ${String(r.targetRate).padStart(6)}/s -> ${String(r.achievedRate).padStart(6)}/s  p50 ${l.p50} ms  p99 ${l.p99} ms  p99.9 ${l.p999} ms  max ${l.max} ms  errors ${r.errors}  missing ${r.missing}  send-lag p99 ${r.sendLagP99Ms} ms`;
}

async function findMax(t: Target, rates: number[], stepSec: number, connections: number, p99BoundMs: number, log: (s: string) => void): Promise<{ max: number; steps: OpenLoopResult[] }> {
  const steps: OpenLoopResult[] = [];
  let max = 0;
  for (const rate of rates) {
    const args = ['--url', t.url, '--rate', String(rate), '--duration', String(stepSec), '--connections', String(connections), '--prefix', `${t.name}-${rate}`];
    if (t.token !== undefined) args.push('--token', t.token);
    const r = await runGenerator(args);
    steps.push(r);
    log(`  ${t.name.padEnd(6)} ${line(r)}`);
    if (!sustained(r, p99BoundMs)) break;
    max = r.achievedRate;
  }
  return { max, steps };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rates: { type: 'string', default: '1000,2000,3000,4000,5000,6000,7000,8000,10000,12000,14000,16000,20000,24000,28000,32000,40000,48000' },
      step: { type: 'string', default: '8' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '4' },
      'p99-bound': { type: 'string', default: '200' },
    },
  });
  const rates = values.rates.split(',').map(Number);
  const stepSec = Number(values.step);
  const connections = Number(values.connections);
  const p99Bound = Number(values['p99-bound']);
  const log = (s: string): void => void process.stdout.write(`${s}\n`);

  const dataDir = mkdtempSync(join(tmpdir(), 'kairos-bench-'));
  const children: ChildProcess[] = [];
  const stopAll = (): void => {
    for (const c of children) c.kill('SIGTERM');
  };
  process.on('exit', stopAll);
  try {
    const kport = await freePort();
    const kairos = spawn(process.execPath, [join(root, 'bin', 'kairos.js'), 'serve', '--port', String(kport), '--host', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'warn'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(kairos);
    const echo = spawn(process.execPath, [join(here, 'echo-server.js'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(echo);
    const echoPort = await new Promise<number>((resolve) => {
      createInterface({ input: echo.stdout }).once('line', (l) => resolve((JSON.parse(l) as { port: number }).port));
    });
    log(`kairos pid ${kairos.pid} on ${kport} (LMDB in ${dataDir}); echo pid ${echo.pid} on ${echoPort}`);
    await waitReady(`http://127.0.0.1:${kport}/ready`, 120_000);

    const kTarget: Target = { name: 'kairos', url: `ws://127.0.0.1:${kport}/v1/gateway`, token: 'demo-gateway' };
    const eTarget: Target = { name: 'echo', url: `ws://127.0.0.1:${echoPort}/` };

    // Warm-up: activate a good part of the demo bank's actors and let the JIT settle.
    log('warm-up: 45,000 events at 3000/s');
    await runGenerator(['--url', kTarget.url, '--token', 'demo-gateway', '--rate', '3000', '--duration', '15', '--connections', String(connections), '--prefix', 'warm']);

    log(`stepping the rate (${stepSec} s a step; sustained = >= 97 % answered, none missing, p99 <= ${p99Bound} ms)`);
    const echoMax = await findMax(eTarget, rates, stepSec, connections, p99Bound, log);
    const kairosMax = await findMax(kTarget, rates, stepSec, connections, p99Bound, log);

    const half = Math.max(1000, Math.round(kairosMax.max / 2 / 100) * 100);
    log(`latency at half the highest rate (${half}/s, ${values.duration} s)`);
    const atHalf = await runGenerator(['--url', kTarget.url, '--token', 'demo-gateway', '--rate', String(half), '--duration', values.duration, '--connections', String(connections), '--prefix', 'half']);
    log(`  kairos ${line(atHalf)}`);
    const rss = rssMb(kairos.pid!);
    const metrics = await (await fetch(`http://127.0.0.1:${kport}/metrics`)).text();
    const hot = Number(/^kairos_hot_actors (\d+)/m.exec(metrics)?.[1] ?? '0');

    const ratio = echoMax.max > 0 ? kairosMax.max / echoMax.max : 0;
    const report = {
      at: new Date().toISOString(),
      node: process.version,
      cpus: (await import('node:os')).cpus().length,
      kairos: { maxEventsPerSec: kairosMax.max, steps: kairosMax.steps, atHalf, rssMb: rss, hotActors: hot },
      echo: { maxMessagesPerSec: echoMax.max, steps: echoMax.steps },
      echoRatio: Math.round(ratio * 100) / 100,
    };
    const outDir = join(root, 'load-tests', 'results');
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `bench-${report.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    log(`results: ${file}`);
    log(`kairos: highest sustained ${kairosMax.max} events/s; echo: ${echoMax.max} messages/s; RSS ${rss} MB; hot actors ${hot}`);
    log(`bench: events_per_s=${kairosMax.max} p99_ms=${atHalf.latencyMs.p99} echo_ratio=${report.echoRatio} rss_mb=${rss}`);
  } finally {
    stopAll();
    await new Promise((r) => setTimeout(r, 500));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
