import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, encode, startTestKairos, uid } from '../test-support/test-kairos.js';
import { MAX_DATA_BYTES } from './plain-data.js';

/**
 * Frames built to hurt, through a real server: nothing in them can enter a customer's state
 * unbounded, each gets the answer its kind deserves, and the connection (or, past the
 * limits, its close code) says what happened.
 */

let k: TestKairos;
let gw: GatewayClient;

beforeAll(async () => {
  k = await startTestKairos({ config: { store: 'memory', maxPayloadBytes: 16 * 1024, maxBadFramesPerMinute: 5 } });
  gw = await GatewayClient.connect(k.wsUrl);
});

afterAll(async () => {
  gw.close();
  await k.close();
});

function deep(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

const event = (data: unknown, id = uid()): Frame => ({ t: 'event', id, type: 'insurance.purchased', customer: { id: 'demo-3' }, channel: 'web', data });

/** A map frame {t, id, data: <raw value bytes>}, for values no well-behaved encoder writes. */
function withRawData(id: string, value: number[]): Buffer {
  const head = encode({ t: 'response', id, instance: 'demo-3:1.x', outcome: 'accepted' });
  // The head is a map of 4 (map16): make it 5, and append the key "data" and the raw value.
  expect(head[0]).toBe(0xde);
  head.writeUInt16BE(5, 1);
  return Buffer.concat([head, encode('data' as never), Buffer.from(value)]);
}

async function errorFor(bytes: Buffer): Promise<Frame> {
  const c = await GatewayClient.connect(k.wsUrl);
  try {
    c.sendRaw(bytes, true);
    return await c.next((f) => f.t === 'error');
  } finally {
    c.close();
  }
}

describe('data that may not be kept', () => {
  it('refuses data nested 2,000 deep, as MessagePack, without reading it', async () => {
    // (msgpackr's own encoder overflows its stack on such a value: the bytes are written by hand)
    const err = await errorFor(withRawData(uid(), [...Array<number>(2000).fill(0x91), 0x01]));
    expect(err).toMatchObject({ code: 'bad_frame', message: expect.stringContaining('nested deeper than 32 levels') });
  });

  it('refuses data nested past its own bound, naming where', async () => {
    const id = uid();
    expect(await gw.request(event({ a: { b: deep(10) } }, id))).toEqual({
      t: 'error',
      re: id,
      code: 'invalid',
      message: 'field "data.a.b[0][0][0][0][0][0]": nests deeper than 8 levels',
    });
  });

  it('refuses data larger than the bound, integers past 2^53 and binary', async () => {
    const cases: Array<[unknown, string]> = [
      [{ note: 'я'.repeat(MAX_DATA_BYTES) }, `field "data": is larger than ${MAX_DATA_BYTES} bytes`],
      [{ big: 2n ** 60n }, 'field "data.big": is an integer beyond ±2^53'],
      [{ blob: Buffer.from([1, 2, 3]) }, 'field "data.blob": is binary'],
      [{ __proto__x: 1, ['__proto__']: { polluted: true } }, 'has the reserved key'],
    ];
    for (const [data, message] of cases) {
      const id = uid();
      expect(await gw.request(event(data, id))).toMatchObject({ t: 'error', re: id, code: 'invalid', message: expect.stringContaining(message) });
    }
  });

  it('refuses MessagePack extensions: records, BigInt, structured-clone ids and pointers, dates', async () => {
    const records = new Packr({ useRecords: true }).pack({ t: 'event', id: 'r1', type: 'x', customer: { id: 'demo-3' } });
    expect(await errorFor(records)).toMatchObject({ code: 'bad_frame', message: expect.stringContaining('extension types are not accepted') });
    const cyclic: Record<string, unknown> = { t: 'response', id: 'c1', instance: 'demo-3:1.x', outcome: 'accepted' };
    cyclic.data = { self: cyclic };
    const clone = new Packr({ useRecords: false, structuredClone: true }).pack(cyclic);
    expect(await errorFor(clone)).toMatchObject({ code: 'bad_frame', message: expect.stringContaining('extension types are not accepted') });
    for (const ext of [
      [0xd4, 0x42, 0x01], // BigInt
      [0xd6, 0xff, 0, 0, 0, 1], // timestamp
      [0xc7, 0x01, 0x70, 0x00], // pointer
    ]) {
      expect(await errorFor(withRawData(uid(), ext))).toMatchObject({ code: 'bad_frame', message: expect.stringContaining('extension') });
    }
  });

  it('refuses lying lengths and bytes after the value', async () => {
    // An array announcing 2^32-1 items in a 6-byte frame, a string announcing 1 MB.
    expect(await errorFor(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]))).toMatchObject({ code: 'bad_frame', message: expect.stringContaining('truncated') });
    expect(await errorFor(Buffer.from([0xdb, 0x00, 0x10, 0x00, 0x00, 0x41]))).toMatchObject({ code: 'bad_frame', message: expect.stringContaining('truncated') });
    expect(await errorFor(Buffer.concat([encode(event({})), Buffer.from([0xc0])]))).toMatchObject({ code: 'bad_frame', message: expect.stringContaining('bytes after the end') });
  });

  it('applies the same bounds to POST /v1/events, as JSON and as MessagePack', async () => {
    const post = (body: Buffer | string, type: string): Promise<Response> =>
      fetch(`${k.httpUrl}/v1/events`, { method: 'POST', headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': type }, body });
    const { t: _t, ...fields } = event({ a: deep(2000) });
    const json = await post(JSON.stringify(fields), 'application/json');
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ code: 'invalid', detail: expect.stringContaining('field "data.a[0][0][0][0][0][0][0]": nests deeper than 8 levels') });
    const packed = await post(encode({ ...fields, data: { a: deep(20) } }), 'application/msgpack');
    expect(packed.status).toBe(400);
    expect(await packed.json()).toMatchObject({ code: 'invalid', detail: expect.stringContaining('nests deeper than 8 levels') });
    const records = await post(new Packr({ useRecords: true }).pack({ ...fields, data: { a: 1 } }), 'application/msgpack');
    expect(records.status).toBe(400);
  });

  it('serves the connection and everyone else as before', async () => {
    const reply = await gw.request(event({ premium: 1200, policy: { ends: 'soon', tags: ['a', 'b'] } }));
    expect(reply.t).toBe('decision');
  });
});

