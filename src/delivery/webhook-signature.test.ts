import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { OutboxRecord } from '../store/store.js';
import { WebhookAdapter } from './webhook-adapter.js';
import { WebhookVerifier, signWebhook, webhookHeaders, webhookKey } from './webhook-signature.js';

/**
 * Standard Webhooks signatures: the spec's own example, the key derivation, and the adapter
 * posting to a real HTTP receiver (node:http) that verifies every request with
 * WebhookVerifier: a replayed request, a changed body and a stale or future timestamp are
 * refused; the sender's retry after a failed attempt is accepted.
 */

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('signing', () => {
  it("gives the spec's example signature for its whsec_ secret", () => {
    const key = webhookKey(SECRET);
    expect(signWebhook(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('keys a plain secret with its UTF-8 bytes and refuses a malformed or empty one', () => {
    expect(webhookKey('plain-секрет')).toEqual(Buffer.from('plain-секрет', 'utf8'));
    expect(webhookKey(SECRET)).toEqual(Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'));
    for (const bad of ['whsec_', 'whsec_not base64!', 'whsec_abc', '']) {
      expect(() => webhookKey(bad)).toThrow(expect.objectContaining({ code: 'config_invalid' }));
    }
  });

  it('puts the timestamp in whole seconds and signs id, timestamp and body', () => {
    const key = webhookKey('plain');
    const h = webhookHeaders(key, 'c-1:1.ab', 1_999_999_999, '{}');
    expect(h).toEqual({ 'webhook-id': 'c-1:1.ab', 'webhook-timestamp': '1999999', 'webhook-signature': signWebhook(key, 'c-1:1.ab', 1999999, '{}') });
  });
});

describe('WebhookVerifier', () => {
  const clock = new ManualClock(Date.now());
  const key = webhookKey(SECRET);
  const signed = (id: string, body: string, atMs = clock.now()) => webhookHeaders(key, id, atMs, body);

  it('accepts any one matching signature of several (a key being rotated), once per id', () => {
    const v = new WebhookVerifier({ secret: SECRET, now: () => clock.now() });
    const h = signed('m-1', '{"a":1}');
    expect(v.verify({ ...h, 'webhook-signature': `v1,AAAA ${h['webhook-signature']}` }, '{"a":1}')).toBe('m-1');
    expect(() => v.verify(h, '{"a":1}')).toThrow(/replay/);
  });

  it('refuses missing headers, a wrong key, and a timestamp beyond 5 minutes either way', () => {
    const v = new WebhookVerifier({ secret: SECRET, now: () => clock.now() });
    expect(() => v.verify({}, '')).toThrow(/webhook-id is missing/);
    const other = webhookHeaders(webhookKey('another'), 'm-2', clock.now(), 'x');
    expect(() => v.verify(other, 'x')).toThrow(/does not match/);
    expect(() => v.verify(signed('m-3', 'x', clock.now() - 301_000), 'x')).toThrow(/more than 300 s/);
    expect(() => v.verify(signed('m-4', 'x', clock.now() + 301_000), 'x')).toThrow(/more than 300 s/);
    expect(v.verify(signed('m-5', 'x', clock.now() - 299_000), 'x')).toBe('m-5');
    try {
      v.verify(signed('m-5', 'x'), 'x');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(KairosError);
      expect((err as KairosError).code).toBe('unauthorized');
    }
  });

  it('keeps at most maxSeen ids and forgets those past the window', () => {
    const v = new WebhookVerifier({ secret: SECRET, now: () => clock.now(), maxSeen: 2 });
    for (const id of ['a', 'b', 'c']) v.verify(signed(id, ''), '');
    // 'a' was the oldest, pushed out by 'c'; 'b' and 'c' are still replays.
    expect(v.verify(signed('a', ''), '')).toBe('a');
    expect(() => v.verify(signed('c', ''), '')).toThrow(/replay/);
    clock.advance(301_000);
    // A new attempt of 'c' (a new timestamp) after the window is accepted again.
    expect(v.verify(signed('c', ''), '')).toBe('c');
  });
});

describe('the webhook adapter to a verifying receiver', () => {
  const clock = new ManualClock(Date.now());
  let verifier: WebhookVerifier;
  interface Received {
    headers: IncomingHttpHeaders;
    body: string;
    status: number;
    reason: string;
  }
  const received: Received[] = [];
  /** the receiver fails the work of the next accepted request (answers 500 and forgets its id) */
  let failNext = false;
  let server: Server;
  let url = '';

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let status = 200;
        let reason = 'ok';
        try {
          const id = verifier.verify(req.headers, body);
          if (failNext) {
            failNext = false;
            verifier.forget(id);
            status = 500;
            reason = 'busy';
          }
        } catch (err) {
          status = 401;
          reason = (err as Error).message;
        }
        received.push({ headers: req.headers, body, status, reason });
        res.statusCode = status;
        res.end(reason);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/actions`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    verifier = new WebhookVerifier({ secret: SECRET, now: () => clock.now() });
    received.length = 0;
  });

  const record = (instance: string): OutboxRecord => ({
    kind: 'backoffice',
    channel: 'backoffice',
    instance,
    customer: 'demo-20',
    campaign: 'atm-shortfall',
    offer: 'credit',
    action: 'issue_credit',
    vars: { shortfall: 200 },
    at: clock.now(),
    seq: 1,
    attempts: 0,
  });
  const adapter = (skewMs = 0) => new WebhookAdapter({ url, secret: SECRET, ratePerSec: 100, now: () => clock.now() + skewMs });

  it('is accepted, keeps the older X-Kairos-Signature, and a replay of the same request is refused', async () => {
    await adapter().send(record('demo-20:1.aa'));
    expect(received).toHaveLength(1);
    const first = received[0]!;
    expect(first).toMatchObject({ status: 200, headers: { 'webhook-id': 'demo-20:1.aa', 'idempotency-key': 'demo-20:1.aa' } });
    expect(first.headers['x-kairos-signature']).toBe(`sha256=${createHmac('sha256', webhookKey(SECRET)).update(first.body).digest('hex')}`);

    // An eavesdropper sends the very same request again.
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'idempotency-key', 'webhook-id', 'webhook-timestamp', 'webhook-signature']) headers[name] = first.headers[name] as string;
    const replay = await fetch(url, { method: 'POST', headers, body: first.body });
    expect(replay.status).toBe(401);
    expect(await replay.text()).toMatch(/"demo-20:1\.aa" was accepted already/);

    // The same headers on another body do not verify.
    const changed = await fetch(url, { method: 'POST', headers, body: first.body.replace('200', '20000') });
    expect(changed.status).toBe(401);
    expect(await changed.text()).toMatch(/does not match/);
  });

  it("retries with the same webhook-id and a fresh signature, accepted after the receiver's failure", async () => {
    failNext = true;
    const r = record('demo-20:2.bb');
    await expect(adapter().send(r)).rejects.toMatchObject({ code: 'delivery_failed' });
    clock.advance(30_000);
    await adapter().send(r);
    expect(received.map((x) => [x.status, x.headers['webhook-id']])).toEqual([
      [500, 'demo-20:2.bb'],
      [200, 'demo-20:2.bb'],
    ]);
    expect(received[1]!.headers['webhook-timestamp']).not.toBe(received[0]!.headers['webhook-timestamp']);
  });

  it('is refused for good when the sender signs more than 5 minutes off the receiver', async () => {
    await expect(adapter(-301_000).send(record('demo-20:3.cc'))).rejects.toMatchObject({ code: 'delivery_refused', message: expect.stringContaining('HTTP 401') as unknown });
    await expect(adapter(301_000).send(record('demo-20:4.dd'))).rejects.toMatchObject({ code: 'delivery_refused' });
    expect(received.map((x) => x.reason)).toEqual([expect.stringMatching(/more than 300 s/), expect.stringMatching(/more than 300 s/)]);
  });

  it('refuses a malformed whsec_ secret when the adapter is built', () => {
    expect(() => new WebhookAdapter({ url, secret: 'whsec_%%', ratePerSec: 1 })).toThrow(expect.objectContaining({ code: 'config_invalid' }));
  });
});
