import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './bench-args.js';
import * as hdr from 'hdr-histogram-js';
import { Packr } from 'msgpackr';
import WebSocket from 'ws';
import type { SmppPdu } from '../src/delivery/smpp-adapter.js';
import { smpp } from '../src/delivery/smpp-adapter.js';

/**
 * ATM event -> submit_sm at the SMSC, under load: Kairos (LMDB, demo bank, commit
 * durability, SMPP to a simulator in this process) gets declined-ATM events at a constant
 * rate, one per customer, over WebSocket; the simulator stamps each message's first
 * submit_sm. The latency is from the event's intended send time to that submit_sm: the
 * decision, the commit, the outbox, the dispatcher and the SMPP round trip.
 *   node dist/load-tests/sms-latency.js --rate 200 --duration 10
 * The last line is `sms: n=N p50_ms=X p99_ms=Y max_ms=Z`.
 */

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

async function main(): Promise<void> {
  const { values } = benchArgs({
    command: 'node dist/load-tests/sms-latency.js [options]',
    summary: 'ATM event to submit_sm at an SMSC simulator, under load: decision, commit, outbox, dispatcher and the SMPP round trip.',
    lastLine: 'sms: n=N p50_ms=X p99_ms=Y max_ms=Z',
    options: { rate: { type: 'string', default: '200', describe: 'events per second' }, duration: { type: 'string', default: '10', describe: 'seconds' } },
  });
  const rate = Number(values.rate);
  const total = Math.round(rate * Number(values.duration));

  const firstPart = new Map<string, number>();
  const server = smpp.createServer({}, (session) => {
    session.on('bind_transceiver', (pdu: SmppPdu) => session.send(pdu.response()));
    session.on('enquire_link', (pdu: SmppPdu) => session.send(pdu.response()));
    session.on('submit_sm', (pdu: SmppPdu) => {
      const to = pdu.destination_addr ?? '';
      if (!firstPart.has(to)) firstPart.set(to, performance.now() + performance.timeOrigin);
      session.send(pdu.response({ message_id: `m-${firstPart.size}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  const smscPort = typeof addr === 'object' && addr !== null ? addr.port : 0;

  const dataDir = mkdtempSync(join(tmpdir(), 'kairos-sms-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const kairos = spawn(process.execPath, [join(root, 'bin', 'kairos.js'), 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'warn'], {
    env: { ...process.env, KAIROS_SEGMENT_SWEEP_MS: '0', KAIROS_SMPP_URL: `smpp://127.0.0.1:${smscPort}`, KAIROS_SMPP_RATE: String(rate * 4), KAIROS_RATE_LIMIT: String(rate * 10) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/ready`)).status === 200) break;
      } catch {
        // starting
      }
      if (i > 600) throw new Error('kairos did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    // The phones of the customers we will use, in order (demo-1 …).
    const phones: string[] = [];
    for (let n = 1; n <= total; n++) {
      const c = (await (await fetch(`http://127.0.0.1:${port}/v1/customers/demo-${n}`, { headers: { Authorization: 'Bearer demo-admin' } })).json()) as { identifiers: { phone: string[] } };
      phones.push((c.identifiers.phone[0] ?? '').replace('+', ''));
    }
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/gateway`, { headers: { Authorization: 'Bearer demo-gateway' } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const packr = new Packr({ useRecords: false });
    const intended = new Map<string, number>();
    const t0 = performance.now() + performance.timeOrigin + 50;
    // Yesterday at noon in Moscow: within the bounds on `at`, outside quiet hours.
    const at = (Math.floor((Date.now() + 3 * 3_600_000) / 86_400_000) - 1) * 86_400_000 + 9 * 3_600_000;
    await new Promise<void>((resolve) => {
      let sent = 0;
      const tick = setInterval(() => {
        const now = performance.now() + performance.timeOrigin;
        while (sent < total && t0 + (sent * 1000) / rate <= now) {
          const n = sent + 1;
          intended.set(phones[sent]!, t0 + (sent * 1000) / rate);
          ws.send(packr.pack({ t: 'event', id: `sms-lat-${n}`, type: 'atm.withdrawal.declined', customer: { id: `demo-${n}` }, channel: 'atm', at, data: { requested: 1000, balance: 800 } }));
          sent++;
        }
        if (sent >= total) {
          clearInterval(tick);
          resolve();
        }
      }, 1);
    });
    // Wait for the stragglers (customers the campaign does not address send nothing).
    await new Promise((r) => setTimeout(r, 3000));
    ws.close();
    const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
    let n = 0;
    for (const [phone, sentAt] of intended) {
      const got = firstPart.get(phone);
      if (got === undefined) continue;
      h.recordValue(Math.max(1, Math.round((got - sentAt) * 1000)));
      n++;
    }
    const ms = (q: number): number => Math.round(h.getValueAtPercentile(q) / 10) / 100;
    process.stdout.write(`events ${total} at ${rate}/s; SMS at the SMSC ${n} (the rest not addressed: not clients in good standing, or no phone)\n`);
    process.stdout.write(`sms: n=${n} p50_ms=${ms(50)} p99_ms=${ms(99)} max_ms=${Math.round(h.maxValue / 10) / 100}\n`);
  } finally {
    kairos.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`sms-latency: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
