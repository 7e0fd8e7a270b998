import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { TestKairos } from '../test-support/test-kairos.js';
import { startTestKairos } from '../test-support/test-kairos.js';

/**
 * The idle close as docs/protocol.md#connection states it (uWS v20.30's timer), through the
 * real server with `KAIROS_IDLE_TIMEOUT_SEC=8`: a client that answers no ping gets one after
 * 0 to 4 s, then is cut 4 s later with no close frame (1006); one that answers stays.
 */

let k: TestKairos;

beforeAll(async () => {
  k = await startTestKairos({ config: { store: 'memory', idleTimeoutSec: 8 } });
});

afterAll(async () => {
  await k.close();
});

describe('an idle WebSocket', () => {
  it('is pinged, then cut with 1006 within the timeout when it does not answer; kept when it does', async () => {
    const headers = { Authorization: 'Bearer demo-gateway' };
    const t0 = Date.now();
    const silent = new WebSocket(k.wsUrl, { headers, autoPong: false });
    const answering = new WebSocket(k.wsUrl, { headers });
    const pings: number[] = [];
    silent.on('ping', () => pings.push(Date.now() - t0));
    const closed = await new Promise<{ code: number; at: number }>((resolve) => silent.on('close', (code) => resolve({ code, at: Date.now() - t0 })));
    expect(closed.code).toBe(1006);
    expect(pings).toHaveLength(1);
    expect(pings[0]).toBeLessThanOrEqual(4_500);
    expect(closed.at - pings[0]!).toBeGreaterThan(3_000);
    expect(closed.at).toBeLessThanOrEqual(8_500);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(answering.readyState).toBe(WebSocket.OPEN);
    answering.close();
  }, 20_000);
});
