import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from './paths.js';
import { GatewayClient, tempDir, uid, yesterdayMsk } from './test-support/test-kairos.js';

/**
 * The drain on SIGTERM (`KAIROS_DRAIN_MS`), on the real process: `/ready` answers 503 and
 * `kairos_ready` is 0 while events over an open WebSocket are still decided (and a new
 * connection and POST /v1/events are still taken); then the listener closes, then the
 * flush, then exit 0.
 */

const bin = join(packageRoot(), 'bin', 'kairos.js');
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** The error code of a new TCP connection to the port (undefined when it connects). */
function connectError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
  });
}

/** Long enough for the checks below on a busy machine; they are ordered by the log, not by time. */
const DRAIN_MS = 8000;

describe('SIGTERM with KAIROS_DRAIN_MS', () => {
  it('answers /ready 503 while still deciding, then closes the port, flushes and exits 0', async () => {
    const data = tempDir();
    cleanups.push(data.remove);
    const child: ChildProcess = spawn(process.execPath, [bin, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', data.dir], {
      env: { ...process.env, KAIROS_DRAIN_MS: String(DRAIN_MS), KAIROS_STALE_EVENT_MS: String(7 * 86_400_000), KAIROS_SEGMENT_SWEEP_MS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => void child.kill('SIGKILL'));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const lines: Array<Record<string, unknown>> = [];
    const waiters: Array<{ msg: RegExp; resolve: (entry: Record<string, unknown>) => void }> = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      for (const w of [...waiters]) {
        if (typeof entry.msg === 'string' && w.msg.test(entry.msg)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(entry);
        }
      }
    });
    const logged = (msg: RegExp): Promise<Record<string, unknown>> => {
      const seen = lines.find((l) => typeof l.msg === 'string' && msg.test(l.msg));
      return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ msg, resolve }));
    };
    const port = (await logged(/^kairos listening$/)).port as number;
    const base = `http://127.0.0.1:${port}`;
    const ws = `ws://127.0.0.1:${port}/v1/gateway`;
    const event = (customer: string) => ({ t: 'event', id: uid('drain'), type: 'atm.withdrawal.declined', customer: { id: customer }, channel: 'atm', at: yesterdayMsk('10:00'), data: { requested: 1000, balance: 800 } });
    const gateway = await GatewayClient.connect(ws);
    expect((await fetch(`${base}/ready`)).status).toBe(200);

    child.kill('SIGTERM');
    expect((await logged(/^draining/)).drainMs).toBe(DRAIN_MS);
    // Out of the load balancer's rotation…
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not ready', reason: 'draining' });
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^kairos_ready 0$/m);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    // …while what still arrives is served: an event on the open connection, and on a new one.
    const decided = await gateway.request(event('demo-19'));
    expect(decided.t).toBe('decision');
    expect((decided.actions as unknown[]).length).toBe(1);
    const late = await GatewayClient.connect(ws);
    expect((await late.request(event('demo-20'))).t).toBe('decision');
    const { t: _t, ...body } = event('demo-21');
    const posted = await fetch(`${base}/v1/events`, { method: 'POST', headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect(posted.status).toBe(200);
    expect(lines.some((l) => l.msg === 'shutting down')).toBe(false);

    // Then the listener closes (before the flush and the connections' close), then the flush.
    expect((await gateway.waitClosed(60_000)).code).toBe(1001);
    // A new TCP connection (fetch would reuse its kept-alive one) is refused: the port is closed.
    expect(await connectError(port)).toBe('ECONNREFUSED');
    expect(await exited).toBe(0);
    const order = ['signal received', 'draining: /ready answers 503 while serving', 'shutting down', 'stopped'];
    expect(lines.map((l) => l.msg).filter((m) => order.includes(m as string))).toEqual(order);
  });
});
