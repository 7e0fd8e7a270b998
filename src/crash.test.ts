import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from './paths.js';
import { LmdbStore } from './store/lmdb-store.js';
import type { Frame } from './test-support/test-kairos.js';
import { GatewayClient, tempDir, yesterdayMsk } from './test-support/test-kairos.js';

/**
 * `kill -9` in the middle of a load: every decision the server acknowledged is in the store
 * with its contact record and outbox entry, and sending the same events again after the
 * restart makes no second contact (the real process, the real LMDB store, real WebSockets).
 */

const bin = join(packageRoot(), 'bin', 'kairos.js');
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    env: { ...process.env, KAIROS_DURABILITY: 'commit', KAIROS_LOG_LEVEL: 'info', KAIROS_STALE_EVENT_MS: String(7 * 86_400_000), KAIROS_SEGMENT_SWEEP_MS: '0' }, // its events are from yesterday: not stale here
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => void child.kill('SIGKILL'));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('did not start')), 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.msg === 'kairos listening') {
        clearTimeout(timer);
        resolve(entry.port as number);
      }
    });
  });
  return { child, port };
}

const at = yesterdayMsk('10:00');
const shortfall = (n: number): Frame => ({
  t: 'event',
  id: `crash-${n}`,
  type: 'atm.withdrawal.declined',
  customer: { id: `demo-${n}` },
  channel: 'atm',
  at,
  data: { requested: 1000, balance: 800 },
});

describe('kill -9 under load', () => {
  it('loses nothing acknowledged and makes no contact twice', async () => {
    const data = tempDir();
    cleanups.push(data.remove);
    const first = await serve(data.dir);
    const clients = await Promise.all(Array.from({ length: 4 }, () => GatewayClient.connect(`ws://127.0.0.1:${first.port}/v1/gateway`)));
    for (const c of clients) c.ws.on('error', () => undefined);

    // Open loop: 8 events every 4 ms across the connections, one per customer, until killed.
    const acked = new Map<number, Frame>();
    /** answered `overloaded` (backpressure on a loaded machine): acknowledged nothing, changed nothing */
    const refused = new Set<number>();
    let sent = 0;
    let killed = false;
    const killedAfter = new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        if (killed) return;
        // Never past the demo bank's customers, whatever the machine's pace.
        for (let i = 0; i < 8 && sent < 40_000; i++) {
          const n = ++sent;
          clients[n % clients.length]!.request(shortfall(n), 20_000).then(
            (f) => {
              if (killed) return;
              if (f.t === 'error' && f.code === 'overloaded') refused.add(n);
              else acked.set(n, f);
            },
            () => undefined,
          );
        }
        if (acked.size >= 1500) {
          killed = true;
          first.child.kill('SIGKILL');
          clearInterval(tick);
          resolve();
        }
      }, 4);
    });
    await killedAfter;
    await new Promise<void>((resolve) => first.child.once('exit', () => resolve()));
    for (const c of clients) c.close();
    expect(sent).toBeGreaterThan(acked.size); // some were in flight: the kill came mid-load

    // Every acknowledged decision is in the store: the event, its contact, its outbox entry.
    const store = new LmdbStore(join(data.dir, 'lmdb'));
    let contacts = 0;
    try {
      const outbox = new Set((await store.listOutbox('sms', 100_000)).map((r) => r.instance));
      for (const [n, reply] of acked) {
        expect(reply.t, `reply to crash-${n}: ${JSON.stringify(reply)}`).toBe('decision');
        const snap = (await store.getSnapshot(`demo-${n}`)) as { snapshot: { context: { seen: { id: string[] }; contacts: Array<{ instance: string }> } } } | undefined;
        expect(snap?.snapshot.context.seen.id ?? [], `demo-${n}`).toContain(`crash-${n}`);
        for (const a of reply.actions as Frame[]) {
          contacts++;
          expect(snap?.snapshot.context.contacts.map((c) => c.instance) ?? [], `contact of demo-${n}`).toContain(a.instance);
          expect(outbox.has(a.instance as string), `outbox entry of demo-${n}`).toBe(true);
        }
      }
      for (const n of refused) {
        const snap = (await store.getSnapshot(`demo-${n}`)) as { snapshot: { context: { seen: { id: string[] } } } } | undefined;
        expect(snap?.snapshot.context.seen.id ?? [], `refused crash-${n} changed nothing`).not.toContain(`crash-${n}`);
      }
    } finally {
      await store.close();
    }
    expect(contacts).toBeGreaterThan(100);

    // The gateway sends everything again (it cannot know what was done): acknowledged events
    // get their first decision, byte for byte; no customer gets a second SMS.
    const second = await serve(data.dir);
    const gw = await GatewayClient.connect(`ws://127.0.0.1:${second.port}/v1/gateway`);
    cleanups.push(() => gw.close());
    for (let n = 1; n <= sent; n += 100) {
      const batch = Array.from({ length: Math.min(100, sent - n + 1) }, (_, i) => n + i);
      const replies = await Promise.all(batch.map((m) => gw.request(shortfall(m), 30_000)));
      replies.forEach((r, i) => {
        const first = acked.get(batch[i]!);
        if (first !== undefined) expect(r.actions, `resent crash-${batch[i]!}: ${JSON.stringify(r)}`).toEqual(first.actions);
      });
    }
    // The server owns the store while it runs (a second open refuses): stop it, then read.
    gw.close();
    const stopped = new Promise<void>((resolve) => second.child.once('exit', () => resolve()));
    second.child.kill('SIGTERM');
    await stopped;
    const after = new LmdbStore(join(data.dir, 'lmdb'));
    try {
      // Each customer has at most one SMS queued.
      const records = await after.listOutbox('sms', 100_000);
      const perCustomer = new Map<string, number>();
      for (const r of records) perCustomer.set(r.customer, (perCustomer.get(r.customer) ?? 0) + 1);
      expect(Math.max(...perCustomer.values())).toBe(1);
    } finally {
      await after.close();
    }
  }, 120_000);
});
