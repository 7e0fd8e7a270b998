import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './bench-args.js';
import { Packr, Unpackr } from 'msgpackr';
import WebSocket from 'ws';
import { freePort } from '../src/free-port.js';
import { waitReady } from './harness.js';

/**
 * A bounded fuzz run against a real Kairos (its own process: LMDB, the demo bank): hostile
 * and careless inputs on every way in, counting what must never happen.
 *
 * - WebSocket frames: valid frames with fields replaced by values of every type and size,
 *   random bytes, valid encodings with bytes flipped, cut or appended, lying length headers,
 *   nesting thousands deep, MessagePack extensions (records, ids, pointers, BigInt, dates),
 *   text frames. Every frame must get exactly one reply (`deliver` pushes aside) and none
 *   may be `internal`; no connection may be closed.
 * - HTTP: `POST /v1/events` with such bodies as JSON and MessagePack, and every admin
 *   operation the OpenAPI document lists (but the clock, erasure and catalog rollbacks, which
 *   would change what later inputs mean) with random path parameters and bodies. No answer
 *   may be a 5xx.
 * - The server must not crash; its heap is read from /metrics before and after.
 *
 * `npm run fuzz [-- --inputs N --seed S --connections C]`. The last line is
 * `fuzz: inputs=N ws=N http=N http_5xx=0 internal=0 crashes=0 unanswered=0 closed=0 heap_before_mb=X heap_after_mb=Y`.
 * Exits 1 when any of the counts that must be zero is not.
 */

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

const { values } = benchArgs({
    command: 'npm run fuzz -- [options]',
    summary: 'A bounded fuzz run against a real Kairos: hostile WebSocket frames, HTTP bodies and admin calls; exits 1 when anything that must not happen did.',
    lastLine: 'fuzz: inputs=N ws=N http=N http_5xx=0 internal=0 crashes=0 unanswered=0 closed=0 heap_before_mb=X heap_after_mb=Y',
    options: {
    inputs: { type: 'string', default: '100000', describe: 'inputs in all' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000), describe: 'the random seed (from the clock by default)' },
    connections: { type: 'string', default: '8', describe: 'WebSocket connections' },
    batch: { type: 'string', default: '200', describe: 'inputs sent at a time' },
  },
  });
const totalInputs = Number(values.inputs);
const seed = Number(values.seed);
const connections = Number(values.connections);
const batch = Number(values.batch);
for (const [name, v] of [['inputs', totalInputs], ['seed', seed], ['connections', connections], ['batch', batch]] as const) {
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`--${name} must be a whole number`);
}

// ---------------------------------------------------------------------------------------
// A seeded generator, so a failing run can be repeated with --seed.

let state = seed >>> 0 || 1;
function rand(): number {
  // xorshift32
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 0x1_0000_0000;
}
const int = (n: number): number => Math.floor(rand() * n);
function pick<T>(items: readonly T[]): T {
  return items[int(items.length)] as T;
}

const plain = new Packr({ useRecords: false, variableMapSize: true });
const records = new Packr({ useRecords: true });
const clones = new Packr({ useRecords: false, structuredClone: true });
const reader = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

const strings = ['', 'a', 'demo-1', 'card-19', '+79161234567', 'x@y.ru', '%', '%zz', '{{', '}}', '__proto__', 'constructor', 'Раиса', '\u0000', '\ud800', 'я'.repeat(300), 'x'.repeat(5000)];

/** Bytes of an array nested `depth` deep (no encoder can write them: its stack overflows first). */
function deepBytes(depth: number): Buffer {
  const b = Buffer.alloc(depth + 1, 0x91);
  b[depth] = 0x01;
  return b;
}

