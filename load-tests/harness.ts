import type { ChildProcess } from 'node:child_process';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TemplatedApp, Uws } from '../src/transport/uws.js';
import type { OpenLoopResult } from './open-loop.js';

/** What the benchmark scripts share: readiness, the generator process, the verdict on a step. */

const here = dirname(fileURLToPath(import.meta.url));
const generator = join(here, 'open-loop.js');

export async function waitReady(url: string, timeoutMs: number): Promise<void> {
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

/**
 * The echo servers' WebSocket settings (each adds `compression: uws.DISABLED`, as Kairos's
 * gateway has): one set for both floors, the frame bound Kairos's default (64 KB).
 */
export const echoSocketOptions = { maxPayloadLength: 64 * 1024, maxBackpressure: 4 * 1024 * 1024, idleTimeout: 120 } as const;

/** Listens on 127.0.0.1:`port` (0: any free one) and prints {"port": N}, the line `listeningPort` reads; exits if it cannot. */
export function listenAnnounced(uws: Uws, app: TemplatedApp, port: number, name: string): void {
  app.listen('127.0.0.1', port, (token) => {
    if (token === false) {
      process.stderr.write(`${name}: cannot listen on ${port}\n`);
      process.exit(1);
    }
    process.stdout.write(`${JSON.stringify({ port: uws.us_socket_local_port(token) })}\n`);
  });
}

/** The port a test server started as `child` listens on: its first line on stdout, {"port": N}. */
export function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise<number>((resolve) => {
    createInterface({ input: child.stdout! }).once('line', (l) => resolve((JSON.parse(l) as { port: number }).port));
  });
}

/**
 * What a first touch of a fresh memory page costs this machine, in µs (median of three
 * passes over 16 MB the kernel has not mapped yet). A garbage collector that promotes into
 * new pages pays it for every 4 KB: about 0.2–1 µs on bare metal or a hardware-virtualised
 * VM, 11–16 µs on the paravirtualised microVM the figures in README.md were taken on, where
 * it is most of a scavenge's pause. Printed with every bench so figures from different
 * machines can be told apart.
 */
export function firstTouchUsPerPage(): number {
  const page = 4096;
  const pages = 4096;
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    // allocUnsafeSlow: uninitialised; a block this large is mapped anew, so no page of it is touched yet.
    const b = Buffer.allocUnsafeSlow(pages * page);
    const t = process.hrtime.bigint();
    for (let p = 0; p < pages; p++) b[p * page] = 1;
    runs.push(Number(process.hrtime.bigint() - t) / 1000 / pages);
  }
  runs.sort((a, b) => a - b);
  return Math.round(runs[1]! * 100) / 100;
}

export function runGenerator(args: string[]): Promise<OpenLoopResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [generator, ...args], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`generator failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as OpenLoopResult);
    });
  });
}

export function sustained(r: OpenLoopResult, p99BoundMs: number): boolean {
  return r.missing === 0 && r.errors === 0 && r.achievedRate >= 0.97 * r.targetRate && r.latencyMs.p99 <= p99BoundMs;
}

export function line(r: OpenLoopResult): string {
  const l = r.latencyMs;
  return `rate ${String(r.targetRate).padStart(6)}/s -> ${String(r.achievedRate).padStart(6)}/s  p50 ${l.p50} ms  p99 ${l.p99} ms  p99.9 ${l.p999} ms  max ${l.max} ms  errors ${r.errors}  missing ${r.missing}  send-lag p99 ${r.sendLagP99Ms} ms`;
}

/**
 * Steps the rate up through `rates`, one `run` each, until a step is not sustained; the
 * highest sustained rate and every step's result (each logged as it comes). A step that
 * fails is run once more before the ladder stops: on a shared machine a neighbour's burst
 * can sink one step (a step at 1,000/s once failed at p99 314 ms right after one at
 * 3,000/s had held).
 */
export async function findMax(
  rates: readonly number[],
  /** one step; `attempt` 2 is the re-run of a failed step, which must send new event ids (a repeated id is answered from memory) */
  run: (rate: number, attempt: number) => Promise<OpenLoopResult>,
  p99BoundMs: number,
  log: (result: OpenLoopResult) => void,
): Promise<{ max: number; steps: OpenLoopResult[] }> {
  const steps: OpenLoopResult[] = [];
  let max = 0;
  for (const rate of rates) {
    let r = await run(rate, 1);
    steps.push(r);
    log(r);
    if (!sustained(r, p99BoundMs)) {
      r = await run(rate, 2);
      steps.push(r);
      log(r);
      if (!sustained(r, p99BoundMs)) break;
    }
    max = r.achievedRate;
  }
  return { max, steps };
}

/** clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux's usual builds) */
const USER_HZ = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * CPU seconds (user and system) a process's main thread has used (/proc/PID/task/PID/stat):
 * the event loop's thread, without V8's and libuv's helpers, measured the same way for Kairos
 * and the echo server.
 */
export function mainThreadCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  // Fields after the command (in parentheses, which may hold spaces): state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / USER_HZ;
}
