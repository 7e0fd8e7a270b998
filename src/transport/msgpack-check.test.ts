import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { FrameError, decodeFrame } from './frames.js';
import { MAX_FRAME_DEPTH, checkMsgpack } from './msgpack-check.js';

const packr = new Packr({ useRecords: false, variableMapSize: true });

function nested(levels: number): unknown {
  let v: unknown = 0;
  for (let i = 1; i < levels; i++) v = [v];
  return { t: v };
}

describe('checkMsgpack', () => {
  it('accepts every plain value msgpackr writes without extensions', () => {
    const plain = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.maxSafeInteger(),
        fc.double({ noNaN: false }),
        fc.string({ unit: 'binary' }),
        fc.uint8Array().map((a) => Buffer.from(a)),
        fc.array(tie('value'), { maxLength: 5 }),
        fc.dictionary(fc.string(), tie('value'), { maxKeys: 5 }),
      ),
    }));
    fc.assert(
      fc.property(plain.value, (v) => {
        expect(checkMsgpack(packr.pack(v))).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('bounds nesting at MAX_FRAME_DEPTH levels', () => {
    expect(checkMsgpack(packr.pack(nested(MAX_FRAME_DEPTH)))).toBeUndefined();
    expect(checkMsgpack(packr.pack(nested(MAX_FRAME_DEPTH + 1)))).toBe(`nested deeper than ${MAX_FRAME_DEPTH} levels`);
  });

  it('refuses non-string map keys', () => {
    expect(checkMsgpack(Buffer.from([0x81, 0x01, 0x02]))).toBe('map keys must be strings (byte 1)');
  });

  it('never throws, and decodeFrame throws only bad_frame or answers a plain map, on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        checkMsgpack(bytes);
        try {
          const v = decodeFrame(bytes);
          expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
        } catch (err) {
          expect(err).toBeInstanceOf(FrameError);
          expect((err as FrameError).code).toBe('bad_frame');
        }
      }),
      { numRuns: 20_000 },
    );
  });
});