function randomValue(depth = 0): unknown {
  switch (int(depth > 3 ? 9 : 12)) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return pick([0, -1, 1.5, 2 ** 31, 2 ** 32 + 1, 2 ** 53 - 1, 8.64e15 + 1, 2 ** 53, -(2 ** 60), 1e308, Number.MAX_SAFE_INTEGER, int(1e13)]);
    case 3:
      return pick([Infinity, -Infinity, NaN, 1e-300]);
    case 4:
      return pick(strings);
    case 5:
      return BigInt(2) ** BigInt(64 + int(100));
    case 6:
      return Buffer.from(Array.from({ length: int(40) }, () => int(256)));
    case 7:
      return String.fromCharCode(...Array.from({ length: int(30) }, () => int(0xffff)));
    case 8:
      return int(1000);
    case 9:
      return Array.from({ length: int(5) }, () => randomValue(depth + 1));
    case 10:
      return Object.fromEntries(Array.from({ length: int(5) }, () => [pick([...strings, 'data', 'at', 'id', 't']), randomValue(depth + 1)]));
    default: {
      let v: unknown = 1;
      for (let i = int(40); i > 0; i--) v = { d: v };
      return v;
    }
  }
}

const types = ['atm.withdrawal.declined', 'card.transaction', 'web.pageview', 'ib.login', 'branch.visit', 'insurance.purchased', 'call.started'];

/** A frame a gateway could send, valid more often than not. */
function baseFrame(n: number): Record<string, unknown> {
  const id = `fz-${seed}-${n}`;
  const customer = { id: `demo-${1 + int(45_211)}` };
  switch (int(6)) {
    case 0:
    case 1:
    case 2:
      return { t: 'event', id, type: pick(types), customer, channel: pick(['atm', 'web', 'branch', 'pos']), data: { requested: 1000, balance: 800, amount: int(10_000), mcc: '5812' } };
    case 3:
      return { t: 'response', id, instance: `${customer.id}:${int(5)}.${int(1e6).toString(36)}`, outcome: pick(['accepted', 'declined', 'clicked', 'weird']), data: { reply: '1' } };
    case 4:
      return { t: pick(['delivered', 'failed']), id, instance: `${customer.id}:1.x`, channel: pick(['sms', 'ib', 'email']) };
    default:
      return { t: 'subscribe', id, channels: [pick(['ib', 'callcenter', 'branch', 'x'])] };
  }
}

/** Replaces, removes or adds fields, here or inside the frame's maps. */
function mutateFields(frame: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...frame };
  for (let i = 1 + int(3); i > 0; i--) {
    const keys = Object.keys(out);
    const data = out.data;
    const target = rand() < 0.3 && typeof data === 'object' && data !== null && Object.getPrototypeOf(data) === Object.prototype ? (data as Record<string, unknown>) : out;
    const key = rand() < 0.8 ? pick(keys.length > 0 ? keys : ['x']) : pick(strings);
    if (rand() < 0.15) delete target[key];
    else target[key] = randomValue();
  }
  return out;
}

function tryPack(packr: Packr, v: unknown): Buffer {
  try {
    return packr.pack(v);
  } catch {
    return plain.pack({ t: 'event', id: 'unpackable' });
  }
}

