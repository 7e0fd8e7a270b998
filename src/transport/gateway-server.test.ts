import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, decode, encode, startTestKairos, tempDir, uid, yesterdayMsk } from '../test-support/test-kairos.js';
import { problemBody } from '../schema/http/problem.js';

/**
 * PROTOCOL.md v1 against the started server, through a real WebSocket client (the `ws`
 * package) speaking plain MessagePack, and real HTTP.
 */

let k: TestKairos;
let gw: GatewayClient;

beforeAll(async () => {
  k = await startTestKairos({ config: { store: 'memory', maxBadFramesPerMinute: 20, rateLimitPerConnection: 500 } });
  gw = await GatewayClient.connect(k.wsUrl);
});

afterAll(async () => {
  gw.close();
  await k.close();
});

const shortfall = (id: string, customer = 'demo-44'): Frame => ({
  t: 'event',
  id,
  type: 'atm.withdrawal.declined',
  customer: { id: customer },
  channel: 'atm',
  at: yesterdayMsk('10:00'),
  data: { requested: 1000, balance: 800 },
});

async function view(id: string): Promise<Record<string, any>> {
  return (await (await fetch(`${k.httpUrl}/v1/customers/${id}`, { headers: adminHeaders })).json()) as Record<string, any>;
}

describe('authentication at the upgrade', () => {
  it('refuses a connection without a token with HTTP 401', async () => {
    await expect(GatewayClient.connect(k.wsUrl, null)).rejects.toThrow('HTTP 401');
  });

  it('refuses a wrong token with HTTP 401', async () => {
    await expect(GatewayClient.connect(k.wsUrl, 'demo-admin')).rejects.toThrow('HTTP 401');
  });

  it('logs that demo credentials are active', () => {
    expect(k.logs).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringContaining('demo credentials are active') }));
  });
});

describe('bad frames', () => {
  it('answers a text frame with bad_frame and keeps the connection', async () => {
    const c = await GatewayClient.connect(k.wsUrl);
    c.sendRaw(JSON.stringify({ t: 'event', id: 'x' }), false);
    const err = await c.next((f) => f.t === 'error');
    expect(err).toEqual({ t: 'error', code: 'bad_frame', message: expect.stringContaining('text frames are refused') });
    const ok = await c.request(shortfall(uid(), 'demo-45'));
    expect(ok.t).toBe('decision');
    c.close();
  });

  it('answers bytes that are not MessagePack, or not a map, with bad_frame', async () => {
    const c = await GatewayClient.connect(k.wsUrl);
    c.sendRaw(Buffer.from([0x81]), true);
    expect(await c.next((f) => f.t === 'error')).toMatchObject({ code: 'bad_frame', message: 'the frame: truncated at byte 1: 1 items announced, 0 bytes left' });
    c.sendRaw(encode([1, 2, 3] as never), true);
    expect(await c.next((f) => f.t === 'error')).toMatchObject({ code: 'bad_frame', message: 'the frame must be one MessagePack map, got an array' });
    c.close();
  });

  it('answers an event without `type` with invalid, naming the field, with re', async () => {
    const id = uid();
    const reply = await gw.request({ t: 'event', id, customer: { id: 'demo-44' } });
    expect(reply).toEqual({ t: 'error', re: id, code: 'invalid', message: 'field "type": is required' });
  });

  it('names the field for each kind of mistake', async () => {
    const c = await GatewayClient.connect(k.wsUrl);
    const cases: Array<[Frame, string]> = [
      [{ id: uid(), type: 'x', customer: { id: 'demo-1' } }, 'field "t": is required'],
      [{ t: 'bogus', id: uid() }, 'field "t": unknown frame type "bogus"'],
      [{ t: 'event', id: uid(), type: 'ib.login' }, 'field "customer": is required'],
      [{ t: 'event', id: uid(), type: 'ib.login', customer: {} }, 'field "customer": needs at least one of id, card, phone, email, cookie'],
      [{ t: 'event', id: uid(), type: 'ib.login', customer: { id: 42 } }, 'field "customer.id": must be a string, got number'],
      [{ t: 'event', id: uid(), type: 'ib.login', customer: { phone: 'call me' } }, 'field "customer.phone": is not a valid phone'],
      [{ t: 'event', id: uid(), type: 'ib.login', customer: { id: 'demo-1' }, at: 'yesterday' }, 'field "at": must be epoch milliseconds'],
      [{ t: 'event', id: uid(), type: 'ib.login', customer: { id: 'demo-1' }, location: { lat: 95, lon: 0 } }, 'field "location.lat": must be from -90 to 90'],
      [{ t: 'event', id: uid(), type: 'ib.login', customer: { id: 'demo-1' }, data: [1] }, 'field "data": must be a map, got an array'],
      [{ t: 'event', id: uid(), type: 'no spaces please', customer: { id: 'demo-1' } }, 'field "type": may hold letters'],
      [{ t: 'response', id: uid(), instance: 'demo-1:1.a' }, 'field "outcome": is required'],
      [{ t: 'subscribe', id: uid(), channels: [] }, 'field "channels": must be a list of 1 to 32 strings'],
    ];
    for (const [frame, message] of cases) {
      const id = typeof frame.id === 'string' ? frame.id : undefined;
      const reply = id === undefined ? undefined : await c.request(frame);
      expect(reply).toMatchObject({ t: 'error', re: id, code: 'invalid', message: expect.stringContaining(message) });
    }
    c.close();
  });

  it('answers a frame whose id cannot be read without re', async () => {
    const c = await GatewayClient.connect(k.wsUrl);
    c.sendRaw(encode({ t: 'event', id: 7, type: 'ib.login', customer: { id: 'demo-1' } }), true);
    const err = await c.next((f) => f.t === 'error');
    expect(err).toEqual({ t: 'error', code: 'invalid', message: 'field "id": must be a string, got number' });
    c.close();
  });

  it('closes a connection that keeps sending bad frames, and only that one', async () => {
    const bad = await GatewayClient.connect(k.wsUrl);
    for (let i = 0; i < 25; i++) bad.sendRaw('nope', false);
    const closed = await bad.waitClosed();
    expect(closed.code).toBe(1008);
    const ok = await gw.request(shortfall(uid(), 'demo-46'));
    expect(ok.t).toBe('decision');
  });
});