describe('a value of the wrong kind', () => {
  const uint64Max = Buffer.from([0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  const fields = (id: string): Array<[string, Buffer]> => [
    ['t', encode('event' as never)],
    ['id', encode(id as never)],
    ['customer', encode({ id: 'demo-3' })],
  ];

  it('is named in the wire\'s terms over WebSocket: an at past 2^53, before 1970 or not finite; never a JavaScript type', async () => {
    const id = uid();
    const past = await errorFor(rawMap([...fields(id), ['type', encode('web.pageview' as never)], ['at', uint64Max]]));
    expect(past).toMatchObject({ code: 'invalid', re: id, message: 'field "at": must be epoch milliseconds (a whole number), got 18446744073709551615, past 2^53 − 1' });
    // (a connection of its own: gw's bad frames are counted, and it must stay open for the tests after)
    const before = await errorFor(encode({ t: 'event', id: uid(), type: 'web.pageview', customer: { id: 'demo-3' }, at: -1 }));
    expect(before).toMatchObject({ code: 'invalid', message: 'field "at": must be epoch milliseconds (a whole number), got -1, before 1970' });
    const nan = await errorFor(encode({ t: 'event', id: uid(), type: 'web.pageview', customer: { id: 'demo-3' }, at: Number.NaN }));
    expect(nan).toMatchObject({ code: 'invalid', message: 'field "at": must be epoch milliseconds (a whole number), got NaN, not a finite number' });
    const type = await errorFor(rawMap([...fields(uid()), ['type', uint64Max]]));
    expect(type).toMatchObject({ code: 'invalid', message: 'field "type": must be a string, got 18446744073709551615, an integer beyond ±(2^53 − 1)' });
    for (const f of [past, before, nan, type]) expect(String(f.message)).not.toMatch(/bigint|got number/);
  });

  it('is named in the wire\'s terms over HTTP: a JSON integer literal past 2^53 as at', async () => {
    const post = (at: string): Promise<Response> =>
      fetch(`${k.httpUrl}/v1/events`, {
        method: 'POST',
        headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json' },
        body: `{"id":"${uid()}","type":"web.pageview","customer":{"id":"demo-3"},"at":${at}}`,
      });
    const past = await post('18446744073709551615');
    expect(past.status).toBe(400);
    expect(await past.json()).toMatchObject({ code: 'invalid', detail: 'field "at": must be epoch milliseconds (a whole number), got 18446744073709551615, past 2^53 − 1' });
    expect(await (await post('-1')).json()).toMatchObject({ detail: 'field "at": must be epoch milliseconds (a whole number), got -1, before 1970' });
    expect(await (await post('1.5')).json()).toMatchObject({ detail: 'field "at": must be epoch milliseconds (a whole number), got 1.5, not a whole number' });
  });
});

/** A MessagePack str of these raw bytes, whatever they hold (fixstr or str8). */
function rawStr(bytes: number[]): Buffer {
  const b = Buffer.from(bytes);
  return Buffer.concat([Buffer.from(b.length < 32 ? [0xa0 | b.length] : [0xd9, b.length]), b]);
}

/** A map of packed keys and raw value bytes. */
function rawMap(entries: Array<[string, Buffer]>): Buffer {
  return Buffer.concat([Buffer.from([0x80 | entries.length]), ...entries.flatMap(([key, v]) => [encode(key as never), v])]);
}

const post = (body: Buffer | string, type: string): Promise<Response> =>
  fetch(`${k.httpUrl}/v1/events`, { method: 'POST', headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': type }, body });

describe('strings, ids and numbers exactly as sent', () => {
  it('refuses a string that is not valid UTF-8 rather than rewrite it: two ids, two cookies are never one', async () => {
    // decoded with U+FFFD, the two ids were one, and the second event a duplicate of the first
    const tag = [...Buffer.from(uid('u8'))];
    for (const last of [0xff, 0xfe]) {
      const frame = rawMap([['t', encode('event' as never)], ['id', rawStr([...tag, 0x2d, last])], ['type', encode('web.pageview' as never)], ['customer', encode({ cookie: 'ck-1' })]]);
      const err = await errorFor(frame);
      expect(err).toMatchObject({ t: 'error', code: 'bad_frame', message: expect.stringMatching(/^the frame: a string that is not valid UTF-8 at byte \d+$/) });
      expect(err.re).toBeUndefined(); // the id itself is the bad string
    }
    for (const last of [0xff, 0xfe]) {
      const id = uid('ck');
      const frame = rawMap([['t', encode('event' as never)], ['id', encode(id as never)], ['type', encode('web.pageview' as never)], ['customer', rawMap([['cookie', rawStr([0x63, 0x6b, last])]])]]);
      expect(await errorFor(frame)).toMatchObject({ t: 'error', re: id, code: 'bad_frame', message: expect.stringContaining('not valid UTF-8') });
    }
    const body = rawMap([['id', encode('h-1' as never)], ['type', encode('web.pageview' as never)], ['customer', rawMap([['cookie', rawStr([0x63, 0xff])]])]]);
    const res = await post(body, 'application/msgpack');
    expect([res.status, await res.json()]).toMatchObject([400, { code: 'bad_frame', re: 'h-1', detail: `the body: a string that is not valid UTF-8 at byte ${body.indexOf(0xff)}` }]);
  });

  it('refuses a JSON body that is not valid UTF-8, with its id as re', async () => {
    const id = uid('j8');
    const body = Buffer.concat([Buffer.from(`{"id":"${id}","type":"web.pageview","customer":{"cookie":"c`), Buffer.from([0xff]), Buffer.from('"}}')]);
    const res = await post(body, 'application/json');
    expect([res.status, await res.json()]).toMatchObject([400, { code: 'bad_frame', re: id, detail: `the body is not valid UTF-8 (byte ${body.indexOf(0xff)})` }]);
  });

  it('puts the id in re whenever it could be read, however the frame is bad', async () => {
    const head = (id: string): Array<[string, Buffer]> => [
      ['t', encode('event' as never)],
      ['id', encode(id as never)],
      ['type', encode('web.pageview' as never)],
      ['customer', encode({ cookie: 'c' })],
    ];
    const cases: Array<[(id: string) => Buffer, string]> = [
      [(id) => new Packr({ useRecords: false }).pack({ t: 'event', id, type: 'web.pageview', customer: { cookie: 'c' }, data: { when: new Date() } }), 'extension types are not accepted'],
      [(id) => Buffer.concat([rawMap(head(id)), Buffer.from([0xc0])]), '1 bytes after the end of the value'],
      [(id) => rawMap([...head(id), ['data', encode({ x: deep(40) })]]), 'nested deeper than 32 levels'],
      [(id) => rawMap([...head(id), ['data', Buffer.from([0x81, 0x01, 0x02])]]), 'map keys must be strings'],
      // over WebSocket as over HTTP: a customer named twice is which customer? refused
      [(id) => rawMap([...head(id), ['customer', encode({ cookie: 'other' })]]), 'the map key "customer" is given twice'],
    ];
    for (const [make, message] of cases) {
      const id = uid('re');
      expect(await errorFor(make(id))).toMatchObject({ t: 'error', re: id, code: 'bad_frame', message: expect.stringContaining(message) });
      const res = await post(make(id).subarray(0), 'application/msgpack');
      expect([res.status, await res.json()]).toMatchObject([400, { code: 'bad_frame', re: id, detail: expect.stringContaining(message) }]);
    }
    // an id too long to be one is still the frame's id: echoed
    const long = 'x'.repeat(200);
    const c = await GatewayClient.connect(k.wsUrl);
    expect(await c.request(event({}, long))).toEqual({ t: 'error', re: long, code: 'invalid', message: 'field "id": must be 1 to 128 characters long' });
    c.close();
  });

  it('counts an id in characters: 4 letters and 96 emoji is 100, and decided', async () => {
    const id = `${uid('em')}${'😀'.repeat(96)}`;
    expect([id.length > 128, [...id].length <= 128]).toEqual([true, true]);
    const c = await GatewayClient.connect(k.wsUrl);
    expect(await c.request(event({ a: 1 }, id))).toMatchObject({ t: 'decision', re: id });
    c.close();
  });

  it('refuses an integer past 2^53 in a JSON body as over WebSocket, not rounded', async () => {
    const id = uid('big');
    const message = 'field "data.balance": is an integer beyond ±2^53 (send it as a string)';
    const viaWs = withRawData(id, [0x81, ...encode('balance' as never), 0xcf, 0x00, 0x20, 0, 0, 0, 0, 0, 0x01]);
    expect(await errorFor(viaWs)).toMatchObject({ t: 'error', re: id, code: 'invalid', message });
    const body = `{"id":"${id}","type":"profile.updated","customer":{"id":"demo-3"},"data":{"balance":9007199254740993}}`;
    const res = await post(body, 'application/json');
    expect([res.status, await res.json()]).toMatchObject([400, { code: 'invalid', re: id, detail: message }]);
    // a fraction or an exponent is a float, as float64 is over MessagePack
    const floats = await post(`{"id":"${uid('f')}","type":"profile.updated","customer":{"id":"demo-3"},"data":{"x":9007199254740993.5,"y":1e300}}`, 'application/json');
    expect(floats.status).toBe(200);
  });

  it('names a data key sent as __proto__ as sent', async () => {
    const id = uid('proto');
    const frame = rawMap([['t', encode('event' as never)], ['id', encode(id as never)], ['type', encode('web.pageview' as never)], ['customer', encode({ cookie: 'c' })], ['data', rawMap([['__proto__', encode({ polluted: true })]])]]);
    expect(await errorFor(frame)).toEqual({ t: 'error', re: id, code: 'invalid', message: 'field "data": has the reserved key "__proto__"' });
  });
});

describe('closing a connection, with the documented code', () => {
  it('answers the last bad frame before closing with 1008', async () => {
    const c = await GatewayClient.connect(k.wsUrl);
    for (let i = 0; i < 6; i++) c.sendRaw(Buffer.from([0xc1]), true);
    const closed = await c.waitClosed();
    expect(closed.code).toBe(1008);
    expect(c.unmatched.filter((f) => f.t === 'error' && f.code === 'bad_frame')).toHaveLength(6);
  });

  it('closes with 1009 on a frame over the size limit', async () => {
    const c = await GatewayClient.connect(k.wsUrl);
    c.sendRaw(encode(event({ pad: 'x'.repeat(20 * 1024) })), true);
    expect(await c.waitClosed()).toEqual({ code: 1009, reason: 'frame exceeds 16384 bytes' });
    const metrics = await (await fetch(`${k.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/kairos_errors_total\{code="payload_too_large"\} [1-9]/);
    expect((await gw.request(event({}))).t).toBe('decision');
  });
});

describe('any frame', () => {
  it('gets exactly one reply, and never internal (fast-check, through the server)', async () => {
    // A server of its own that closes no connection for bad frames: every frame is answered.
    const lenient = await startTestKairos({ config: { store: 'memory', maxBadFramesPerMinute: 1_000_000 } });
    const c = await GatewayClient.connect(lenient.wsUrl);
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom(null, true, 0, -1, 2 ** 53, 8.64e15 + 1, 1e308, '', 'demo-1', '%', '{{'),
        fc.string(),
        fc.double(),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.uint8Array({ maxLength: 8 }),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 6 }), tie('v'), { maxKeys: 4 }),
      ),
    }));
    const frame = fc.record(
      {
        t: fc.constantFrom('event', 'response', 'subscribe', 'delivered', 'failed', 'bogus'),
        id: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), value.v),
        type: fc.oneof(fc.constantFrom('atm.withdrawal.declined', 'insurance.purchased', 'web.pageview'), value.v),
        customer: fc.oneof(fc.constant({ id: 'demo-9' }), fc.record({ card: fc.constantFrom('card-19', ''), phone: value.v }, { requiredKeys: [] }), value.v),
        at: value.v,
        channel: value.v,
        location: value.v,
        data: value.v,
        instance: fc.oneof(fc.constant('demo-9:1.x'), value.v),
        outcome: value.v,
        channels: value.v,
      },
      { requiredKeys: ['t'] },
    );
    const packr = new Packr({ useRecords: false, variableMapSize: true });
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(frame, async (f) => {
        sent++;
        // Matched by re when the id is readable; else the next frame that is not a pushed delivery.
        const id = typeof f.id === 'string' && f.id.length >= 1 && f.id.length <= 128 ? f.id : undefined;
        let reply: Frame;
        if (id !== undefined) {
          reply = await c.request({ ...f, id }, 5000);
        } else {
          c.sendRaw(packr.pack(f), true);
          reply = await c.next((x) => x.t !== 'deliver', 5000);
        }
        expect(['decision', 'ack', 'error']).toContain(reply.t);
        expect(reply).not.toMatchObject({ code: 'internal' });
      }),
      { numRuns: 400, endOnFailure: true },
    );
    expect(sent).toBe(400);
    expect(c.closedWith).toBeUndefined();
    c.close();
    await lenient.close();
  }, 60_000);
});
