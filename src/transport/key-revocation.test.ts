import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRedisTests, startRedis } from '../test-support/redis.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, uid } from '../test-support/test-kairos.js';

/**
 * Issue 28 item 12, for keys: two nodes on one real Redis. A key revoked through one node is
 * refused by the other for every request that starts after the revoke's 200, under load
 * (events posted as fast as a few clients can while the key is revoked), and the other
 * node's WebSocket connections on it are closed.
 */

let redis: Awaited<ReturnType<typeof startRedis>>;
let a: TestKairos;
let b: TestKairos;

describe.runIf(runRedisTests)('keys on two nodes sharing Redis', () => {
  beforeAll(async () => {
    redis = await startRedis();
    const config = { store: 'redis' as const, redisUrl: redis.url, redisPrefix: uid('keys'), logLevel: 'error' as const };
    a = await startTestKairos({ config: { ...config, nodeId: 'a' } });
    b = await startTestKairos({ config: { ...config, nodeId: 'b' } });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.close();
  });

  it('no request with a revoked key succeeds on the other node after the revoke is acknowledged', async () => {
    const made = (await (await fetch(`${a.httpUrl}/v1/keys`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ name: 'loaded-gw', role: 'gateway' }) })).json()) as { secret: string };
    const headers = { Authorization: `Bearer ${made.secret}`, 'Content-Type': 'application/json' };
    const ws = await GatewayClient.connect(b.wsUrl, made.secret);
    const results: Array<{ startedAt: number; status: number }> = [];
    let ackedAt = Infinity;
    let stop = false;
    let n = 0;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const event = { id: uid('ev'), type: 'atm.withdrawal.declined', customer: { id: `demo-${(n++ % 300) + 1}` }, channel: 'atm', data: { requested: 1000, balance: 800 } };
        const startedAt = performance.now();
        const res = await fetch(`${b.httpUrl}/v1/events`, { method: 'POST', headers, body: JSON.stringify(event) });
        await res.arrayBuffer();
        results.push({ startedAt, status: res.status });
        // keep going a while after the revoke, then stop
        if (startedAt > ackedAt && results.filter((r) => r.startedAt > ackedAt).length >= 300) stop = true;
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    // revoke once some events went through with the key
    while (results.filter((r) => r.status === 200).length < 300) await new Promise((r) => setImmediate(r));
    const revoke = await fetch(`${a.httpUrl}/v1/keys/loaded-gw`, { method: 'DELETE', headers: adminHeaders });
    ackedAt = performance.now();
    expect(revoke.status).toBe(200);
    await Promise.all(workers);

    const before = results.filter((r) => r.startedAt < ackedAt);
    const after = results.filter((r) => r.startedAt > ackedAt);
    const seconds = (Math.max(...results.map((r) => r.startedAt)) - Math.min(...results.map((r) => r.startedAt))) / 1000;
    console.log(`key revocation under load: ${results.length} events in ${seconds.toFixed(1)} s (${Math.round(results.length / seconds)}/s), ${after.length} after the ack`);
    expect(before.some((r) => r.status === 200)).toBe(true);
    expect(after.length).toBeGreaterThanOrEqual(300);
    expect(after.filter((r) => r.status !== 401)).toEqual([]);
    // node b's WebSocket connection on the key is closed (b reads the version every second)
    expect((await ws.waitClosed(10_000)).code).toBe(1008);
  });

  it('a key made or rotated on one node is accepted, and its old secret refused, on the other', async () => {
    const made = (await (await fetch(`${a.httpUrl}/v1/keys`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ name: 'two-node-ops', role: 'ops' }) })).json()) as { secret: string };
    const status = async (node: TestKairos, secret: string): Promise<number> => (await fetch(`${node.httpUrl}/v1/status`, { headers: { Authorization: `Bearer ${secret}` } })).status;
    expect(await status(b, made.secret)).toBe(200);
    const rotated = (await (await fetch(`${b.httpUrl}/v1/keys/two-node-ops/rotate`, { method: 'POST', headers: adminHeaders })).json()) as { secret: string };
    expect(await status(a, made.secret)).toBe(401);
    expect(await status(a, rotated.secret)).toBe(200);
    const listed = (await (await fetch(`${a.httpUrl}/v1/keys`, { headers: adminHeaders })).json()) as { keys: Array<{ name: string }> };
    expect(listed.keys.map((k) => k.name)).toContain('two-node-ops');
  });

  it('admits nobody while the store is unreachable: the key table cannot be checked (503), never a stale yes', async () => {
    await redis.kill();
    const res = await fetch(`${b.httpUrl}/v1/status`, { headers: adminHeaders });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { code: string }).code).toBe('unavailable');
    await redis.restart();
  });
});
