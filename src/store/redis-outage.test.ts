import { afterAll, describe, expect, it } from 'vitest';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, uid, until } from '../test-support/test-kairos.js';
import { runRedisTests, startRedis } from '../test-support/redis.js';
import { Redis } from 'ioredis';
import { RedisStore } from './redis-store.js';

/**
 * Redis goes away under a running node and comes back: while it is down the node is not
 * ready (a load balancer sends traffic elsewhere) and requests get `overloaded`, naming the
 * cause and changing nothing; afterwards it serves again, and what it acknowledged before
 * is all there.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.runIf(runRedisTests)('a Redis outage', () => {
  it('takes the node out of readiness, answers overloaded without changing anything, and recovers', async () => {
    // Every write on disk before Redis answers: a kill -9 of Redis loses nothing it acknowledged
    // (with `everysec`, a slow fsync can let Redis answer before writing; see docs/scale-out.md).
    const redis = await startRedis('always');
    cleanups.push(() => redis.close());
    const k: TestKairos = await startTestKairos({ config: { store: 'redis', redisUrl: redis.url, redisPrefix: 'outage', logLevel: 'error' } });
    cleanups.push(() => k.close());
    const gw = await GatewayClient.connect(k.wsUrl);
    cleanups.push(() => gw.close());
    const atm = (card: string): Promise<Frame> =>
      gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { card }, channel: 'atm', data: { requested: 1000, balance: 800 } }, 30_000);

    const before = await atm('card-20');
    const sms = (before.actions as Frame[]).find((a) => a.channel === 'sms');
    expect(sms).toBeDefined();
    expect((await fetch(`${k.httpUrl}/ready`)).status).toBe(200);

    await redis.kill();
    await until('the node notices', async () => ((await fetch(`${k.httpUrl}/ready`)).status === 503 ? true : undefined), 10_000);
    expect(await (await fetch(`${k.httpUrl}/ready`)).json()).toEqual({ status: 'not ready', reason: 'store unreachable' });
    const during = await atm('card-21');
    expect(during).toMatchObject({ t: 'error', code: 'overloaded', message: 'the store is unreachable; nothing was changed, retry later' });

    await redis.restart();
    await until('the node is ready again', async () => ((await fetch(`${k.httpUrl}/ready`)).status === 200 ? true : undefined), 20_000);
    // The acknowledged contact survived the outage; the refused request, sent again, is decided now.
    const card = (await (await fetch(`${k.httpUrl}/v1/customers/demo-20`, { headers: adminHeaders })).json()) as { contacts: Array<{ instance: string }> };
    expect(card.contacts.map((c) => c.instance), 'the card').toContain(sms!.instance);
    const reader = await new RedisStore({ url: redis.url, prefix: 'outage' }).open();
    try {
      const stored = (await reader.getSnapshot('demo-20'))?.snapshot as { context: { contacts: Array<{ instance: string }> } } | undefined;
      expect(stored?.context.contacts.map((c) => c.instance), 'the stored snapshot').toContain(sms!.instance);
      expect((await reader.listOutbox('sms', 100)).map((r) => r.instance), 'the stored outbox').toContain(sms!.instance);
    } finally {
      await reader.close();
    }
    const after = await atm('card-21');
    expect(after.t).toBe('decision');
    expect((after.actions as Frame[]).map((a) => a.channel)).toContain('sms');
  }, 90_000);

  it('takes the node out of readiness while Redis answers but refuses every write, and recovers', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.close());
    const k: TestKairos = await startTestKairos({ config: { store: 'redis', redisUrl: redis.url, redisPrefix: 'refusing', logLevel: 'error' } });
    cleanups.push(() => k.close());
    const gw = await GatewayClient.connect(k.wsUrl);
    cleanups.push(() => gw.close());
    const visit = (n: number): Promise<Frame> => gw.request({ t: 'event', id: uid(), type: 'web.pageview', customer: { id: `demo-${n}` }, channel: 'web' }, 30_000);
    expect((await visit(1)).t).toBe('decision');
    const admin = new Redis(redis.url);
    cleanups.push(() => void admin.disconnect());
    // Out of memory with no eviction: Redis answers every read and refuses every write.
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    for (const n of [2, 3, 4]) expect(await visit(n)).toMatchObject({ t: 'error', code: 'internal' });
    await until('the node says it is not ready', async () => ((await fetch(`${k.httpUrl}/ready`)).status === 503 ? true : undefined), 10_000);
    expect(await (await fetch(`${k.httpUrl}/ready`)).json()).toEqual({ status: 'not ready', reason: 'store commits are failing' });
    await admin.config('SET', 'maxmemory', '0');
    await until('the node is ready again', async () => ((await fetch(`${k.httpUrl}/ready`)).status === 200 ? true : undefined), 20_000);
    expect((await visit(2)).t).toBe('decision');
  }, 90_000);

  it('keeps a delivery whose confirmation Redis refused: the gateway reports it again once Redis takes writes', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.close());
    const k: TestKairos = await startTestKairos({ config: { store: 'redis', redisUrl: redis.url, redisPrefix: 'confirm', logLevel: 'fatal' } });
    cleanups.push(() => k.close());
    await k.kairos.store.commit({
      snapshots: [],
      identities: [],
      outbox: [{ kind: 'backoffice', instance: 'bk-1', customer: 'demo-1', channel: 'backoffice', campaign: 'atm-shortfall', offer: 'atm-microcredit', action: 'issue_credit', vars: {}, at: 1 }],
    });
    const endpoint = await GatewayClient.connect(k.wsUrl);
    cleanups.push(() => endpoint.close());
    expect(await endpoint.request({ t: 'subscribe', id: uid(), channels: ['backoffice'] })).toMatchObject({ t: 'ack' });
    expect(await endpoint.next((f) => f.t === 'deliver')).toMatchObject({ instance: 'bk-1' });
    const admin = new Redis(redis.url);
    cleanups.push(() => void admin.disconnect());
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    // (Redis still takes deletions when out of memory: a failure report is a write it refuses.)
    expect(await endpoint.request({ t: 'failed', id: uid(), instance: 'bk-1', channel: 'backoffice', reason: 'back office down' })).toMatchObject({ t: 'error', code: 'internal' });
    await admin.config('SET', 'maxmemory', '0');
    expect(await endpoint.request({ t: 'failed', id: uid(), instance: 'bk-1', channel: 'backoffice', reason: 'back office down' })).toMatchObject({ t: 'ack' });
    expect(await k.kairos.store.getOutbox('backoffice', 'bk-1')).toMatchObject({ attempts: 1, lastError: 'back office down' });
  }, 60_000);
});
