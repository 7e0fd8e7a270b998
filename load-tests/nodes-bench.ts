import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './bench-args.js';
import { freePort } from '../src/free-port.js';
import { findMax, line, runGenerator, waitReady } from './harness.js';
import type { OpenLoopResult } from './open-loop.js';

/**
 * Events per second of one node on LMDB, one node on Redis, and two nodes on one Redis,
 * with the same open-loop generator (one generator process per node, each at its share of
 * the rate, the same demo customers on both nodes: a load balancer without affinity).
 * Starts its own redis-server (Debian's) unless --redis-url is given.
 *
 *   node dist/load-tests/nodes-bench.js [--rates 500,1000,...] [--step 6] [--setups lmdb_1,redis_1,redis_2]
 *
 * Last line: `nodes: lmdb_1=N redis_1=N redis_2=N` (the highest sustained events/s of each).
 */

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

interface Setup {
  name: string;
  nodes: number;
  env: Record<string, string>;
}

async function startNode(env: Record<string, string>, dataDir: string, children: ChildProcess[]): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'bin', 'kairos.js'), 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'warn'], {
    env: { ...process.env, KAIROS_SEGMENT_SWEEP_MS: '0', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  await waitReady(`http://127.0.0.1:${port}/ready`, 180_000);
  return `ws://127.0.0.1:${port}/v1/gateway`;
}

/** One step: every node gets rate / nodes events/s from its own generator; the results combined. */
async function step(urls: readonly string[], rate: number, sec: number, prefix: string): Promise<OpenLoopResult> {
  const share = Math.round(rate / urls.length);
  const results = await Promise.all(
    urls.map((url, i) => runGenerator(['--url', url, '--token', 'demo-gateway', '--rate', String(share), '--duration', String(sec), '--connections', '4', '--prefix', `${prefix}-${i}`])),
  );
  const first = results[0]!;
  return {
    ...first,
    url: urls.join(' + '),
    targetRate: share * urls.length,
    sent: results.reduce((a, r) => a + r.sent, 0),
    received: results.reduce((a, r) => a + r.received, 0),
    errors: results.reduce((a, r) => a + r.errors, 0),
    missing: results.reduce((a, r) => a + r.missing, 0),
    achievedRate: results.reduce((a, r) => a + r.achievedRate, 0),
    // The worst node's figures (percentiles do not add up).
    latencyMs: {
      p50: Math.max(...results.map((r) => r.latencyMs.p50)),
      p90: Math.max(...results.map((r) => r.latencyMs.p90)),
      p99: Math.max(...results.map((r) => r.latencyMs.p99)),
      p999: Math.max(...results.map((r) => r.latencyMs.p999)),
      max: Math.max(...results.map((r) => r.latencyMs.max)),
      mean: Math.max(...results.map((r) => r.latencyMs.mean)),
    },
    sendLagP99Ms: Math.max(...results.map((r) => r.sendLagP99Ms)),
  };
}

async function main(): Promise<void> {
  const { values } = benchArgs({
    command: 'node dist/load-tests/nodes-bench.js [options]',
    summary: 'The highest sustained events/s of one node on LMDB, one on Redis and two on one Redis, with the open-loop generator.',
    lastLine: 'nodes: lmdb_1=N redis_1=N redis_2=N',
    options: {
      rates: { type: 'string', default: '500,1000,1500,2000,2500,3000,4000,5000,6000', describe: 'arrival rates to step through (events/s, comma-separated)' },
      step: { type: 'string', default: '6', describe: 'steps at most' },
      'p99-bound': { type: 'string', default: '200', describe: 'p99 (ms) above which a rate is not kept up' },
      'redis-url': { type: 'string', describe: 'use this Redis instead of starting redis-server' },
      setups: { type: 'string', default: 'lmdb_1,redis_1,redis_2', describe: 'which setups to measure (comma-separated)' },
    },
  });
  const rates = values.rates.split(',').map(Number);
  const sec = Number(values.step);
  const bound = Number(values['p99-bound']);
  const log = (s: string): void => void process.stdout.write(`${s}\n`);
  const children: ChildProcess[] = [];
  const stop = (): void => {
    for (const c of children) c.kill('SIGTERM');
  };
  process.on('exit', stop);
  const scratch = mkdtempSync(join(tmpdir(), 'kairos-nodes-bench-'));
  let redisUrl = values['redis-url'];
  if (redisUrl === undefined) {
    const port = await freePort();
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', scratch, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'], { stdio: 'ignore' });
    children.push(redis);
    redisUrl = `redis://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 500));
  }
  const setups: Setup[] = [
    { name: 'lmdb_1', nodes: 1, env: { KAIROS_STORE: 'lmdb' } },
    { name: 'redis_1', nodes: 1, env: { KAIROS_STORE: 'redis', KAIROS_REDIS_URL: redisUrl, KAIROS_REDIS_PREFIX: 'bench1' } },
    { name: 'redis_2', nodes: 2, env: { KAIROS_STORE: 'redis', KAIROS_REDIS_URL: redisUrl, KAIROS_REDIS_PREFIX: 'bench2' } },
  ];
  const chosen = new Set(values.setups.split(','));
  const best: Record<string, number> = {};
  try {
    for (const s of setups.filter((x) => chosen.has(x.name))) {
      const before = children.length;
      const urls: string[] = [];
      // The first node loads the demo bank into the store; the second starts once it is there.
      for (let i = 0; i < s.nodes; i++) urls.push(await startNode({ ...s.env, KAIROS_NODE_ID: `${s.name}-${i}` }, join(scratch, `${s.name}-${i}`), children));
      log(`${s.name}: ${s.nodes} node(s) ready; warm-up`);
      await step(urls, 1000, 10, `${s.name}-warm`);
      const { max } = await findMax(rates, (rate, attempt) => step(urls, rate, sec, `${s.name}-${rate}-${attempt}`), bound, (r) => log(`  ${s.name.padEnd(8)} ${line(r)}`));
      best[s.name] = max;
      for (const c of children.splice(before)) c.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  log(`nodes: ${setups.filter((x) => chosen.has(x.name)).map((s) => `${s.name}=${best[s.name] ?? 0}`).join(' ')}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`nodes-bench: ${(err as Error).message}\n`);
  process.exit(1);
});
