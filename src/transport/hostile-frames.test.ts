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
