import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { freeGatewayPort } from '../free-port.js';
import { packageRoot } from '../paths.js';
import type { ShardedKairos } from '../sharded-kairos.js';
import { startShardedKairos } from '../sharded-kairos.js';
import type { Frame } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, tempDir, uid, until } from '../test-support/test-kairos.js';

/** Waits until `test` holds (10 s at most). */
const holds = (what: string, test: () => Promise<boolean> | boolean): Promise<true> => until(what, async () => ((await test()) ? true : undefined));
import { shardOf } from './shard-of.js';

/**
 * KAIROS_GATEWAY_PORT with two shards, through the real server: the gateways' connections
 * accepted on both shards (SO_REUSEPORT), their events and POST /v1/events decided by the
 * customers' shards through the node's router and answered by those shards themselves, a subscription on the port fed by both shards
 * and confirmed, a key revoked through the node's port closing its connections on every shard,
 * a shard that dies taking only its own connections (the process lives on, the shard listens
 * again), and the port refusing what is not a gateway's.
 */

const workerUrl = pathToFileURL(join(packageRoot(), 'dist', 'src', 'shards', 'shard-worker.js'));
const data = tempDir();
let k: ShardedKairos;
let http: string;
let gw: string;

const declined = (n: number): Frame => ({ t: 'event', id: uid('d'), type: 'atm.withdrawal.declined', customer: { id: `demo-${n}` }, channel: 'atm', data: { requested: 1000, balance: 800 } });

/** The open connections on the gateway port of each shard, as /metrics (the node's port) says. */
async function perShard(): Promise<number[]> {
  const text = await (await fetch(`${http}/metrics`)).text();
  return [0, 1].map((s) => Number(new RegExp(`kairos_gateway_port_connections\\{shard="${s}"\\} (\\d+)`).exec(text)?.[1] ?? -1));
}

beforeAll(async () => {
  const config = loadConfig({}, { port: 0, gatewayPort: 0, host: '127.0.0.1', dataDir: data.dir, shards: 2, demo: true, logLevel: 'silent', shutdownTimeoutMs: 5000, segmentSweepMs: 0, drainMs: 2000 });
  k = await startShardedKairos(config, { shardWorkerUrl: workerUrl });
  http = `http://127.0.0.1:${k.port}`;
  gw = `ws://127.0.0.1:${k.gatewayPort!}/v1/gateway`;
}, 60_000);

afterAll(async () => {
  await k.close();
  data.remove();
});

