import { describe, expect, it } from 'vitest';
import { adminHeaders, encode, serverForFile, uid } from '../test-support/test-kairos.js';
import { ClientBuckets } from './token-bucket.js';

/**
 * `POST /v1/events` is rate limited as the WebSocket's frames are (`KAIROS_RATE_LIMIT`, a
 * burst of twice that), by gateway key and client address: 429 `rate_limited` with `re` and
 * `Retry-After` (docs/protocol.md#http).
 */

const server = serverForFile({ config: { store: 'memory', rateLimitPerConnection: 5 } });

const post = (id: string, token = 'demo-gateway', msgpack = false): Promise<Response> => {
  const event = { id, type: 'web.pageview', customer: { cookie: 'ck-http-rate' }, channel: 'web' };
  return fetch(`${server.k.httpUrl}/v1/events`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': msgpack ? 'application/msgpack' : 'application/json', Accept: 'application/json' },
    body: msgpack ? encode(event) : JSON.stringify(event),
  });
};

describe('POST /v1/events under KAIROS_RATE_LIMIT', () => {
  it('answers a client past its burst 429 rate_limited, with re and Retry-After; another key is not held back; the bucket refills', async () => {
    const made = await fetch(`${server.k.httpUrl}/v1/keys`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ name: 'rate-pos-2', role: 'gateway' }) });
    const other = ((await made.json()) as { secret: string }).secret;
    // 25 requests one after the other over one keep-alive connection, against 5 a second (a burst of 10).
    const replies: Array<{ id: string; res: Response; body: Record<string, unknown> }> = [];
    for (let i = 0; i < 25; i++) {
      const id = uid('h');
      const res = await post(id, 'demo-gateway', i % 2 === 1);
      replies.push({ id, res, body: (await res.json()) as Record<string, unknown> });
    }
    const ok = replies.filter((r) => r.res.status === 200);
    const limited = replies.filter((r) => r.res.status === 429);
    expect(ok.length + limited.length).toBe(25);
    expect(ok.length).toBeGreaterThanOrEqual(10);
    expect(limited.length).toBeGreaterThan(0);
    // (the burst first, then refused ones)
    expect(replies.slice(0, 10).every((r) => r.res.status === 200)).toBe(true);
    for (const r of limited) {
      expect(r.res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.res.headers.get('retry-after')).toBe('1');
      expect(r.body).toMatchObject({ status: 429, code: 'rate_limited', re: r.id, detail: expect.stringContaining('more than 5 a second') as unknown });
    }
    // (a MessagePack body's id is read from its bytes, as a refused frame's)
    expect(limited.some((r) => replies.indexOf(r) % 2 === 1)).toBe(true);
    // Another gateway key from the same address has its own bucket.
    expect((await post(uid('h'), other)).status).toBe(200);
    // After a second the client is served again.
    await new Promise((r) => setTimeout(r, 1100));
    expect((await post(uid('h'))).status).toBe(200);
    const metrics = await (await fetch(`${server.k.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/kairos_errors_total\{code="rate_limited"\} [1-9]/);
  });
});

describe('ClientBuckets', () => {
  it('drops the buckets full again and keeps at most its bound', () => {
    const b = new ClientBuckets(5, 3);
    for (const c of ['a', 'b', 'c', 'd', 'e']) expect(b.take(c, 0)).toBe(0);
    expect(b.size).toBeLessThanOrEqual(3);
    for (let i = 0; i < 9; i++) b.take('e', 10);
    expect(b.take('e', 10)).toBe(1);
    // 2 s later every bucket is full again: swept, and 'e' starts anew.
    expect(b.take('e', 2010)).toBe(0);
    expect(b.size).toBe(1);
  });
});