/** One WebSocket input: bytes (or text) and what kind it is. */
function wsInput(n: number): { data: Buffer | string; binary: boolean } {
  const frame = baseFrame(n);
  switch (int(16)) {
    case 0:
      return { data: toJson(frame), binary: false };
    case 1:
      return { data: Buffer.from(Array.from({ length: int(120) }, () => int(256))), binary: true };
    case 2: {
      // a valid encoding with bytes flipped
      const b = Buffer.from(tryPack(plain, frame));
      for (let i = 1 + int(4); i > 0; i--) b[int(b.length)] = int(256);
      return { data: b, binary: true };
    }
    case 3: {
      // cut short, or with bytes after the value
      const b = tryPack(plain, frame);
      return { data: rand() < 0.5 ? b.subarray(0, int(b.length)) : Buffer.concat([b, Buffer.from([int(256), int(256)])]), binary: true };
    }
    case 4: {
      // a lying length header: array, map, string or binary announcing up to 2^32-1
      const head = pick([0xdd, 0xdf, 0xdb, 0xc6]);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(pick([0xffffffff, 0x7fffffff, 1 << 20, 1000]));
      return { data: Buffer.concat([Buffer.from([head]), len, Buffer.from([1, 2, 3])]), binary: true };
    }
    case 5: {
      // data nested thousands deep, written by hand
      const head = tryPack(plain, { t: 'event', id: `fz-${seed}-${n}`, type: 'insurance.purchased', customer: { id: 'demo-7' } });
      const map = Buffer.from(head);
      // variableMapSize: a fixmap of 4 becomes 5 with "data" appended
      map[0] = 0x85;
      return { data: Buffer.concat([map, plain.pack('data'), deepBytes(500 + int(5000))]), binary: true };
    }
    case 6:
      return { data: tryPack(records, mutateFields(frame)), binary: true };
    case 7: {
      const cyclic = mutateFields(frame);
      cyclic.data = { self: cyclic, big: BigInt(2) ** BigInt(70) };
      return { data: tryPack(clones, cyclic), binary: true };
    }
    case 8: {
      // an extension value inside data: BigInt, timestamp, pointer, id, record definition, unknown
      const ext = pick([
        [0xd4, 0x42, 0x01],
        [0xd6, 0xff, 0, 0, 0, 1],
        [0xc7, 0x01, 0x70, 0x00],
        [0xd6, 0x69, 0, 0, 0, 1, 0x90],
        [0xd4, 0x72, 0x40],
        [0xd5, 0x33, 0x01, 0x02],
      ]);
      const head = Buffer.from(tryPack(plain, { t: 'response', id: `fz-${seed}-${n}`, instance: 'demo-3:1.x', outcome: 'accepted' }));
      head[0] = 0x85;
      return { data: Buffer.concat([head, plain.pack('data'), Buffer.from(ext)]), binary: true };
    }
    case 9:
    case 10:
    case 11:
      // a valid frame whose data is anything: what passes the bounds is kept in state
      return { data: tryPack(plain, { ...frame, data: Object.fromEntries(Array.from({ length: 1 + int(6) }, () => [pick([...strings, 'amount', 'reply', 'mcc']), randomValue(1)])) }), binary: true };
    default:
      return { data: tryPack(plain, mutateFields(frame)), binary: true };
  }
}

// ---------------------------------------------------------------------------------------
// HTTP inputs

interface HttpInput {
  method: string;
  /** the operation's path template, for the report */
  route: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
}

/** Operations not fuzzed: they move the clock, erase customers or roll the catalog back, and would change what later inputs mean. */
const skipped = [/\/v1\/clock$/, /\/v1\/catalog\/versions\//];

function randomSegment(): string {
  return pick(['demo-1', 'demo-99999999', '%', '%zz', '%E0%A4%A', '..', 'atm-shortfall', 'sms', 'x'.repeat(int(3000)), encodeURIComponent(pick(strings.filter((s) => s !== '\ud800'))), String(int(1e9))]);
}

function randomBody(): { body: string | Buffer; type: string } {
  switch (int(7)) {
    case 0:
      return { body: toJson(randomJson()), type: 'application/json' };
    case 1:
      return { body: `${'['.repeat(3000 + int(20_000))}1${']'.repeat(3000)}`, type: 'application/json' };
    case 2:
      return { body: Buffer.from(Array.from({ length: int(300) }, () => int(256))), type: pick(['application/json', 'application/yaml', 'text/plain', 'application/msgpack']) };
    case 3:
      // YAML aliases, each list nine times the one before
      return { body: `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n`, type: pick(['application/yaml', 'text/yaml']) };
    case 4:
      return { body: tryPack(plain, mutateFields(baseFrame(int(1e9)))), type: 'application/msgpack' };
    case 5:
      return { body: JSON.stringify({ text: `{{${' '.repeat(int(60_000))}`, subject: '{{ customer.firstName |', when: { all: [{ any: [] }] } }), type: 'application/json' };
    default:
      return { body: toJson(mutateFields(baseFrame(int(1e9)))), type: 'application/json' };
  }
}

/** JSON text of a value, BigInts and buffers as strings (JSON has no other way to say them). */
function toJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  } catch {
    return '{"unserializable": true}';
  }
}

