import { afterEach, describe, expect, it } from 'vitest';
import { GatewayClient, startTestKairos, uid, yesterdayMsk } from '../test-support/test-kairos.js';

/**
 * Overload over a socket: past the bound of requests in flight Kairos answers `overloaded`
 * error frames at once, each naming its request, and counts them. The host's admission
 * itself (the in-flight and queueing bounds) is tested without sockets in host.test.ts.
 */

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('backpressure', () => {
  it('answers overloaded past the in-flight bound, names the request, and serves again once the burst is through', async () => {
    const k = await startTestKairos({ config: { maxInFlight: 8 } });
    cleanups.push(() => k.close());
    const gw = await GatewayClient.connect(k.wsUrl);
    cleanups.push(() => gw.close());
    const at = yesterdayMsk('10:00');
    const ids = Array.from({ length: 300 }, () => uid());
    const replies = await Promise.all(
      ids.map((id, i) => gw.request({ t: 'event', id, type: 'atm.withdrawal.declined', customer: { id: `demo-${i + 1}` }, channel: 'atm', at, data: { requested: 1000, balance: 800 } })),
    );
    const overloaded = replies.filter((r) => r.t === 'error');
    expect(overloaded.length).toBeGreaterThan(0);
    expect(overloaded.every((r) => r.code === 'overloaded' && ids.includes(r.re as string))).toBe(true);
    expect(replies.filter((r) => r.t === 'decision').length).toBeGreaterThanOrEqual(8);
    // Refused requests changed nothing: sent again, they are decided.
    const again = await gw.request({ t: 'event', id: overloaded[0]!.re, type: 'atm.withdrawal.declined', customer: { id: `demo-${ids.indexOf(overloaded[0]!.re as string) + 1}` }, channel: 'atm', at, data: { requested: 1000, balance: 800 } });
    expect(again).toMatchObject({ t: 'decision' });
    const metrics = await (await fetch(`${k.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/kairos_errors_total\{code="overloaded"\} [1-9]/);
  });
});
