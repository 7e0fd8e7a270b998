import { afterEach, describe, expect, it } from 'vitest';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, uid, yesterdayMsk } from '../test-support/test-kairos.js';
import { parseEvent } from '../transport/frames.js';

/**
 * Virtual actors: released from memory past the hot-actor bound, when idle, and when the heap
 * is past its bound; brought back from the store with everything they knew, in order.
 */

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(config: NonNullable<Parameters<typeof startTestKairos>[0]>['config']): Promise<{ k: TestKairos; gw: GatewayClient }> {
  const k = await startTestKairos({ config });
  cleanups.push(() => k.close());
  const gw = await GatewayClient.connect(k.wsUrl);
  cleanups.push(() => gw.close());
  return { k, gw };
}

const at = yesterdayMsk('10:00');
const shortfall = (n: number, id = uid()): Frame => ({ t: 'event', id, type: 'atm.withdrawal.declined', customer: { id: `demo-${n}` }, channel: 'atm', at, data: { requested: 1000, balance: 800 } });

async function card(k: TestKairos, n: number): Promise<{ contacts: unknown[]; lastEventAt: number }> {
  return (await (await fetch(`${k.httpUrl}/v1/customers/demo-${n}`, { headers: adminHeaders })).json()) as { contacts: unknown[]; lastEventAt: number };
}

describe('passivation', () => {
  it('keeps at most the bound of live actors, and a released one comes back with its history', async () => {
    const { k, gw } = await start({ maxHotActors: 100 });
    const first = await gw.request(shortfall(1, 'first'));
    expect(first.actions).toHaveLength(1);
    for (let n = 2; n <= 150; n += 10) await Promise.all(Array.from({ length: 10 }, (_, i) => gw.request(shortfall(n + i))));
    expect(k.kairos.host.hotCount).toBeLessThanOrEqual(101);
    // demo-1 was released; it comes back knowing its SMS: the same id gets the same answer, a new one no second SMS today.
    expect(await gw.request(shortfall(1, 'first'))).toEqual(first);
    expect((await gw.request(shortfall(1))).actions).toEqual([]);
    expect((await card(k, 1)).contacts).toHaveLength(1);
    const metrics = await (await fetch(`${k.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/kairos_actor_passivations_total\{reason="lru"\} [1-9]/);
    expect(metrics).toMatch(/kairos_actor_activation_seconds_count\{source="snapshot"\} [1-9]/);
  });

  it('releases idle actors, and events keep their order across the release', async () => {
    const { k, gw } = await start({ passivateAfterMs: 30 });
    const replies = await Promise.all([1, 2, 3].map((n) => gw.request(shortfall(n))));
    expect(k.kairos.host.hotCount).toBe(3);
    // The host's gauges are read at the scrape: three live, all written (replies wait for the commit), none in flight.
    const live = await (await fetch(`${k.httpUrl}/metrics`)).text();
    expect(live).toMatch(/^kairos_hot_actors 3$/m);
    expect(live).toMatch(/^kairos_dirty_actors 0$/m);
    expect(live).toMatch(/^kairos_requests_in_flight 0$/m);
    await new Promise((r) => setTimeout(r, 60));
    k.kairos.host.sweep(); // (the server's own once-a-second sweep may have done it already)
    expect(k.kairos.host.hotCount).toBe(0);
    const released = await (await fetch(`${k.httpUrl}/metrics`)).text();
    expect(released).toMatch(/kairos_actor_passivations_total\{reason="idle"\} 3/);
    expect(released).toMatch(/^kairos_hot_actors 0$/m);
    // Two events for one released customer, sent at once: the second sees the first's SMS.
    const [a, b] = await Promise.all([gw.request(shortfall(4)), gw.request(shortfall(4))]);
    expect(a.actions).toHaveLength(1);
    expect(b.actions).toEqual([]);
    expect(replies.every((r) => (r.actions as unknown[]).length === 1)).toBe(true);
    expect((await card(k, 2)).contacts).toHaveLength(1);
  });

  it('releases the least recently used tenth each sweep while the heap is past its bound', async () => {
    const { k, gw } = await start({ maxHeapMb: 1, passivateAfterMs: 0 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => gw.request(shortfall(i + 1))));
    // (the server's own sweep runs every second too: compare around one sweep, synchronously)
    const before = k.kairos.host.hotCount;
    expect(before).toBeGreaterThan(20);
    expect(k.kairos.host.sweep()).toBe(Math.ceil(before / 10));
    expect(k.kairos.host.hotCount).toBe(before - Math.ceil(before / 10));
    const metrics = await (await fetch(`${k.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/kairos_actor_passivations_total\{reason="memory"\} [1-9]/);
  });

  it('counts as activation time the event loop\'s own work, not the turns other work takes meanwhile', async () => {
    const { k } = await start({ store: 'memory' });
    // Other work on the loop: microtasks of 10 ms each, one after another, for 200 ms. Each
    // `await` inside an activation waits behind one of them.
    const until = performance.now() + 200;
    const spin = (): void => {
      const t = performance.now();
      while (performance.now() - t < 10) {
        // busy
      }
      if (performance.now() < until) queueMicrotask(spin);
    };
    const reply = k.kairos.host.submitEvent(parseEvent(shortfall(7)));
    queueMicrotask(spin);
    expect((await reply).kind).toBe('decision');
    const metrics = await (await fetch(`${k.httpUrl}/metrics`)).text();
    const count = /kairos_actor_activation_seconds_count\{source="profile"\} (\d+)/.exec(metrics)?.[1];
    const within = /kairos_actor_activation_seconds_bucket\{le="0.005",source="profile"\} (\d+)/.exec(metrics)?.[1];
    expect(count).toBe('1');
    expect(within).toBe('1');
  });
});
