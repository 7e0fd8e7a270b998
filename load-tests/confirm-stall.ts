import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './bench-args.js';
import { Packr, Unpackr } from 'msgpackr';
import WebSocket from 'ws';
import { freePort } from '../src/free-port.js';
import { waitReady } from './harness.js';

/**
 * What cheap frames aimed at a backlog cost everyone else: Kairos (LMDB, the demo bank, a
 * manual clock at noon in Moscow) is given an SMS backlog (one declined-ATM event for each of
 * `--backlog` customers: one SMS each, with no SMS adapter configured they wait in the
 * outbox), then one connection sends `--frames` `delivered` frames naming the `sms` channel
 * and instances it was never given (about 100 bytes each), while another sends an event
 * every 10 ms and times its decisions.
 *
 *   node dist/load-tests/confirm-stall.js [--backlog 10000] [--frames 200] [--kairos PATH/bin/kairos.js]
 *
 * `--kairos` runs another checkout's server (an older build, to compare). Last line:
 * `confirm-stall: backlog=N frames=N confirm_ms=X other_p50_ms=Y other_max_ms=Z`.
 */

const here = dirname(fileURLToPath(import.meta.url));
const { values } = benchArgs({
    command: 'npm run confirm-stall -- [options]',
    summary: 'What cheap `delivered` frames aimed at an SMS backlog cost other connections\' decisions.',
    lastLine: 'confirm-stall: backlog=N frames=N confirm_ms=X other_p50_ms=Y other_max_ms=Z',
    options: {
    backlog: { type: 'string', default: '10000', describe: 'SMS messages waiting in the outbox' },
    frames: { type: 'string', default: '200', describe: '`delivered` frames naming unknown instances' },
    kairos: { type: 'string', default: join(here, '..', '..', 'bin', 'kairos.js'), describe: 'the server to run (another checkout\'s bin/kairos.js, to compare)' },
  },
  });
const backlog = Number(values.backlog);
const frames = Number(values.frames);
if (!Number.isSafeInteger(backlog) || backlog < 1 || backlog > 45_000) throw new Error('--backlog must be 1 to 45000');
if (!Number.isSafeInteger(frames) || frames < 1) throw new Error('--frames must be a whole number');

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

interface Conn {
  ws: WebSocket;
  request: (frame: Record<string, unknown>) => Promise<Record<string, unknown>>;
}

async function connect(url: string): Promise<Conn> {
  const ws = new WebSocket(url, { headers: { Authorization: 'Bearer demo-gateway' } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const waiting = new Map<string, (f: Record<string, unknown>) => void>();
  ws.on('message', (data: Buffer) => {
    const f = unpackr.unpack(data) as Record<string, unknown>;
    const re = typeof f.re === 'string' ? f.re : undefined;
    if (re === undefined) return;
    waiting.get(re)?.(f);
    waiting.delete(re);
  });
  return {
    ws,
    request: (frame) =>
      new Promise((resolve) => {
        waiting.set(frame.id as string, resolve);
        ws.send(packr.pack(frame));
      }),
  };
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kairos-stall-'));
  const port = await freePort();
  const kairos = spawn(process.execPath, [values.kairos, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'warn', '--clock', 'manual'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, KAIROS_RATE_LIMIT: '1000000', KAIROS_MAX_BAD_FRAMES: '1000000' },
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitReady(`${base}/ready`, 120_000);
    const noon = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 9 * 3_600_000;
    await fetch(`${base}/v1/clock`, { method: 'POST', headers: { Authorization: 'Bearer demo-admin', 'Content-Type': 'application/json' }, body: JSON.stringify({ now: noon }) });
    const url = `ws://127.0.0.1:${port}/v1/gateway`;
    const filler = await connect(url);
    let sms = 0;
    for (let from = 1; from <= backlog; from += 500) {
      const replies = await Promise.all(
        Array.from({ length: Math.min(500, backlog - from + 1) }, (_, i) =>
          filler.request({ t: 'event', id: `fill-${from + i}`, type: 'atm.withdrawal.declined', customer: { id: `demo-${from + i}` }, channel: 'atm', data: { requested: 1000, balance: 800 } }),
        ),
      );
      for (const r of replies) sms += ((r.actions as Array<{ channel: string }> | undefined) ?? []).filter((a) => a.channel === 'sms').length;
    }
    process.stdout.write(`backlog: ${sms} SMS waiting in the outbox\n`);
    const attacker = await connect(url);
    const other = await connect(url);
    const latencies: number[] = [];
    let running = true;
    const probe = (async () => {
      for (let i = 0; running; i++) {
        const t0 = performance.now();
        await other.request({ t: 'event', id: `other-${i}`, type: 'web.pageview', customer: { id: `demo-${40_000 + (i % 1000)}` }, channel: 'web' });
        latencies.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    const t0 = performance.now();
    await Promise.all(Array.from({ length: frames }, (_, i) => attacker.request({ t: 'delivered', id: `d-${i}`, instance: `demo-${i + 1}:9.zzzz`, channel: 'sms' })));
    const confirmMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 500));
    running = false;
    await probe;
    for (const c of [filler, attacker, other]) c.ws.close();
    process.stdout.write(`${frames} delivered frames answered in ${confirmMs.toFixed(0)} ms; another gateway's ${latencies.length} decisions meanwhile: p50 ${quantile(latencies, 0.5).toFixed(2)} ms, max ${Math.max(...latencies).toFixed(1)} ms\n`);
    process.stdout.write(
      `confirm-stall: backlog=${sms} frames=${frames} confirm_ms=${confirmMs.toFixed(0)} other_p50_ms=${quantile(latencies, 0.5).toFixed(2)} other_max_ms=${Math.max(...latencies).toFixed(1)}\n`,
    );
  } finally {
    kairos.kill('SIGTERM');
    await new Promise((r) => kairos.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