function randomJson(depth = 0): unknown {
  const v = randomValue(depth);
  if (typeof v === 'bigint' || v instanceof Buffer || (typeof v === 'number' && !Number.isFinite(v))) return String(v);
  return v;
}

function eventsInput(): HttpInput {
  const { body, type } = randomBody();
  return { method: 'POST', route: '/v1/events', path: '/v1/events', headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': type }, body };
}

function adminInput(ops: ReadonlyArray<{ method: string; path: string }>): HttpInput {
  const op = pick(ops);
  const path = op.path.replace(/\{[^}]+\}/g, () => randomSegment());
  const headers: Record<string, string> = { Authorization: 'Bearer demo-admin' };
  if (op.method === 'GET' || op.method === 'DELETE') return { method: op.method, route: op.path, path: rand() < 0.2 ? `${path}?limit=${pick(['-1', 'x', '1e99', '100000000'])}` : path, headers };
  const { body, type } = randomBody();
  headers['Content-Type'] = type;
  return { method: op.method, route: op.path, path, headers, body };
}

// ---------------------------------------------------------------------------------------

interface Counts {
  ws: number;
  http: number;
  http5xx: number;
  internal: number;
  unanswered: number;
  closed: number;
  examples: string[];
  /** 5xx answers by status, method and operation */
  failing: Map<string, number>;
  /** WebSocket replies by kind: decision, ack, or the error's code */
  replies: Map<string, number>;
  /** HTTP answers by status */
  statuses: Map<number, number>;
}

function note(counts: Counts, what: string): void {
  if (counts.examples.length < 10) counts.examples.push(what);
}

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m === null ? NaN : Number(m[1]);
}

/** One connection's share: sends in batches, each waited for until every frame has its reply. */
async function runConnection(url: string, inputs: number, offset: number, counts: Counts): Promise<void> {
  const ws = new WebSocket(url, { headers: { Authorization: 'Bearer demo-gateway' } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let received = 0;
  let closed = false;
  let wake: (() => void) | undefined;
  ws.on('message', (data: Buffer) => {
    let f: Record<string, unknown> | undefined;
    try {
      f = reader.unpack(data) as Record<string, unknown>;
    } catch {
      note(counts, 'an unreadable server frame');
    }
    if (f?.t === 'deliver') return;
    const kind = f?.t === 'error' ? String(f.code) : String(f?.t);
    counts.replies.set(kind, (counts.replies.get(kind) ?? 0) + 1);
    if (f?.t === 'error' && f.code === 'internal') {
      counts.internal++;
      note(counts, `internal: ${JSON.stringify(f)}`);
    }
    received++;
    wake?.();
  });
  ws.on('close', (code) => {
    if (!closed) {
      counts.closed++;
      note(counts, `connection closed by the server: ${code}`);
    }
    closed = true;
    wake?.();
  });
  let sent = 0;
  for (let done = 0; done < inputs && !closed; ) {
    const n = Math.min(batch, inputs - done);
    for (let i = 0; i < n; i++) {
      const input = wsInput(offset + done + i);
      ws.send(input.data, { binary: input.binary });
      sent++;
    }
    done += n;
    const deadline = Date.now() + 15_000;
    while (received < sent && !closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 250);
      });
    }
    if (received < sent) break;
  }
  counts.ws += sent;
  counts.unanswered += sent - received;
  closed = true;
  ws.close();
}

