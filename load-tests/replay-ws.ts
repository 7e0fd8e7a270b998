import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Packr, Unpackr } from 'msgpackr';
import WebSocket from 'ws';
import type { Explanation } from '../actors/index.js';
import { freePort } from '../src/free-port.js';
import type { BankCall } from '../src/replay/bank-rows.js';
import { readBankCalls } from '../src/replay/bank-rows.js';
import type { CallPath, LiveReplayResult } from '../src/replay/live-replay.js';
import { REPLAY_CAMPAIGN, callAnswer, callEvent, inProcessPath, replayCalls, replayLine, replayProbability, writeReplayCatalog } from '../src/replay/live-replay.js';
import { benchArgs } from './bench-args.js';
import { waitReady } from './harness.js';

/**
 * The replay of `kairos replay` (src/replay/live-replay.ts) against a running server, as a call
 * centre's gateway would drive it: `kairos serve` in its own process (memory store, the manual
 * clock started at the first call, the demo bank, the replay's catalog), each call moved to its
 * time with `POST /v1/clock`, sent as a MessagePack `event` frame over the gateway's WebSocket,
 * its probability read from the customer's card (`GET /v1/customers/{id}`, the last decision),
 * its answer sent as a `response` frame. With `--in-process` the same calls also go through the
 * in-process path of `kairos replay`, and the last line says whether every figure is the same.
 */

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const ADMIN = 'demo-admin';

class GatewaySocket {
  private readonly packr = new Packr({ useRecords: false });
  private readonly unpackr = new Unpackr({ useRecords: false, int64AsType: 'number' });
  private readonly waiting = new Map<string, (frame: Record<string, unknown>) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const f = this.unpackr.unpack(data) as Record<string, unknown>;
      const re = typeof f.re === 'string' ? f.re : undefined;
      const resolve = re === undefined ? undefined : this.waiting.get(re);
      if (resolve !== undefined && re !== undefined) {
        this.waiting.delete(re);
        resolve(f);
      }
    });
  }

  static open(url: string, token: string): Promise<GatewaySocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, headers: { Authorization: `Bearer ${token}` } });
      ws.once('open', () => resolve(new GatewaySocket(ws)));
      ws.once('error', reject);
    });
  }

  /** Sends a frame and resolves with the reply naming it; rejects after 30 s without one. */
  request(frame: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = frame.id as string;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no reply to ${String(frame.t)} ${id} within 30 s`));
      }, 30_000);
      this.waiting.set(id, (f) => {
        clearTimeout(timer);
        resolve(f);
      });
      this.ws.send(this.packr.pack(frame), { binary: true });
    });
  }

  close(): void {
    this.ws.close();
  }
}

async function admin(base: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, { method, headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const reply = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(reply)}`);
  return reply;
}

/** A running `kairos serve` driven over the gateway's WebSocket and the admin API. */
async function serverPath(first: number): Promise<CallPath> {
  const catalog = writeReplayCatalog();
  const port = await freePort();
  const server = spawn(process.execPath, [join(root, 'bin', 'kairos.js'), 'serve', '--port', String(port), '--host', '127.0.0.1', '--store', 'memory', '--clock', 'manual', '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, KAIROS_CATALOG_FILE: catalog.file, KAIROS_CLOCK_START: String(first), KAIROS_DEMO: 'true', KAIROS_SEGMENT_SWEEP_MS: '0' },
  });
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/ready`, 120_000);
  const ws = await GatewaySocket.open(`ws://127.0.0.1:${port}/v1/gateway`, 'demo-gateway');
  const refused = (call: BankCall, f: Record<string, unknown>): Error => new Error(`row ${call.n}: ${JSON.stringify(f)}`);
  return {
    async decide(call) {
      await admin(base, 'POST', '/v1/clock', { now: call.at });
      const reply = await ws.request({ t: 'event', ...callEvent(call) });
      if (reply.t !== 'decision') throw refused(call, reply);
      const action = (reply.actions as Array<{ campaign: string; instance: string }>).find((a) => a.campaign === REPLAY_CAMPAIGN);
      const card = await admin(base, 'GET', `/v1/customers/demo-${call.n}`);
      const probability = replayProbability(call, card.lastDecision as Explanation[] | undefined);
      return action === undefined ? { probability } : { probability, instance: action.instance };
    },
    async answer(call, instance) {
      const reply = await ws.request({ t: 'response', ...callAnswer(call, instance) });
      if (reply.t !== 'ack') throw refused(call, reply);
    },
    async close() {
      ws.close();
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
      catalog.remove();
    },
  };
}

const { values } = benchArgs({
  command: 'npm run bench:replay -- [options]',
  summary:
    "kairos replay's bank-full calls against a running server over the gateway's WebSocket (kairos serve: memory store, manual clock, the demo bank, the replay's catalog): each call a callcenter.call event frame, its score from the customer's last decision, its answer a response frame.",
  lastLine: 'replay-ws: rows=N auc=A wm_auc=W alift=L top50=T [same_as_in_process=true|false]',
  options: {
    csv: { type: 'string', default: 'demo/bank-full.csv', describe: 'the UCI bank-full file (relative to the repository)' },
    rows: { type: 'string', describe: 'replay the first N rows only (all by default)' },
    'in-process': { type: 'boolean', default: false, describe: 'also run the in-process path of kairos replay and compare every figure' },
  },
});

const rows = values.rows === undefined ? Infinity : Number(values.rows);
if (!(rows === Infinity || (Number.isInteger(rows) && rows >= 1))) {
  process.stderr.write(`replay-ws: --rows must be a whole number of at least 1, not "${values.rows}"\n`);
  process.exit(2);
}
const calls = await readBankCalls(join(root, values.csv), rows);
const started = Date.now();
const remote = await serverPath(calls[0]!.at);
let ws: LiveReplayResult;
try {
  ws = await replayCalls(calls, remote, (n) => process.stderr.write(`replay-ws: ${n} rows\n`));
} finally {
  await remote.close();
}
console.log(`over WebSocket: ${calls.length} calls, ${ws.offered} offered and answered, ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(replayLine(ws.first, 'replay-ws(first 15000, for settings)'));
console.log(replayLine(ws.rest, 'replay-ws(the rest)'));
let same = '';
if (values['in-process']) {
  const local = await inProcessPath(calls[0]!.at);
  let inProcess: LiveReplayResult;
  try {
    inProcess = await replayCalls(calls, local);
  } finally {
    await local.close();
  }
  console.log(`in process: ${inProcess.offered} offered and answered`);
  console.log(replayLine(inProcess, 'replay(in process)'));
  const figures = (r: LiveReplayResult): string => [replayLine(r), replayLine(r.first), replayLine(r.rest), r.offered].join(' ');
  same = ` same_as_in_process=${figures(inProcess) === figures(ws)}`;
}
console.log(`${replayLine(ws, 'replay-ws')}${same}`);
