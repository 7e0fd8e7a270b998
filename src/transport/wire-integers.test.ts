import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TObject } from '@sinclair/typebox';
import { AckFrameSchema, DecisionFrameSchema, DeliverFrameSchema, ErrorFrameSchema } from '../schema/wire/server-frames.js';
import type { WireInt, WireValue } from '../test-support/strict-msgpack.js';
import { floatsWhereIntegers, integerPaths, readStrict, wholeFloats } from '../test-support/strict-msgpack.js';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, msk, startTestKairos, uid } from '../test-support/test-kairos.js';

/**
 * Integers on the wire (protocol.md, "Numbers on the wire"), from a real server: every frame
 * kind it sends (decision, ack, deliver of an offer and of a back-office action, error, and
 * the decision POST /v1/events answers as MessagePack) captured as the bytes that arrived, read
 * by a strict reader that keeps each number's type byte (test-support/strict-msgpack.ts), and
 * checked against the frame's schema: every field declared integer is a MessagePack integer
 * (an epoch-milliseconds expiresAt, past 2^32: uint64), and no float holds a whole number.
 */

const schemas: Record<string, TObject> = { decision: DecisionFrameSchema, ack: AckFrameSchema, deliver: DeliverFrameSchema, error: ErrorFrameSchema };

let k: TestKairos;
let gw: GatewayClient;
let smsc: GatewayClient;
/** every binary frame the server sent, as it arrived */
const captured: Buffer[] = [];

function capture(c: GatewayClient): void {
  c.ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) captured.push(Buffer.from(data));
  });
}

const kindOf = (v: WireValue): string => (v as Record<string, WireValue>).t as string;

beforeAll(async () => {
  k = await startTestKairos({ config: { store: 'memory', clock: 'manual' }, manualClockStart: msk('2026-11-23T10:00:00') });
  gw = await GatewayClient.connect(k.wsUrl);
  smsc = await GatewayClient.connect(k.wsUrl);
  capture(gw);
  capture(smsc);
});

afterAll(async () => {
  gw.close();
  smsc.close();
  await k.close();
});

describe('the integer fields of the server frames', () => {
  it('are the epoch-milliseconds expiries the schemas declare integer', () => {
    expect(Object.fromEntries(Object.entries(schemas).map(([t, s]) => [t, integerPaths(s)]))).toEqual({
      decision: ['actions[].expiresAt'],
      ack: [],
      deliver: ['expiresAt'],
      error: [],
    });
  });
});

describe('the frames a real server sends, read strictly', () => {
  it('carry every declared integer as a MessagePack integer (uint64 past 2^32), and no whole number as a float', async () => {
    expect(await smsc.request({ t: 'subscribe', id: uid('s'), channels: ['sms', 'backoffice'] })).toMatchObject({ t: 'ack' });
    const decision = await gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { id: 'demo-49' }, channel: 'atm', data: { requested: 1000, balance: 800 } });
    const actions = decision.actions as Frame[];
    const sms = actions.find((a) => a.channel === 'sms');
    expect(sms, JSON.stringify(actions)).toBeDefined();
    await smsc.next((f) => f.t === 'deliver' && f.instance === sms!.instance);
    // Accepting the offer queues the back-office action, pushed with its vars.
    expect(await gw.request({ t: 'response', id: uid('r'), instance: sms!.instance, outcome: 'accepted' })).toMatchObject({ t: 'ack' });
    await smsc.next((f) => f.t === 'deliver' && f.channel === 'backoffice');
    expect(await gw.request({ t: 'event', id: uid(), customer: { id: 'demo-49' } })).toMatchObject({ t: 'error', code: 'invalid' });

    // The same decision map, answered by POST /v1/events as MessagePack.
    const http = await fetch(`${k.httpUrl}/v1/events`, {
      method: 'POST',
      headers: { ...adminHeaders, Authorization: 'Bearer demo-gateway', Accept: 'application/msgpack' },
      body: JSON.stringify({ id: uid(), type: 'atm.withdrawal.declined', customer: { id: 'demo-50' }, channel: 'atm', data: { requested: 1000, balance: 800 } }),
    });
    expect(http.status).toBe(200);
    expect(http.headers.get('content-type')).toContain('application/msgpack');
    const frames = [...captured, Buffer.from(await http.arrayBuffer())];

    const expiries: WireInt[] = [];
    const kinds = new Set<string>();
    for (const bytes of frames) {
      const wire = readStrict(bytes);
      const t = kindOf(wire);
      const schema = schemas[t];
      expect(schema, `a frame of type ${t}`).toBeDefined();
      kinds.add(t);
      expect(floatsWhereIntegers(schema!, wire), t).toEqual([]);
      expect(wholeFloats(wire), t).toEqual([]);
      const f = wire as Record<string, WireValue>;
      if (t === 'deliver' && f.expiresAt !== undefined) expiries.push(f.expiresAt as WireInt);
      if (t === 'decision') for (const a of f.actions as Array<Record<string, WireValue>>) if (a.expiresAt !== undefined) expiries.push(a.expiresAt as WireInt);
    }
    expect([...kinds].sort()).toEqual(['ack', 'decision', 'deliver', 'error']);
    // The two decisions' offers and the SMS delivered: each expiry an epoch-milliseconds uint64.
    expect(expiries.length).toBeGreaterThanOrEqual(3);
    for (const e of expiries) {
      expect(e.typeByte).toBe(0xcf);
      expect(e.value > 2n ** 32n).toBe(true);
      expect(e.value > BigInt(k.kairos.clock.now())).toBe(true);
    }
  });
});