describe('events and decisions', () => {
  it('answers a duplicate event id with the first decision and never makes a second contact', async () => {
    const id = uid();
    const first = await gw.request(shortfall(id, 'demo-47'));
    const [sms] = first.actions as Frame[];
    expect(sms).toMatchObject({ channel: 'sms', campaign: 'atm-shortfall' });
    const again = await gw.request(shortfall(id, 'demo-47'));
    expect(again).toEqual(first);
    const http = await fetch(`${k.httpUrl}/v1/events`, {
      method: 'POST',
      headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...shortfall(id, 'demo-47'), t: undefined }),
    });
    expect(await http.json()).toEqual(first);
    const card = await view('demo-47');
    expect(card.contacts).toHaveLength(1);
    const metrics = await (await fetch(`${k.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/kairos_decisions_total\{outcome="duplicate"\} [2-9]/);
  });

  it('carries many requests at once on one connection and matches replies by re', async () => {
    const ids = Array.from({ length: 200 }, () => uid());
    const replies = await Promise.all(
      ids.map((id, i) => gw.request({ t: 'event', id, type: 'web.pageview', customer: { id: `demo-${100 + (i % 50)}` }, channel: 'web' })),
    );
    expect(replies.map((r) => r.re)).toEqual(ids);
    expect(replies.every((r) => r.t === 'decision' && Array.isArray(r.actions))).toBe(true);
  });

  it('processes one customer’s events in the order they arrived', async () => {
    // Within the last hour: the card reads the 30-day window as of the server's clock.
    const base = Date.now() - 60 * 60_000;
    const sends = Array.from({ length: 30 }, (_, i) =>
      gw.request({ t: 'event', id: uid(), type: 'card.transaction', customer: { id: 'demo-200' }, at: base + i * 60_000, data: { amount: i + 1, mcc: '5411' } }),
    );
    await Promise.all(sends);
    const card = await view('demo-200');
    expect(card.features.card_spend_30d).toBe((30 * 31) / 2);
    expect(card.lastEventAt).toBe(base + 29 * 60_000);
  });

  it('acks a response and rejects one for an instance that does not exist', async () => {
    const [sms] = (await gw.request(shortfall(uid(), 'demo-48'))).actions as Frame[];
    const rid = uid('r');
    expect(await gw.request({ t: 'response', id: rid, instance: sms!.instance, outcome: 'declined' })).toEqual({ t: 'ack', re: rid });
    expect(await gw.request({ t: 'response', id: rid, instance: sms!.instance, outcome: 'declined' })).toEqual({ t: 'ack', re: rid });
    const bad = uid('r');
    expect(await gw.request({ t: 'response', id: bad, instance: 'demo-48:99.x', outcome: 'accepted' })).toMatchObject({
      t: 'error',
      re: bad,
      code: 'invalid',
      message: expect.stringContaining('no offer instance'),
    });
    const nobody = uid('r');
    expect(await gw.request({ t: 'response', id: nobody, instance: 'nobody-here:1.a', outcome: 'accepted' })).toMatchObject({ code: 'unknown_customer', re: nobody });
    expect((await view('demo-48')).responses).toHaveLength(1);
  });

  it('rate-limits a connection that sends too fast, with re, and serves it again later', async () => {
    const c = await GatewayClient.connect(k.wsUrl);
    // Bursts of 2,000 frames at once against 500 a second (a bucket of 1,000): the bucket is
    // checked as each frame is handled, so a burst handled slower than 1,000 frames a second
    // (a loaded test machine) could refill it; another burst follows then, up to five.
    let limited: Frame[] = [];
    for (let burst = 0; burst < 5 && limited.length === 0; burst++) {
      const ids = Array.from({ length: 2000 }, () => uid());
      const replies = await Promise.all(ids.map((id) => c.request({ t: 'event', id, type: 'web.pageview', customer: { cookie: 'ck-rate' } }, 30_000)));
      limited = replies.filter((r) => r.t === 'error');
    }
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toMatchObject({ code: 'rate_limited', re: expect.any(String) });
    // The bucket refills: after a pause the same connection is served again.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await c.request({ t: 'event', id: uid(), type: 'web.pageview', customer: { cookie: 'ck-rate' } })).t).toBe('decision');
    c.close();
  });
});

describe('delivery endpoints', () => {
  it('pushes queued SMS to a subscribed endpoint, which confirms them', async () => {
    const smsc = await GatewayClient.connect(k.wsUrl);
    const sub = uid('s');
    expect(await smsc.request({ t: 'subscribe', id: sub, channels: ['sms'] })).toEqual({ t: 'ack', re: sub });
    const decision = await gw.request(shortfall(uid(), 'demo-49'));
    const [sms] = decision.actions as Frame[];
    const deliver = await smsc.next((f) => f.t === 'deliver' && f.instance === sms!.instance);
    expect(deliver).toEqual({
      t: 'deliver',
      instance: sms!.instance,
      customer: 'demo-49',
      channel: 'sms',
      campaign: 'atm-shortfall',
      offer: 'atm-microcredit',
      content: sms!.content,
      expiresAt: sms!.expiresAt,
    });
    const did = uid('d');
    expect(await smsc.request({ t: 'delivered', id: did, instance: sms!.instance })).toEqual({ t: 'ack', re: did });
    expect((await view('demo-49')).contacts[0].delivery).toBe('delivered');
    const outbox = (await (await fetch(`${k.httpUrl}/v1/outbox/sms`, { headers: adminHeaders })).json()) as { entries: Frame[] };
    expect(outbox.entries.map((e) => e.instance)).not.toContain(sms!.instance);
    smsc.close();
  });

  it("puts an outbound call in the call centre's list with the operator's script, outside any session", async () => {
    const put = await fetch(`${k.httpUrl}/v1/campaigns/pension-call`, {
      method: 'PUT',
      headers: adminHeaders,
      body: JSON.stringify({
        name: 'Звонок о вкладе',
        status: 'active',
        offer: 'pension-deposit',
        channels: ['callcenter'],
        pushTo: ['callcenter'],
        trigger: { events: ['deposit.call-due'] },
        groups: [{ id: 'seniors', when: { attr: 'profile.age', op: 'gte', value: 55 }, responsePercent: 6 }],
      }),
    });
    expect(put.status).toBe(201);
    const operators = await GatewayClient.connect(k.wsUrl);
    const sub = uid('s');
    expect(await operators.request({ t: 'subscribe', id: sub, channels: ['callcenter'] })).toEqual({ t: 'ack', re: sub });
    // demo-67 is 60+: the event (from the bank's scheduler, no session) queues a call.
    const decision = await gw.request({ t: 'event', id: uid(), type: 'deposit.call-due', customer: { id: 'demo-67' }, at: yesterdayMsk('11:00') });
    const [call] = decision.actions as Frame[];
    expect(call).toMatchObject({ campaign: 'pension-call', channel: 'callcenter' });
    const deliver = await operators.next((f) => f.t === 'deliver' && f.instance === call!.instance);
    const card = await view('demo-67');
    expect(deliver.content).toEqual({ script: expect.stringContaining(`«${card.profile.firstName} ${card.profile.patronymic}»`) });
    const did = uid('d');
    expect(await operators.request({ t: 'delivered', id: did, instance: call!.instance })).toEqual({ t: 'ack', re: did });
    expect((await view('demo-67')).contacts.find((c: { instance: string }) => c.instance === call!.instance).delivery).toBe('delivered');
    operators.close();
    // Without pushTo, an operator channel is only used in its own session.
    const bad = await fetch(`${k.httpUrl}/v1/campaigns/pension-call`, {
      method: 'PUT',
      headers: adminHeaders,
      body: JSON.stringify({ name: 'x', status: 'active', offer: 'pension-deposit', channels: ['ib'], pushTo: ['sms'], trigger: { events: ['x'] }, groups: [{ id: 'g', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 1 }] }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toContain('pushTo[0]');
  });

  it('hands a backlog to an endpoint that subscribes later, and records failures (retried after the backoff: the contact not failed yet)', async () => {
    const [sms] = (await gw.request(shortfall(uid(), 'demo-50'))).actions as Frame[];
    await k.kairos.host.flush();
    const late = await GatewayClient.connect(k.wsUrl);
    await late.request({ t: 'subscribe', id: uid('s'), channels: ['sms'] });
    const deliver = await late.next((f) => f.t === 'deliver' && f.instance === sms!.instance);
    expect(deliver.customer).toBe('demo-50');
    const fid = uid('f');
    expect(await late.request({ t: 'failed', id: fid, instance: sms!.instance, reason: 'absent subscriber' })).toEqual({ t: 'ack', re: fid });
    // A failed attempt: retried after KAIROS_DELIVERY_BACKOFF_MS; the contact learns `failed` only after the last (subscriber-retry.test.ts).
    expect((await view('demo-50')).contacts[0].delivery).toBe('queued');
    const outbox = (await (await fetch(`${k.httpUrl}/v1/outbox/sms`, { headers: adminHeaders })).json()) as { entries: Frame[] };
    expect(outbox.entries.find((e) => e.instance === sms!.instance)).toMatchObject({ attempts: 1, lastError: 'absent subscriber', nextAttemptAt: expect.any(Number) });
    expect(outbox.entries.find((e) => e.instance === sms!.instance)).not.toHaveProperty('dead');
    const unknown = uid('d');
    expect(await late.request({ t: 'delivered', id: unknown, instance: 'demo-1:9.z' })).toMatchObject({ t: 'error', code: 'invalid', re: unknown });
    late.close();
  });
});

describe('HTTP', () => {
  it('serves health, readiness and Prometheus metrics', async () => {
    expect((await fetch(`${k.httpUrl}/health`)).status).toBe(200);
    const ready = await fetch(`${k.httpUrl}/ready`);
    expect(ready.status).toBe(200);
    const metrics = await fetch(`${k.httpUrl}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    for (const name of ['kairos_events_total', 'kairos_decisions_total', 'kairos_decision_duration_seconds_bucket', 'kairos_errors_total', 'kairos_hot_actors', 'kairos_process_cpu_seconds_total']) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/kairos_errors_total\{code="bad_frame"\} \d+/);
    expect(text).not.toMatch(/demo-\d+/);
  });

  it('decides POST /v1/events in JSON and in msgpack', async () => {
    const id = uid();
    const json = await fetch(`${k.httpUrl}/v1/events`, {
      method: 'POST',
      headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json' },
      body: JSON.stringify({ id, type: 'ib.login', customer: { id: 'demo-19' }, channel: 'ib', at: yesterdayMsk('10:00') }),
    });
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({ t: 'decision', re: id, customer: 'demo-19', actions: [expect.objectContaining({ campaign: 'pension-deposit' })] });

    const mid = uid();
    const packed = await fetch(`${k.httpUrl}/v1/events`, {
      method: 'POST',
      headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/msgpack' },
      body: encode({ id: mid, type: 'ib.login', customer: { id: 'demo-3' }, channel: 'ib' }),
    });
    expect(packed.headers.get('content-type')).toBe('application/msgpack');
    expect(decode(Buffer.from(await packed.arrayBuffer()))).toEqual({ t: 'decision', re: mid, customer: 'demo-3', actions: [] });
  });

  it('answers POST /v1/events errors with the protocol codes, in the one HTTP error shape, naming the event as re', async () => {
    const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
      fetch(`${k.httpUrl}/v1/events`, { method: 'POST', headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json', ...headers }, body });
    const noAuth = await fetch(`${k.httpUrl}/v1/events`, { method: 'POST', body: '{}' });
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers.get('www-authenticate')).toContain('Bearer');
    const broken = await post('{not json');
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ code: 'bad_frame', detail: expect.stringContaining('the body is not valid JSON') });
    // A body in another media type: 415, as the OpenAPI document declares.
    const typed = await post(JSON.stringify({ id: uid(), type: 'ib.login', customer: { id: 'demo-1' } }), { 'Content-Type': 'text/plain' });
    expect(typed.status).toBe(415);
    expect(typed.headers.get('content-type')).toBe('application/problem+json');
    expect(await typed.json()).toEqual(problemBody('unsupported_media_type', 'send the event as application/json or application/msgpack'));
    const id = uid();
    const missing = await post(JSON.stringify({ id, customer: { id: 'demo-1' } }));
    expect(missing.status).toBe(400);
    // The id could be read: the error names it, as the WebSocket error frame's re does.
    expect(await missing.json()).toEqual({ ...problemBody('invalid', 'field "type": is required'), re: id });
    // A MessagePack request's error is the same HTTP error, not a MessagePack map.
    const mid = uid();
    const packedMissing = await post(encode({ id: mid, customer: { id: 'demo-1' } }), { 'Content-Type': 'application/msgpack' });
    expect(packedMissing.status).toBe(400);
    expect(packedMissing.headers.get('content-type')).toContain('json');
    expect(await packedMissing.json()).toEqual({ ...problemBody('invalid', 'field "type": is required'), re: mid });
    const uidUnknown = uid();
    const unknown = await post(JSON.stringify({ id: uidUnknown, type: 'ib.login', customer: { id: 'no-such' } }));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'unknown_customer', re: uidUnknown });
    // An error the host answers for a parsed event names it too.
    const future = uid();
    const skewed = await post(JSON.stringify({ id: future, type: 'ib.login', customer: { id: 'demo-1' }, at: Date.now() + 86_400_000 * 365 * 20 }));
    expect(skewed.status).toBe(400);
    expect(await skewed.json()).toMatchObject({ code: 'invalid', detail: expect.stringContaining('field "at"'), re: future });
    const huge = await post(JSON.stringify({ id: uid(), type: 'x', customer: { id: 'demo-1' }, data: { blob: 'x'.repeat(70_000) } }));
    expect(huge.status).toBe(413);
    // A key twice: JSON.parse would keep the last customer, a proxy before Kairos may have read the first.
    const twice = uid();
    const smuggled = await post(`{"id":"${twice}","type":"ib.login","customer":{"id":"demo-1"},"customer":{"id":"demo-2"}}`);
    expect(smuggled.status).toBe(400);
    expect(await smuggled.json()).toEqual({ ...problemBody('bad_frame', 'the body: the key "customer" is given twice: an object names each key once'), re: twice });
    // an id twice: which to echo is the question, so none is
    const ids = await post(`{"id":"${uid()}","id":"${uid()}","type":"ib.login","customer":{"id":"demo-1"}}`);
    expect(ids.status).toBe(400);
    expect(await ids.json()).toEqual(problemBody('bad_frame', 'the body: the key "id" is given twice: an object names each key once'));
    // and so when another key is given twice before it
    const both = await post(`{"type":"ib.login","type":"x","id":"${uid()}","id":"${uid()}","customer":{"id":"demo-1"}}`);
    expect(await both.json()).toEqual(problemBody('bad_frame', 'the body: the key "type" is given twice: an object names each key once'));
  });

  it('names what is wrong with a MessagePack body of POST /v1/events once, and truly', async () => {
    const post = async (body: Buffer): Promise<unknown> =>
      (await fetch(`${k.httpUrl}/v1/events`, { method: 'POST', headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/msgpack' }, body })).json();
    // valid MessagePack, refused: an extension type (a timestamp), a key that is not a string
    expect(await post(Buffer.from([0xd6, 0xff, 0, 0, 0, 1]))).toEqual(problemBody('bad_frame', 'the body: MessagePack extension types are not accepted (extension 255 at byte 0)'));
    expect(await post(Buffer.from([0x81, 0x01, 0x02]))).toEqual(problemBody('bad_frame', 'the body: map keys must be strings (byte 1)'));
    // a key twice (`{"t":1,"t":2}`)
    expect(await post(Buffer.from([0x82, 0xa1, 0x74, 0x01, 0xa1, 0x74, 0x02]))).toEqual(problemBody('bad_frame', 'the body: the map key "t" is given twice (byte 4)'));
    // valid MessagePack that is not a map
    expect(await post(encode([1, 2, 3] as never))).toEqual(problemBody('bad_frame', 'the body must be one MessagePack map, got an array'));
    expect(await post(Buffer.from([0x2a]))).toEqual(problemBody('bad_frame', 'the body must be one MessagePack map, got number'));
    // not MessagePack at all
    expect(await post(Buffer.from([0xc1]))).toEqual(problemBody('bad_frame', 'the body: byte 0xc1 at 0 is not MessagePack'));
    expect(await post(Buffer.from([0x81]))).toEqual(problemBody('bad_frame', 'the body: truncated at byte 1: 1 items announced, 0 bytes left'));
  });

  it('guards the admin API with the admin key and answers unknown routes and methods', async () => {
    expect((await fetch(`${k.httpUrl}/v1/customers/demo-1`)).status).toBe(401);
    expect((await fetch(`${k.httpUrl}/v1/customers/demo-1`, { headers: { Authorization: 'Bearer demo-gateway' } })).status).toBe(403); // a gateway key is known, its role may not (docs/security.md)
    expect((await fetch(`${k.httpUrl}/v1/customers/demo-1`, { headers: adminHeaders })).status).toBe(200);
    expect((await fetch(`${k.httpUrl}/v1/customers/nobody`, { headers: adminHeaders })).status).toBe(404);
    expect((await fetch(`${k.httpUrl}/nowhere`)).status).toBe(404);
    const wrongMethod = await fetch(`${k.httpUrl}/health`, { method: 'POST' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    const badStop = await fetch(`${k.httpUrl}/v1/stop-list`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ kind: 'phone', value: 'not a phone' }) });
    expect(badStop.status).toBe(400);
    expect(await badStop.json()).toEqual(problemBody('invalid', 'field "value": not a valid phone'));
    const clock = await fetch(`${k.httpUrl}/v1/clock`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ advance: 1000 }) });
    expect(clock.status).toBe(400);
    expect(await clock.json()).toMatchObject({ detail: expect.stringContaining('--clock manual') });
  });
});

describe('one server per port and per store', () => {
  it('refuses a second server on the port of a running one, naming the port', async () => {
    await expect(startTestKairos({ config: { store: 'memory', port: k.kairos.port } })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining(`port ${k.kairos.port} is in use`) as unknown,
    });
    // The first one still answers.
    expect((await fetch(`${k.httpUrl}/health`)).status).toBe(200);
  });

  it('refuses a second server on the data dir of a running one, naming its pid; after close the next starts', async () => {
    const data = tempDir();
    try {
      const first = await startTestKairos({ dataDir: data.dir, config: { store: 'lmdb' } });
      try {
        await expect(startTestKairos({ dataDir: data.dir, config: { store: 'lmdb' } })).rejects.toMatchObject({
          code: 'conflict',
          message: expect.stringContaining(`in use by process ${process.pid}`) as unknown,
        });
        expect((await fetch(`${first.httpUrl}/health`)).status).toBe(200);
      } finally {
        await first.close();
      }
      const next = await startTestKairos({ dataDir: data.dir, config: { store: 'lmdb' } });
      await next.close();
    } finally {
      data.remove();
    }
  });
});
