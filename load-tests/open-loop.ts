import { benchArgs } from './bench-args.js';
import * as hdr from 'hdr-histogram-js';
import { Packr, Unpackr } from 'msgpackr';
import WebSocket from 'ws';

/**
 * An open-loop WebSocket load generator, run as its own process. It sends frames at a
 * constant arrival rate, whatever the server does: frame i is due at t0 + i / rate, and its
 * latency is measured from that intended send time (not from when it actually went out), so
 * a stalled server is charged for every frame it delayed (no coordinated omission).
 * Latencies go into an HDR histogram (microseconds, 3 significant digits).
 *
 * The same generator drives Kairos and a bare uWS echo server; replies are matched by `re`
 * (Kairos) or `id` (the echo returns the frame itself).
 *
 *   node dist/load-tests/open-loop.js --url ws://127.0.0.1:8080/v1/gateway --rate 5000 --duration 10
 *
 * Prints one JSON line with the result.
 */

export interface OpenLoopResult {
  url: string;
  targetRate: number;
  durationSec: number;
  connections: number;
  sent: number;
  received: number;
  errors: number;
  /** replies still missing when the run ended (after the grace period) */
  missing: number;
  achievedRate: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** how late the generator itself sent, at p99 (a sign the generator, not the server, was saturated) */
  sendLagP99Ms: number;
}

const types = ['card.transaction', 'card.transaction', 'card.transaction', 'card.transaction', 'card.transaction', 'card.transaction', 'web.pageview', 'web.pageview', 'ib.login', 'atm.withdrawal.declined', 'branch.visit', 'callcenter.call'] as const;

/** Where a run starts in the bank: a hash of its prefix, so each run (warm-up, steps) meets other customers. */
function startOf(prefix: string, customers: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < prefix.length; k++) h = Math.imul(h ^ prefix.charCodeAt(k), 0x01000193);
  return (h >>> 0) % customers;
}

/**
 * makeEvent's step through the bank: a prime, so any `customers` consecutive events of a run
 * meet each customer once, unless it divides `customers`.
 */
export const EVENT_STRIDE = 7919;

/**
 * `--customers N` for a script that sends each of the first N demo customers their events
 * in turns (N consecutive events a turn): 1..45211, the demo bank, and not a multiple of
 * EVENT_STRIDE, or some customers would get none.
 */
export function customersInTurns(raw: string | undefined): number {
  const customers = Number(raw);
  if (!Number.isInteger(customers) || customers < 1 || customers > 45_211 || customers % EVENT_STRIDE === 0) {
    throw new Error(`--customers must be 1..45211 (the demo bank) and not a multiple of ${EVENT_STRIDE} (the generator's stride), not ${raw}`);
  }
  return customers;
}

/** A load-test script's option that must be a whole number from `min` (up to `max`); the error names it. */
export function wholeOption(name: string, raw: string | undefined, min: number, max = Infinity): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max !== Infinity ? `a whole number ${min}..${max}` : min === 1 ? 'a positive whole number' : `a whole number from ${min}`;
    throw new Error(`--${name} must be ${range}, not ${raw}`);
  }
  return n;
}

/** A realistic mix of gateway events over the bank's customers (demo-1 … demo-N). */
export function makeEvent(i: number, customers: number, prefix: string): Record<string, unknown> {
  const n = 1 + (((i + startOf(prefix, customers)) * EVENT_STRIDE) % customers);
  const type = types[i % types.length] ?? 'web.pageview';
  const base = { t: 'event', id: `${prefix}-${i}`, type };
  switch (type) {
    case 'card.transaction':
      return { ...base, customer: { card: `card-${n}` }, channel: 'pos', data: { amount: 100 + (i % 5000), mcc: i % 3 === 0 ? '5812' : '5411', currency: 'RUB' } };
    case 'web.pageview':
      return { ...base, customer: { id: `demo-${n}` }, channel: 'web', data: { url: '/deposits' } };
    case 'ib.login':
      return { ...base, customer: { id: `demo-${n}` }, channel: 'ib' };
    case 'atm.withdrawal.declined':
      return { ...base, customer: { card: `card-${n}` }, channel: 'atm', data: { requested: 1000, balance: 800, currency: 'RUB' } };
    case 'branch.visit':
      return { ...base, customer: { id: `demo-${n}` }, channel: 'branch', location: { lat: 55.7614, lon: 37.609, place: 'msk-tverskaya' } };
    case 'callcenter.call':
      return { ...base, customer: { id: `demo-${n}` }, channel: 'callcenter' };
    default:
      return { ...base, customer: { id: `demo-${n}` } };
  }
}

