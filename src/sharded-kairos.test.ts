import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { packageRoot } from './paths.js';
import type { ShardedKairos } from './sharded-kairos.js';
import { startShardedKairos } from './sharded-kairos.js';
import { shardOf } from './shards/shard-of.js';
import type { Frame } from './test-support/test-kairos.js';
import { GatewayClient, adminHeaders, tempDir, uid } from './test-support/test-kairos.js';

/**
 * `KAIROS_SHARDS=2` through the real server: the gateway's WebSocket and `POST /v1/events`
 * decided by both shards, their SMS fed to a subscribed connection and confirmed, readiness
 * and the shards' gauges, the admin API answering 503 until it is served across shards, bad
 * input answered as on a single node. Runs the compiled shard worker (npm test builds first).
 */

const workerUrl = pathToFileURL(join(packageRoot(), 'dist', 'src', 'shards', 'shard-worker.js'));
const data = tempDir();
let k: ShardedKairos;
let http: string;
const logs: string[] = [];

const declined = (n: number): Frame => ({ t: 'event', id: uid('d'), type: 'atm.withdrawal.declined', customer: { id: `demo-${n}` }, channel: 'atm', data: { requested: 1000, balance: 800 } });

beforeAll(async () => {
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', dataDir: data.dir, shards: 2, demo: true, logLevel: 'info', shutdownTimeoutMs: 5000, segmentSweepMs: 0 });
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'));
      cb();
    },
  });
  k = await startShardedKairos(config, { shardWorkerUrl: workerUrl, logDestination: destination });
  http = `http://127.0.0.1:${k.port}`;
}, 60_000);

afterAll(async () => {
  await k.close();
  data.remove();
});

