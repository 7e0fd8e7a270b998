import fc from 'fast-check';
import { Packr, Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { DecisionFrameSchema, DeliverFrameSchema } from '../schema/wire/server-frames.js';
import type { WireValue } from '../test-support/strict-msgpack.js';
import { WireFloat, WireInt, floatsWhereIntegers, readStrict, wholeFloats } from '../test-support/strict-msgpack.js';
import { encodeFrame } from './frames.js';
import { rewriteWholeFloats } from './rewrite-whole-floats.js';

/**
 * Whole numbers as MessagePack integers: the server's encoder (encodeFrame) against a strict
 * reader that keeps each number's type byte (test-support/strict-msgpack.ts), and against
 * msgpackr as it packs without the rewrite: the same values, the same length, only the type
 * bytes of whole floats changed.
 */

const plain = new Packr({ useRecords: false, variableMapSize: true });
const reader = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

const field = (frame: WireValue, key: string): WireValue => (frame as Record<string, WireValue>)[key] as WireValue;

describe('encodeFrame', () => {
  it('writes an epoch-milliseconds expiresAt as uint64 (0xcf), where msgpackr alone writes a float64', () => {
    const expiresAt = 1_800_000_000_123;
    const frame = { t: 'deliver', instance: 'c:1.a', customer: 'c', channel: 'sms', campaign: 'x', offer: 'y', content: { text: 'hi' }, expiresAt };
    expect(floatsWhereIntegers(DeliverFrameSchema, readStrict(plain.pack(frame)))).toEqual(['expiresAt: float64 1800000000123, declared integer']);
    const wire = readStrict(encodeFrame(frame));
    expect(field(wire, 'expiresAt')).toEqual(new WireInt(BigInt(expiresAt), 0xcf));
    expect(floatsWhereIntegers(DeliverFrameSchema, wire)).toEqual([]);
  });

  it('writes each action of a decision the same way, and keeps a fraction a float64', () => {
    const action = (i: number) => ({ instance: `c:${i}.a`, campaign: 'x', offer: 'y', channel: 'sms', content: { text: 'hi' }, expiresAt: 2 ** 40 + i });
    const frame = { t: 'decision', re: 'e1', customer: 'c', actions: [action(1), action(2), action(3)], score: 0.731 };
    const wire = readStrict(encodeFrame(frame));
    expect(floatsWhereIntegers(DecisionFrameSchema, wire)).toEqual([]);
    expect((field(wire, 'actions') as WireValue[]).map((a) => field(a, 'expiresAt'))).toEqual([1, 2, 3].map((i) => new WireInt(BigInt(2 ** 40 + i), 0xcf)));
    expect(field(wire, 'score')).toEqual(new WireFloat(0.731, 0xcb));
  });

  it.each([
    ['2^32', 2 ** 32, 'uint64', 0xcf],
    ['2^53 - 1', Number.MAX_SAFE_INTEGER, 'uint64', 0xcf],
    ['-(2^31) - 1', -(2 ** 31) - 1, 'int64', 0xd3],
    ['-(2^53 - 1)', -Number.MAX_SAFE_INTEGER, 'int64', 0xd3],
  ])('writes %s as %s', (_name, n, _type, typeByte) => {
    expect(field(readStrict(encodeFrame({ n })), 'n')).toEqual(new WireInt(BigInt(n), typeByte));
  });

  it.each([
    ['a fraction', 0.5],
    ['a large fraction', 2 ** 40 + 0.5],
    ['2^53, past what a double holds exactly', 2 ** 53],
    ['1e300', 1e300],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('keeps %s a float64', (_name, n) => {
    const v = field(readStrict(encodeFrame({ n })), 'n');
    expect(v).toBeInstanceOf(WireFloat);
    expect((v as WireFloat).typeByte).toBe(0xcb);
    expect(Object.is((v as WireFloat).value, n)).toBe(true);
  });

  it('leaves 0xcb bytes inside strings, binary and length headers alone', () => {
    const frame = { s: '\u02cb'.repeat(40), b: new Uint8Array(300).fill(0xcb), long: 'x'.repeat(0xcb), list: Array.from({ length: 0xcb }, (_, i) => i), n: 5e12 };
    const before = plain.pack(frame);
    const after = encodeFrame(frame);
    expect(after.length).toBe(before.length);
    expect(reader.unpack(after)).toEqual(reader.unpack(before));
    expect(field(readStrict(after), 'n')).toEqual(new WireInt(5_000_000_000_000n, 0xcf));
    // Only the one type byte differs, and the eight after it.
    const differ = [...after].flatMap((b, i) => (b === before[i] ? [] : [i]));
    expect(differ.length).toBeGreaterThan(0);
    expect(differ[differ.length - 1]! - differ[0]!).toBeLessThanOrEqual(8);
  });

  it('leaves bytes without whole floats untouched (the same buffer back)', () => {
    const bytes = plain.pack({ t: 'ack', re: 'r1' });
    const copy = Buffer.from(bytes);
    expect(rewriteWholeFloats(bytes)).toBe(bytes);
    expect(bytes).toEqual(copy);
  });

  const number = fc.oneof(
    fc.double(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.maxSafeNat().map((n) => n + 0.5),
    fc.constantFrom(2 ** 32, 2 ** 32 - 1, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
  );
  const value = fc.letrec((tie) => ({
    leaf: fc.oneof(number, fc.string({ unit: 'binary' }), fc.boolean(), fc.constant(null), fc.uint8Array({ maxLength: 40 })),
    node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 20 }), fc.dictionary(fc.string(), tie('node'), { maxKeys: 20 })),
  })).node;

  it('property: the same values as msgpackr alone, the same length, every safe whole number an integer', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value), (frame) => {
        const before = plain.pack(frame);
        const after = encodeFrame(frame);
        expect(after.length).toBe(before.length);
        expect(reader.unpack(after)).toEqual(reader.unpack(before));
        const wire = readStrict(after);
        // The floats left hold fractions, NaN, infinities, or whole numbers past 2^53.
        for (const p of wholeFloats(wire)) expect(Number.isSafeInteger(Number(p.slice(p.lastIndexOf(': ') + 2))), p).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
