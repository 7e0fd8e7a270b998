import { afterAll, describe, expect, it } from 'vitest';
import { runRedisTests, startRedis } from '../test-support/redis.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, uid } from '../test-support/test-kairos.js';

/**
 * Two nodes on one Redis: an SMS that node A decides and commits reaches an SMS gateway
 * subscribed to node B, which was told nothing of it (a node pushes only what it committed
 * itself): each node reads its subscribed channels' queues again every delivery poll.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.runIf(runRedisTests)('delivery across nodes on one Redis', () => {
  it("delivers to a subscriber of one node what another node committed, within a poll", async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.close());
    const config = { store: 'redis' as const, redisUrl: redis.url, redisPrefix: 'shared-delivery', clock: 'manual' as const, logLevel: 'error' as const, deliveryPollMs: 200 };
    const a: TestKairos = await startTestKairos({ config });
    cleanups.push(() => a.close());
    const b: TestKairos = await startTestKairos({ config });
    cleanups.push(() => b.close());
    const noon = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 9 * 3_600_000;
    for (const k of [a, b]) await fetch(`${k.httpUrl}/v1/clock`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ now: noon }) });

    const smsGateway = await GatewayClient.connect(b.wsUrl);
    cleanups.push(() => smsGateway.close());
    expect(await smsGateway.request({ t: 'subscribe', id: uid(), channels: ['sms'] })).toMatchObject({ t: 'ack' });
    const atm = await GatewayClient.connect(a.wsUrl);
    cleanups.push(() => atm.close());
    const decision = await atm.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { id: 'demo-19' }, channel: 'atm', data: { requested: 1000, balance: 800 } });
    const sms = (decision.actions as Array<{ channel: string; instance: string }>).find((x) => x.channel === 'sms');
    expect(sms).toBeDefined();
    const delivered = await smsGateway.next((f) => f.t === 'deliver', 5000);
    expect(delivered).toMatchObject({ instance: sms?.instance, channel: 'sms', customer: 'demo-19' });
    expect(await smsGateway.request({ t: 'delivered', id: uid(), instance: sms!.instance, channel: 'sms' })).toMatchObject({ t: 'ack' });
    expect(await b.kairos.store.getOutbox('sms', sms!.instance)).toBeUndefined();
  }, 60_000);
});
