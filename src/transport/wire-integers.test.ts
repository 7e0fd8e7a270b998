import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TObject } from '@sinclair/typebox';
import { AckFrameSchema, DecisionFrameSchema, DeliverFrameSchema, ErrorFrameSchema } from '../schema/wire/server-frames.js';
import type { WireInt, WireValue } from '../test-support/strict-msgpack.js';
import { floatsWhereIntegers, integerPaths, readStrict, wholeFloats } from '../test-support/strict-msgpack.js';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, decode, msk, startTestKairos, tempDir, uid } from '../test-support/test-kairos.js';
import { isUsable, toolPath } from '../test-provision/tool-path.js';
import { testTools } from '../test-provision/test-tools.js';

/**
 * Integers on the wire (protocol.md, "Numbers on the wire"), from a real server: every frame
 * kind it sends (decision, ack, deliver of an offer and of a back-office action, error, and
 * the decision POST /v1/events answers as MessagePack) captured as the bytes that arrived, read
 * by a strict reader that keeps each number's type byte (test-support/strict-msgpack.ts), and
 * checked against the frame's schema: every field declared integer is a MessagePack integer
 * (an epoch-milliseconds expiresAt, past 2^32: uint64), and no float holds a whole number.
 * Then the same frames read by another language's library: Debian's python3-msgpack
 * (`npm test` installs it, src/test-provision/; in CI, CI=true, its absence fails the test).
 */

const python = toolPath('python3');
const havePythonMsgpack = isUsable(testTools.find((t) => t.binary === 'python3'), python);
const runPythonTests = havePythonMsgpack || process.env.CI === 'true';

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

/**
 * Traffic of every kind for two customers (`a` over the WebSocket, `b` through POST /v1/events):
 * a decision with an SMS offer, its deliver to the SMS endpoint, the response's ack and the
 * back-office action it queues (deliver with vars), an error; the bytes of every frame that
 * arrived meanwhile, the HTTP decision's last.
 */
async function traffic(a: string, b: string): Promise<Buffer[]> {
  const from = captured.length;
  expect(await smsc.request({ t: 'subscribe', id: uid('s'), channels: ['sms', 'backoffice'] })).toMatchObject({ t: 'ack' });
  const decision = await gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { id: a }, channel: 'atm', data: { requested: 1000, balance: 800 } });
  const sms = (decision.actions as Frame[]).find((x) => x.channel === 'sms');
  expect(sms, JSON.stringify(decision)).toBeDefined();
  await smsc.next((f) => f.t === 'deliver' && f.instance === sms!.instance);
  // Accepting the offer queues the back-office action, pushed with its vars.
  expect(await gw.request({ t: 'response', id: uid('r'), instance: sms!.instance, outcome: 'accepted' })).toMatchObject({ t: 'ack' });
  await smsc.next((f) => f.t === 'deliver' && f.channel === 'backoffice' && f.customer === a);
  expect(await gw.request({ t: 'event', id: uid(), customer: { id: a } })).toMatchObject({ t: 'error', code: 'invalid' });
  // The same decision map, answered by POST /v1/events as MessagePack.
  const http = await fetch(`${k.httpUrl}/v1/events`, {
    method: 'POST',
    headers: { ...adminHeaders, Authorization: 'Bearer demo-gateway', Accept: 'application/msgpack' },
    body: JSON.stringify({ id: uid(), type: 'atm.withdrawal.declined', customer: { id: b }, channel: 'atm', data: { requested: 1000, balance: 800 } }),
  });
  expect(http.status).toBe(200);
  expect(http.headers.get('content-type')).toContain('application/msgpack');
  return [...captured.slice(from), Buffer.from(await http.arrayBuffer())];
}

describe('the frames a real server sends, read strictly', () => {
  it('carry every declared integer as a MessagePack integer (uint64 past 2^32), and no whole number as a float', async () => {
    const frames = await traffic('demo-49', 'demo-50');
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

/**
 * Reads each frame file with msgpack.unpackb(strict_map_key=True, raw=False) and reports, per
 * frame, the Python type of every value at the integer paths it is given (`actions[].expiresAt`)
 * and the paths of any float holding a whole number.
 */
const PYTHON_READER = String.raw`
import json, sys, msgpack

declared = json.loads(sys.argv[1])

def at(value, parts):
    if not parts:
        yield value
        return
    head, rest = parts[0], parts[1:]
    if head.endswith('[]'):
        items = value.get(head[:-2]) if isinstance(value, dict) else None
        for item in items or []:
            yield from at(item, rest)
    elif isinstance(value, dict) and head in value:
        yield from at(value[head], rest)

def whole_floats(value, path):
    if type(value) is float and value.is_integer():
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from whole_floats(item, path + '.' + key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from whole_floats(item, path + '[' + str(i) + ']')

out = []
for name in sys.argv[2:]:
    with open(name, 'rb') as f:
        frame = msgpack.unpackb(f.read(), strict_map_key=True, raw=False)
    t = frame['t']
    fields = [{'path': p, 'type': type(x).__name__, 'isInt': type(x) is int, 'value': x} for p in declared[t] for x in at(frame, p.split('.'))]
    out.append({'t': t, 'fields': fields, 'wholeFloats': list(whole_floats(frame, ''))})
print(json.dumps(out))
`;

describe.runIf(runPythonTests)("the same frames read by Python's msgpack (Debian's python3-msgpack)", () => {
  it('gives an int (type(x) is int) for every integer field, and no whole number as a float', async () => {
    if (!havePythonMsgpack) throw new Error(`no python3 that imports msgpack (tried ${python}): npm test installs Debian's "python3-msgpack" package (or set KAIROS_PYTHON3_BIN)`);
    const frames = await traffic('demo-51', 'demo-52');
    const dir = tempDir('kairos-frames-');
    try {
      const files = frames.map((bytes, i) => {
        const file = join(dir.dir, `frame-${i}.msgpack`);
        writeFileSync(file, bytes);
        return file;
      });
      const declared = Object.fromEntries(Object.entries(schemas).map(([t, schema]) => [t, integerPaths(schema)]));
      const r = spawnSync(python, ['-c', PYTHON_READER, JSON.stringify(declared), ...files], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const read = JSON.parse(r.stdout) as Array<{ t: string; fields: Array<{ path: string; type: string; isInt: boolean; value: number }>; wholeFloats: string[] }>;
      expect(read.map((f) => f.t)).toEqual(frames.map((b) => decode(b).t));
      const fields = read.flatMap((f) => f.fields);
      expect(fields.length).toBeGreaterThanOrEqual(3);
      for (const f of fields) {
        expect(f, JSON.stringify(f)).toMatchObject({ type: 'int', isInt: true });
        expect(f.value).toBeGreaterThan(2 ** 32);
      }
      // The values Python read are the ones sent.
      const sent = frames.map((b) => decode(b)).flatMap((f) => (f.t === 'deliver' ? [f.expiresAt] : f.t === 'decision' ? (f.actions as Frame[]).map((a) => a.expiresAt) : [])).filter((v) => v !== undefined);
      expect(fields.map((f) => f.value)).toEqual(sent);
      expect(read.flatMap((f) => f.wholeFloats)).toEqual([]);
    } finally {
      dir.remove();
    }
  });
});