async function runHttp(base: string, inputs: number, ops: ReadonlyArray<{ method: string; path: string }>, counts: Counts): Promise<void> {
  for (let i = 0; i < inputs; i++) {
    const input = rand() < 0.5 ? eventsInput() : adminInput(ops);
    counts.http++;
    let status: number;
    try {
      const init: RequestInit = { method: input.method, headers: input.headers };
      if (input.body !== undefined) init.body = input.body;
      const res = await fetch(`${base}${input.path}`, init);
      status = res.status;
      await res.arrayBuffer();
    } catch (err) {
      status = 599;
      note(counts, `${input.method} ${input.path.slice(0, 80)}: ${(err as Error).message}`);
    }
    counts.statuses.set(status, (counts.statuses.get(status) ?? 0) + 1);
    if (status >= 500) {
      counts.http5xx++;
      const key = `${status} ${input.method} ${input.route}`;
      counts.failing.set(key, (counts.failing.get(key) ?? 0) + 1);
      note(counts, `${status} on ${input.method} ${input.path.slice(0, 80)} (${String(input.headers['Content-Type'])})`);
    }
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kairos-fuzz-'));
  const port = await freePort();
  const kairos = spawn(
    process.execPath,
    [join(root, 'bin', 'kairos.js'), 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'silent'],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, KAIROS_RATE_LIMIT: '1000000', KAIROS_MAX_BAD_FRAMES: '1000000', KAIROS_MAX_IN_FLIGHT: '1000000' } },
  );
  let crashes = 0;
  let stopping = false;
  kairos.on('exit', (code, signal) => {
    if (!stopping) {
      crashes++;
      process.stderr.write(`kairos exited during the run: code ${String(code)}, signal ${String(signal)}\n`);
    }
  });
  const base = `http://127.0.0.1:${port}`;
  const counts: Counts = { ws: 0, http: 0, http5xx: 0, internal: 0, unanswered: 0, closed: 0, examples: [], failing: new Map(), replies: new Map(), statuses: new Map() };
  try {
    await waitReady(`${base}/ready`, 120_000);
    const doc = (await (await fetch(`${base}/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((m) => ['get', 'post', 'put', 'delete'].includes(m))
        .filter((m) => !skipped.some((re) => re.test(path)) && !(m === 'delete' && path.startsWith('/v1/customers/')))
        .map((m) => ({ method: m.toUpperCase(), path })),
    );
    const heapBefore = await metric(base, 'kairos_nodejs_heap_size_used_bytes');
    const started = Date.now();
    const httpInputs = Math.floor(totalInputs / 10);
    const wsInputs = totalInputs - httpInputs;
    const per = Math.ceil(wsInputs / connections);
    await Promise.all([
      ...Array.from({ length: connections }, (_, c) => runConnection(`ws://127.0.0.1:${port}/v1/gateway`, Math.min(per, wsInputs - c * per), c * per, counts)),
      runHttp(base, httpInputs, ops, counts),
    ]);
    const seconds = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 2000));
    const heapAfter = crashes > 0 ? NaN : await metric(base, 'kairos_nodejs_heap_size_used_bytes');
    const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);
    for (const e of counts.examples) process.stderr.write(`  ${e}\n`);
    for (const [key, n] of [...counts.failing].sort((a, b) => b[1] - a[1])) process.stderr.write(`  ${n} x ${key}\n`);
    process.stdout.write(`seed ${seed}: ${counts.ws + counts.http} inputs in ${seconds.toFixed(1)} s (${counts.ws} frames on ${connections} connections, ${counts.http} HTTP requests over ${ops.length} admin operations and POST /v1/events)\n`);
    const tally = (m: Map<string | number, number>): string => [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
    process.stdout.write(`frames answered: ${tally(counts.replies)}\nHTTP answers: ${tally(counts.statuses)}\n`);
    process.stdout.write(
      `fuzz: inputs=${counts.ws + counts.http} ws=${counts.ws} http=${counts.http} http_5xx=${counts.http5xx} internal=${counts.internal} crashes=${crashes} unanswered=${counts.unanswered} closed=${counts.closed} heap_before_mb=${mb(heapBefore)} heap_after_mb=${mb(heapAfter)} seed=${seed}\n`,
    );
    if (counts.http5xx + counts.internal + crashes + counts.unanswered + counts.closed > 0) process.exitCode = 1;
  } finally {
    stopping = true;
    kairos.kill('SIGTERM');
    await new Promise((r) => kairos.once('exit', r).once('error', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