describe('a node with two shards', () => {
  it('decides gateway events on both shards, feeds their SMS to a subscribed connection and takes its confirmations', async () => {
    expect((await fetch(`${http}/ready`)).status).toBe(200);
    const smsc = await GatewayClient.connect(`ws://127.0.0.1:${k.port}/v1/gateway`);
    const atm = await GatewayClient.connect(`ws://127.0.0.1:${k.port}/v1/gateway`);
    const sid = uid('s');
    expect(await smsc.request({ t: 'subscribe', id: sid, channels: ['sms'] })).toEqual({ t: 'ack', re: sid });

    // Twenty customers over both shards: each decided, the SMS offers fed to the subscriber.
    const customers = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(new Set(customers.map((n) => shardOf(`demo-${n}`, 2))).size).toBe(2);
    const replies = await Promise.all(customers.map((n) => atm.request(declined(n))));
    expect(replies.every((r) => r.t === 'decision')).toBe(true);
    const instances = replies.flatMap((r) => (r.actions as Array<{ instance?: string; channel: string }>).filter((a) => a.channel === 'sms').map((a) => a.instance!));
    expect(instances.length).toBeGreaterThan(10);
    const offered = new Set(instances.map((i) => i.slice(0, i.lastIndexOf(':'))));
    expect(new Set([...offered].map((c) => shardOf(c, 2))).size).toBe(2);
    const delivered: Frame[] = [];
    for (let i = 0; i < instances.length; i++) delivered.push(await smsc.next((f) => f.t === 'deliver'));
    expect(delivered.map((f) => f.instance).sort()).toEqual([...instances].sort());
    for (const f of delivered) {
      const did = uid('c');
      expect(await smsc.request({ t: 'delivered', id: did, instance: f.instance })).toEqual({ t: 'ack', re: did });
    }
    // A confirmation for nothing delivered to it: invalid, as on a single node.
    const bad = await smsc.request({ t: 'delivered', id: uid('c'), instance: 'demo-1:nothing' });
    expect(bad).toMatchObject({ t: 'error', code: 'invalid' });

    // POST /v1/events goes through the same router; bad input gets its 400, naming the field.
    const posted = await fetch(`${http}/v1/events`, { method: 'POST', headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json' }, body: JSON.stringify({ id: uid('p'), type: 'web.pageview', customer: { id: 'demo-33' }, channel: 'web', data: {} }) });
    expect(posted.status).toBe(200);
    expect(await posted.json()).toMatchObject({ t: 'decision', customer: 'demo-33' });
    const wrong = await fetch(`${http}/v1/events`, { method: 'POST', headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json' }, body: JSON.stringify({ id: uid('p'), type: 'web.pageview', customer: { id: 5 }, channel: 'web', data: {} }) });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('customer.id');
    smsc.close();
    atm.close();
  }, 60_000);

  it('closes a subscriber holding what a stopped shard handed out (1012), and offers all of it again once it subscribes again', async () => {
    const url = `ws://127.0.0.1:${k.port}/v1/gateway`;
    let smsc = await GatewayClient.connect(url);
    const atm = await GatewayClient.connect(url);
    await smsc.request({ t: 'subscribe', id: uid('s'), channels: ['sms'] });
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => atm.request(declined(101 + i))));
    const instances = replies.flatMap((r) => (r.actions as Array<{ instance?: string; channel: string }>).filter((a) => a.channel === 'sms').map((a) => a.instance!));
    expect(new Set(instances.map((i) => shardOf(i.slice(0, i.lastIndexOf(':')), 2))).size).toBe(2);
    for (let i = 0; i < instances.length; i++) await smsc.next((f) => f.t === 'deliver');
    // Shard 0 stops with some of them out and unconfirmed: the connection is closed as a restart.
    await k.shards.kill(0);
    expect((await smsc.waitClosed()).code).toBe(1012);
    for (let i = 0; i < 100 && k.shards.notReadyReason() !== undefined; i++) await new Promise((r) => setTimeout(r, 50));
    smsc = await GatewayClient.connect(url);
    await smsc.request({ t: 'subscribe', id: uid('s'), channels: ['sms'] });
    const again: Frame[] = [];
    for (let i = 0; i < instances.length; i++) again.push(await smsc.next((f) => f.t === 'deliver'));
    expect(again.map((f) => f.instance).sort()).toEqual([...instances].sort());
    for (const f of again) expect((await smsc.request({ t: 'delivered', id: uid('c'), instance: f.instance })).t).toBe('ack');
    smsc.close();
    atm.close();
  }, 60_000);

  it('reports its shards and their own figures in /metrics, answers the admin API 503 until it is served across shards but for a customer\'s card, and says who is calling', async () => {
    let metrics = '';
    for (let i = 0; i < 40 && !/kairos_hot_actors [1-9]/.test(metrics); i++) {
      await new Promise((r) => setTimeout(r, 100));
      metrics = await (await fetch(`${http}/metrics`)).text();
    }
    expect(metrics).toMatch(/kairos_shard_up\{shard="0"\} 1/);
    expect(metrics).toMatch(/kairos_shard_up\{shard="1"\} 1/);
    expect(metrics).toMatch(/kairos_shard_restarts\{shard="0"\} 1/);
    expect(metrics).toMatch(/kairos_shard_restarts\{shard="1"\} 0/);
    expect(metrics).toMatch(/kairos_hot_actors [1-9]/);
    // The shards' own counters, added up: the SMS the subscribers confirmed, the actors activated.
    expect(metrics).toMatch(/kairos_deliveries_total\{channel="sms",result="delivered"\} [1-9]/);
    expect(metrics).toMatch(/kairos_actor_activations_total\{source="profile"\} [1-9]/);
    // The process's own figures once, the main thread's.
    expect(metrics.match(/^kairos_process_cpu_seconds_total /gm)?.length).toBe(1);

    const status = await fetch(`${http}/v1/status`, { headers: adminHeaders });
    expect(status.status).toBe(503);
    expect(await status.json()).toMatchObject({ code: 'unavailable', detail: expect.stringContaining('KAIROS_SHARDS') as string });
    // Authentication first, as everywhere.
    expect((await fetch(`${http}/v1/status`)).status).toBe(401);
    // A customer's card from the owner shard, by id and by card; none for an unknown one.
    for (const n of [3, 4]) {
      const card = await fetch(`${http}/v1/customers/demo-${n}`, { headers: adminHeaders });
      expect(card.status).toBe(200);
      expect(await card.json()).toMatchObject({ id: `demo-${n}`, profile: { lastName: expect.any(String) as string } });
    }
    expect(new Set([3, 4].map((n) => shardOf(`demo-${n}`, 2))).size).toBe(2);
    const found = (await (await fetch(`${http}/v1/customers?card=card-4`, { headers: adminHeaders })).json()) as { customers: Array<{ id: string; name?: string }> };
    expect(found.customers).toEqual([{ id: 'demo-4', name: expect.any(String) as string }]);
    expect(await (await fetch(`${http}/v1/customers?card=card-no-such`, { headers: adminHeaders })).json()).toEqual({ customers: [] });
    const unknown = await fetch(`${http}/v1/customers/nobody-here`, { headers: adminHeaders });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'unknown_customer' });
    const who = await fetch(`${http}/v1/whoami`, { headers: adminHeaders });
    expect(who.status).toBe(200);
    expect(logs.join('')).toContain('"shards":2');
  }, 30_000);
});
