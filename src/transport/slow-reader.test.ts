import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, encode, startTestKairos } from '../test-support/test-kairos.js';

/**
 * A gateway that sends but does not read its replies: once what the server holds for it
 * passes `maxBackpressureBytes` the connection is closed, not fed forever, and other
 * connections are served as before.
 */

let k: TestKairos;

beforeAll(async () => {
  k = await startTestKairos({ config: { store: 'memory', maxBackpressureBytes: 1024, rateLimitPerConnection: 1_000_000 } });
});

afterAll(async () => {
  await k.close();
});

describe('a gateway that does not read its replies', () => {
  it('is closed once its replies pass the backpressure limit, and only that connection', async () => {
    const slow = await GatewayClient.connect(k.wsUrl);
    const other = await GatewayClient.connect(k.wsUrl);
    // Stop reading: the replies fill the socket buffers, then the server's own buffer (on a
    // loaded machine the server makes its replies slowly, and the kernel's buffers take longer).
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const closed = new Promise<number>((resolve) => slow.ws.once('close', (code: number) => resolve(code)));
    let sent = 0;
    const started = Date.now();
    while (slow.closedWith === undefined && (k.logs.every((l) => l.msg !== 'closing a connection that does not read its replies')) && Date.now() - started < 45_000) {
      for (let i = 0; i < 2000; i++) {
        slow.ws.send(encode({ t: 'event', id: `slow-${sent++}`, type: 'web.pageview', customer: { id: `demo-${1 + (sent % 1000)}` }, channel: 'web' }));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(k.logs.some((l) => l.msg === 'closing a connection that does not read its replies')).toBe(true);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    // The close frame fits in what uWS still buffers: it arrives after the replies, as 1013.
    expect(await closed).toBe(1013);
    const metrics = await (await fetch(`${k.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^kairos_ws_send_dropped_total 1$/m);
    const reply = await other.request({ t: 'event', id: 'other-1', type: 'web.pageview', customer: { id: 'demo-5' }, channel: 'web' });
    expect(reply.t).toBe('decision');
    other.close();
  }, 60_000);
});