function connect(url: string, token: string | undefined): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export async function runOpenLoop(o: {
  url: string;
  rate: number;
  durationSec: number;
  connections: number;
  token?: string;
  customers: number;
  prefix: string;
  /**
   * How close to a frame's due time the generator stops sleeping on a timer and polls
   * (0: timers only). Polling sends on time, within microseconds, but takes a whole core:
   * worth it only where the generator has a core of its own.
   */
  spinMs?: number;
}): Promise<OpenLoopResult> {
  const spinMs = o.spinMs ?? 0;
  const packr = new Packr({ useRecords: false });
  const unpackr = new Unpackr({ useRecords: false, int64AsType: 'number' });
  const sockets = await Promise.all(Array.from({ length: o.connections }, () => connect(o.url, o.token)));
  const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  const lag = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  const intended = new Map<string, number>();
  let received = 0;
  let errors = 0;
  const onMessage = (data: Buffer): void => {
    const now = performance.now();
    const f = unpackr.unpack(data) as Record<string, unknown>;
    const key = typeof f.re === 'string' ? f.re : typeof f.id === 'string' ? f.id : undefined;
    if (key === undefined) return;
    const t = intended.get(key);
    if (t === undefined) return;
    intended.delete(key);
    received++;
    if (f.t === 'error') errors++;
    latency.recordValue(Math.max(1, Math.round((now - t) * 1000)));
  };
  for (const ws of sockets) ws.on('message', onMessage);

  const total = Math.round(o.rate * o.durationSec);
  const t0 = performance.now() + 20;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      // Every frame whose intended time has come (frame i is due at t0 + i / rate).
      const due = Math.min(total, Math.floor(((now - t0) * o.rate) / 1000) + 1);
      while (sent < due) {
        const at = t0 + (sent * 1000) / o.rate;
        const frame = makeEvent(sent, o.customers, o.prefix);
        intended.set(frame.id as string, at);
        lag.recordValue(Math.max(1, Math.round((now - at) * 1000)));
        sockets[sent % sockets.length]!.send(packr.pack(frame), { binary: true });
        sent++;
      }
      if (sent >= total) {
        resolve();
        return;
      }
      // Sleep until the next frame is due (timers fire up to a millisecond late, which the
      // latency of that frame includes); with spinMs, poll for the last stretch instead.
      const gapMs = t0 + (sent * 1000) / o.rate - performance.now();
      if (gapMs > spinMs) setTimeout(tick, gapMs - spinMs);
      else setImmediate(tick);
    };
    setTimeout(tick, 20);
  });
  // Grace period: replies still in flight may arrive; whatever is missing after it is counted.
  const graceEnd = performance.now() + 5000;
  while (intended.size > 0 && performance.now() < graceEnd) await new Promise((r) => setTimeout(r, 20));
  const elapsed = (performance.now() - t0) / 1000;
  // A reply that never came is charged the whole run, so the tail shows it.
  for (const t of intended.values()) latency.recordValue(Math.max(1, Math.round((performance.now() - t) * 1000)));
  for (const ws of sockets) ws.close();
  const ms = (p: number): number => Math.round(latency.getValueAtPercentile(p) / 10) / 100;
  return {
    url: o.url,
    targetRate: o.rate,
    durationSec: o.durationSec,
    connections: o.connections,
    sent,
    received,
    errors,
    missing: intended.size,
    achievedRate: Math.round(received / Math.max(elapsed, o.durationSec)),
    latencyMs: { p50: ms(50), p90: ms(90), p99: ms(99), p999: ms(99.9), max: Math.round(latency.maxValue / 10) / 100, mean: Math.round(latency.mean / 10) / 100 },
    sendLagP99Ms: Math.round(lag.getValueAtPercentile(99) / 10) / 100,
  };
}

async function main(): Promise<void> {
  const { values } = benchArgs({
    command: 'node dist/load-tests/open-loop.js --url ws://HOST:PORT/v1/gateway [options]',
    summary: 'An open-loop WebSocket load generator: frames at a constant arrival rate, latency from each frame\'s intended send time (no coordinated omission).',
    lastLine: 'one JSON line with the result',
    options: {
      url: { type: 'string', describe: 'the server\'s WebSocket address' },
      rate: { type: 'string', default: '1000', describe: 'frames per second' },
      duration: { type: 'string', default: '10', describe: 'seconds' },
      connections: { type: 'string', default: '4', describe: 'connections' },
      token: { type: 'string', describe: 'the gateway\'s key' },
      customers: { type: 'string', default: '45211', describe: 'customers the events are drawn over' },
      prefix: { type: 'string', default: `ol-${process.pid}`, describe: 'the events\' id prefix' },
      'spin-ms': { type: 'string', default: '0', describe: 'busy-wait this long per frame on the server side (echo only)' },
    },
  });
  if (values.url === undefined) throw new Error('--url is required');
  const result = await runOpenLoop({
    url: values.url,
    rate: Number(values.rate),
    durationSec: Number(values.duration),
    connections: Number(values.connections),
    ...(values.token === undefined ? {} : { token: values.token }),
    customers: Number(values.customers),
    prefix: values.prefix,
    spinMs: Number(values['spin-ms']),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`open-loop: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
