import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, decode, encode, startTestKairos } from '../test-support/test-kairos.js';

/**
 * A gateway that sends but does not read its replies: once what the server holds for it
 * passes `maxBackpressureBytes` the connection is closed, not fed forever, and other
 * connections are served as before. A client that goes on sending while it does not read, and
 * reads again later than uWS's ping timeout, still gets every reply written before the close,
 * then the close frame (uWS's `end` closed such a socket outright: a reset, 1006).
 */

let k: TestKairos;

beforeAll(async () => {
  k = await startTestKairos({ config: { store: 'memory', maxBackpressureBytes: 1024, rateLimitPerConnection: 5 } });
});

afterAll(async () => {
  await k.close();
});

describe('a gateway that does not read its replies', () => {
  it('is closed once its replies pass the backpressure limit, and only that connection', async () => {
    const slow = await GatewayClient.connect(k.wsUrl);
    const other = await GatewayClient.connect(k.wsUrl);
    // Stop reading: the replies fill the socket buffers, then the server's own buffer (on a
    // loaded machine the server makes its replies slowly, and the kernel's buffers take longer:
    // past 5 frames a second each reply is a `rate_limited` of ~1.1 KB with its long id, answered
    // at once, so megabytes of socket buffers take thousands of replies, not tens of thousands
    // of decisions).
    const pad = 'x'.repeat(990);
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const closed = new Promise<number>((resolve) => slow.ws.once('close', (code: number) => resolve(code)));
    let sent = 0;
    const started = Date.now();
    while (slow.closedWith === undefined && (k.logs.every((l) => l.msg !== 'closing a connection that does not read its replies')) && Date.now() - started < 45_000) {
      for (let i = 0; i < 200; i++) {
        slow.ws.send(encode({ t: 'event', id: `slow-${String(sent++).padStart(6, '0')}${pad}`, type: 'web.pageview', customer: { id: `demo-${1 + (sent % 1000)}` }, channel: 'web' }));
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

describe('a gateway that goes on sending while it does not read (a gateway vendor\'s QA pass)', () => {
  let v: TestKairos;

  beforeAll(async () => {
    // An idle timeout of 8 s: uWS's ping timeout (the time it gives a socket after `end`) is 4 s.
    v = await startTestKairos({ config: { store: 'memory', maxBackpressureBytes: 20_000, rateLimitPerConnection: 5, idleTimeoutSec: 8 } });
  });

  afterAll(async () => {
    await v.close();
  });

  it('gets every reply written before the close, then 1013, once it reads again', async () => {
    const slow = await GatewayClient.connect(v.wsUrl);
    const socket = (slow.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const res: string[] = [];
    slow.ws.on('message', (data: Buffer) => res.push(String(decode(data).re)));
    const closed = new Promise<number>((resolve) => slow.ws.once('close', (code: number) => resolve(code)));
    slow.ws.on('error', () => undefined);
    // ~1.1 KB a reply (`rate_limited` past 5 a second, each with its 996-character id)
    const ids: string[] = [];
    const send = (): void => {
      const id = `${String(ids.length).padStart(6, '0')}${'x'.repeat(990)}`;
      ids.push(id);
      slow.ws.send(encode({ t: 'event', id, type: 'web.pageview', customer: { id: 'demo-1' }, channel: 'web' }));
    };
    const closing = (): Record<string, unknown> | undefined => v.logs.find((l) => l.msg === 'closing a connection that does not read its replies');
    const started = Date.now();
    while (closing() === undefined && slow.closedWith === undefined && Date.now() - started < 30_000) {
      for (let i = 0; i < 200; i++) send();
      await new Promise((r) => setTimeout(r, 5));
    }
    const log = closing();
    expect(log).toBeDefined();
    // It goes on sending (~500 a second) past uWS's ping timeout, then 30 more, then waits a second.
    const until = Date.now() + 5_000;
    while (Date.now() < until && slow.closedWith === undefined) {
      for (let i = 0; i < 10; i++) send();
      await new Promise((r) => setTimeout(r, 20));
    }
    for (let i = 0; i < 30; i++) send();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(slow.closedWith).toBeUndefined();
    socket.resume();
    expect(await closed).toBe(1013);
    // Every reply written before the close, in order, and none after it.
    expect(res.length).toBe(log?.written);
    expect(res).toEqual(ids.slice(0, res.length));
  }, 60_000);
});