describe('the gateway port on a node with two shards', () => {
  it('spreads the connections over both shards, each deciding through the router, and feeds a subscriber there from both', async () => {
    expect(k.gatewayPort).toBeGreaterThan(0);
    expect(k.gatewayPort).not.toBe(k.port);
    // 24 connections: the kernel hands each to one of the shards' listeners (all on one: 1 in 2^23).
    const clients = await Promise.all(Array.from({ length: 24 }, () => GatewayClient.connect(gw)));
    await holds('24 connections', async () => (await perShard()).reduce((a, b) => a + b, 0) === 24);
    const [on0, on1] = await perShard();
    expect(on0).toBeGreaterThan(0);
    expect(on1).toBeGreaterThan(0);
    // The node's port still serves gateways too (nothing changes for those connected there).
    expect((await perShard()).length).toBe(2);

    const smsc = clients[0]!;
    const sid = uid('s');
    expect(await smsc.request({ t: 'subscribe', id: sid, channels: ['sms'] })).toEqual({ t: 'ack', re: sid });
    // Each connection sends a customer's event; customers of both shards, on connections of both.
    const customers = Array.from({ length: 23 }, (_, i) => 201 + i);
    expect(new Set(customers.map((n) => shardOf(`demo-${n}`, 2))).size).toBe(2);
    const relayed = k.shards.gatewayAnswersRelayed;
    const replies = await Promise.all(customers.map((n, i) => clients[i + 1]!.request(declined(n))));
    expect(replies.map((r) => [r.t, r.customer])).toEqual(customers.map((n) => ['decision', `demo-${n}`]));
    // Each answered by the shard that decided it, itself: none through the main thread.
    expect(k.shards.gatewayAnswersRelayed).toBe(relayed);
    const instances = replies.flatMap((r) => (r.actions as Array<{ instance?: string; channel: string }>).filter((a) => a.channel === 'sms').map((a) => a.instance!));
    expect(new Set(instances.map((i) => shardOf(i.slice(0, i.lastIndexOf(':')), 2))).size).toBe(2);
    const delivered: Frame[] = [];
    for (let i = 0; i < instances.length; i++) delivered.push(await smsc.next((f) => f.t === 'deliver'));
    expect(delivered.map((f) => f.instance).sort()).toEqual([...instances].sort());
    for (const f of delivered) expect(await smsc.request({ t: 'delivered', id: 'c-' + String(f.instance), instance: f.instance })).toEqual({ t: 'ack', re: 'c-' + String(f.instance) });
    expect(await smsc.request({ t: 'delivered', id: uid('c'), instance: 'demo-1:nothing' })).toMatchObject({ t: 'error', code: 'invalid' });
    // A connection's order is kept: a response to its own offer right after the event, on one connection.
    const one = clients[5]!;
    const offer = await one.request(declined(301));
    const instance = (offer.actions as Array<{ instance: string }>)[0]!.instance;
    const [, answered] = await Promise.all([one.request(declined(302)), one.request({ t: 'response', id: uid('r'), instance, outcome: 'accept' })]);
    expect(answered).toMatchObject({ t: 'ack' });
    // Bad input gets its error on the port, as on the node's.
    expect(await one.request({ t: 'event', id: uid('b'), type: 'web.pageview', customer: { id: 5 }, channel: 'web', data: {} })).toMatchObject({ t: 'error', code: 'invalid' });
    for (const c of clients) c.close();
    await holds('no connection', async () => (await perShard()).every((n) => n === 0));
  }, 60_000);

  it('serves POST /v1/events, /health and /ready there, and names the node\'s port for anything else', async () => {
    const base = `http://127.0.0.1:${k.gatewayPort!}`;
    const posted = await fetch(`${base}/v1/events`, { method: 'POST', headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json' }, body: JSON.stringify({ id: uid('p'), type: 'atm.withdrawal.declined', customer: { id: 'demo-7' }, channel: 'atm', data: { requested: 1000, balance: 800 } }) });
    expect(posted.status).toBe(200);
    expect(await posted.json()).toMatchObject({ t: 'decision', customer: 'demo-7' });
    expect((await fetch(`${base}/v1/events`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    for (const path of ['/v1/catalog', '/metrics', '/console/']) {
      const res = await fetch(`${base}${path}`, { headers: adminHeaders });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { detail: string }).detail).toContain('KAIROS_PORT');
    }
  });

  it("closes a key's connections on every shard once it is revoked through the node's port", async () => {
    const made = await fetch(`${http}/v1/keys`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ name: 'atm-fleet', role: 'gateway', channels: ['sms'] }) });
    expect(made.status).toBe(201);
    const { secret } = (await made.json()) as { secret: string };
    // The key works on every shard from the reply on (the reply waits for the shards' copies of the table).
    const clients = await Promise.all(Array.from({ length: 16 }, () => GatewayClient.connect(gw, secret)));
    await holds('16 connections', async () => (await perShard()).reduce((a, b) => a + b, 0) === 16);
    const [on0, on1] = await perShard();
    expect(on0).toBeGreaterThan(0);
    expect(on1).toBeGreaterThan(0);
    expect((await clients[0]!.request(declined(401))).t).toBe('decision');
    expect((await fetch(`${http}/v1/keys/atm-fleet`, { method: 'DELETE', headers: adminHeaders })).status).toBe(200);
    // Refused on every shard from the reply on: new connections (several, so both shards) and POST /v1/events.
    const after = await Promise.allSettled(Array.from({ length: 8 }, () => GatewayClient.connect(gw, secret)));
    expect(after.map((r) => r.status)).toEqual(Array.from({ length: 8 }, () => 'rejected'));
    const posted = await Promise.all(Array.from({ length: 8 }, () => fetch(`http://127.0.0.1:${k.gatewayPort!}/v1/events`, { method: 'POST', headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json', Connection: 'close' }, body: JSON.stringify({ id: uid('p'), type: 'web.pageview', customer: { id: 'demo-9' }, channel: 'web', data: {} }) })));
    expect(posted.map((r) => r.status)).toEqual(Array.from({ length: 8 }, () => 401));
    const closed = await Promise.all(clients.map((c) => c.waitClosed(10_000)));
    expect(closed.every((c) => c.code === 1008)).toBe(true);
  }, 30_000);

  it("a shard that dies takes its own connections only; the process lives on and the shard listens again", async () => {
    const clients = await Promise.all(Array.from({ length: 16 }, () => GatewayClient.connect(gw)));
    await holds('16 connections', async () => (await perShard()).reduce((a, b) => a + b, 0) === 16);
    const [on0] = await perShard();
    expect(on0).toBeGreaterThan(0);
    // Killed with requests in flight for its customers on every connection (those on shard 1
    // answered by shard 0 started again, or before it stopped; those on shard 0 cut with it).
    const ownCustomers = Array.from({ length: 600 }, (_, i) => 1001 + i).filter((n) => shardOf(`demo-${n}`, 2) === 0);
    const inFlight = clients.map((c, i) => Promise.allSettled(Array.from({ length: 10 }, (_, j) => c.request(declined(ownCustomers[i * 10 + j]!), 30_000))));
    await k.shards.kill(0);
    // The port's /ready says what the node's does while shard 0 is being started again (shard 1 answers it).
    const ready = await fetch(`http://127.0.0.1:${k.gatewayPort!}/ready`, { headers: { Connection: 'close' } });
    expect([ready.status, ((await ready.json()) as { reason?: string }).reason]).toEqual([503, 'shard 0 is starting']);
    // The connections shard 0 had are closed 1012 "service restart" (the node lives on); shard 1's stay and are served.
    await holds("shard 0's connections cut", () => clients.filter((c) => c.closedWith !== undefined).length === on0);
    for (const c of clients) if (c.closedWith !== undefined) expect(c.closedWith).toEqual({ code: 1012, reason: 'service restart' });
    const alive = clients.filter((c) => c.closedWith === undefined);
    expect(alive.length).toBe(16 - on0!);
    for (let i = 0; i < 100 && k.shards.notReadyReason() !== undefined; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await fetch(`http://127.0.0.1:${k.gatewayPort!}/ready`, { headers: { Connection: 'close' } })).status).toBe(200);
    const settled = await Promise.all(inFlight);
    for (const [i, c] of clients.entries()) {
      if (c.closedWith !== undefined) continue;
      expect(settled[i]!.map((r) => (r.status === 'fulfilled' ? r.value.t : String(r.reason)))).toEqual(Array.from({ length: 10 }, () => 'decision'));
    }
    // Nothing left held on the main thread, and the shards' admission open past its bound on the oldest wait (KAIROS_MAX_QUEUE_MS).
    await holds('every request done', () => k.shards.unanswered.every((n) => n === 0));
    await new Promise((r) => setTimeout(r, 2100));
    const replies = await Promise.all(alive.map((c, i) => c.request(declined(501 + i))));
    expect(replies.every((r) => r.t === 'decision')).toBe(true);
    // Shard 0 started again listens again: new connections reach it, and their requests are
    // answered whichever shard decides them (its new channels to shard 1, both ways).
    const more = await Promise.all(Array.from({ length: 24 }, () => GatewayClient.connect(gw)));
    await holds('shard 0 accepting', async () => (await perShard())[0]! > 0);
    const again = await Promise.all(more.map((c, i) => c.request(declined(601 + i))));
    expect(again.map((r) => [r.t, r.customer])).toEqual(more.map((_, i) => ['decision', `demo-${601 + i}`]));
    expect(new Set(more.map((_, i) => shardOf(`demo-${601 + i}`, 2))).size).toBe(2);
    for (const c of [...alive, ...more]) c.close();
  }, 60_000);

  it('answers /ready 503 on every shard while the node drains, still serving the gateways (last: the node drains)', async () => {
    const base = `http://127.0.0.1:${k.gatewayPort!}`;
    const draining = k.drain();
    // Each shard's listener: several requests, so both shards answer some (new connections each).
    await holds('draining on the port', async () => {
      const answers = await Promise.all(Array.from({ length: 8 }, () => fetch(`${base}/ready`, { headers: { Connection: 'close' } }).then(async (r) => [r.status, await r.json()] as const)));
      return answers.every(([status, body]) => status === 503 && (body as { reason?: string }).reason === 'draining');
    });
    const client = await GatewayClient.connect(gw);
    expect((await client.request(declined(601))).t).toBe('decision');
    client.close();
    await draining;
  });

  it('is refused while another process holds it', async () => {
    const holder = createServer();
    const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
    await expect(freeGatewayPort('127.0.0.1', port)).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('KAIROS_GATEWAY_PORT') as string });
    await new Promise((r) => holder.close(r));
    expect(await freeGatewayPort('127.0.0.1', port)).toBe(port);
    // The node's own shards hold theirs: a second node on the same port is refused too.
    await expect(freeGatewayPort('127.0.0.1', k.gatewayPort!)).rejects.toMatchObject({ code: 'conflict' });
  });
});
