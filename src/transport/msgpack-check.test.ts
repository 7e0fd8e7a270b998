import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { FrameError, MAX_ECHOED_ID_LENGTH, decodeFrame, idInBytes, parseClientFrame } from './frames.js';
import { MAX_FRAME_DEPTH, MAX_ID_SCAN_VALUES, checkMsgpack, readIdInBytes } from './msgpack-check.js';
import { invalidUtf8At } from '../well-formed-text.js';

const packr = new Packr({ useRecords: false, variableMapSize: true });

/** A MessagePack str of these raw bytes (fixstr, str8 or str16), whatever they hold. */
function rawStr(bytes: number[] | Buffer): Buffer {
  const b = Buffer.from(bytes);
  if (b.length < 32) return Buffer.concat([Buffer.from([0xa0 | b.length]), b]);
  if (b.length < 256) return Buffer.concat([Buffer.from([0xd9, b.length]), b]);
  const h = Buffer.from([0xda, 0, 0]);
  h.writeUInt16BE(b.length, 1);
  return Buffer.concat([h, b]);
}

/** A map of these keys (raw key bytes as a Buffer, else packed) and raw value bytes. */
function rawMap(entries: Array<[string | Buffer, Buffer]>): Buffer {
  const parts: Buffer[] = [Buffer.from([0x80 | entries.length])];
  for (const [k, v] of entries) parts.push(typeof k === 'string' ? packr.pack(k) : k, v);
  return Buffer.concat(parts);
}

const pk = (v: unknown): Buffer => packr.pack(v);

/** The error decodeFrame throws for these bytes. */
function refusal(bytes: Uint8Array): FrameError {
  try {
    decodeFrame(bytes);
  } catch (err) {
    if (err instanceof FrameError) return err;
    throw err;
  }
  throw new Error('decoded');
}

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

  it('refuses a map that gives a key twice, small or large, whatever string form each is written in', () => {
    const frame = rawMap([['t', pk('event')], ['id', pk('e-1')], ['data', rawMap([['amount', pk(1)], ['card', pk('c')], ['amount', pk(2)]])]]);
    const err = refusal(frame);
    expect(err.message).toBe('the frame: the map key "amount" is given twice (byte 37)');
    expect(err.re).toBe('e-1');
    // the same key as a fixstr and as a str8: the same string
    const str8 = (s: string) => Buffer.concat([Buffer.from([0xd9, Buffer.byteLength(s)]), Buffer.from(s)]);
    expect(checkMsgpack(rawMap([['kind', pk(1)], [str8('kind'), pk(2)]]))).toBe('the map key "kind" is given twice (byte 7)');
    // keys with the same bytes in other maps, and prefixes of one another, are no duplicate
    expect(checkMsgpack(rawMap([['a', rawMap([['a', pk(1)], ['ab', pk(2)]])], ['ab', rawMap([['a', pk(1)]])], ['b', pk([{ a: 1 }, { a: 2 }])]]))).toBeUndefined();
    // a map past the pairwise comparison: through its set
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i]));
    expect(checkMsgpack(pk({ t: 'event', data: many }))).toBeUndefined();
    const bytes = pk({ t: 'event', data: many });
    // rename the last key (k299) to k298: the same length, so the bytes stay a valid frame
    const at = bytes.lastIndexOf(Buffer.from('k299'));
    bytes.write('k298', at);
    expect(checkMsgpack(bytes)).toBe(`the map key "k298" is given twice (byte ${at - 1})`);
  });

  it('refuses a key twice exactly when the decoded map has fewer keys than the bytes announce (fast-check)', () => {
    const key = fc.constantFrom('a', 'b', 'id', 'é', 'k-long-key-name');
    const entries = fc.array(fc.tuple(key, fc.integer()), { maxLength: 20 });
    fc.assert(
      fc.property(entries, (list) => {
        const bytes = rawMap(list.slice(0, 15).map(([k, v]) => [k, pk(v)]));
        const distinct = new Set(list.slice(0, 15).map(([k]) => k)).size;
        expect(checkMsgpack(bytes) === undefined).toBe(distinct === Math.min(list.length, 15));
      }),
      { numRuns: 2000 },
    );
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

  it('refuses a string that is not valid UTF-8, as a value or a key, short or long, naming its byte', () => {
    // two ids that differ only in a bad byte: msgpackr would read both as "e-1-\ufffd"
    for (const bad of [0xff, 0xfe]) {
      const frame = rawMap([['t', pk('event')], ['id', rawStr([...Buffer.from('e-1-'), bad])]]);
      expect(checkMsgpack(frame)).toBe('a string that is not valid UTF-8 at byte 17');
    }
    const key = rawMap([[rawStr([0x6b, 0xc3]), pk(1)]]);
    expect(checkMsgpack(key)).toBe('a string that is not valid UTF-8 at byte 3');
    // past the short-string loop (isUtf8), the byte still named: an overlong "/" and a surrogate
    const long = rawStr([...Buffer.from('я'.repeat(100)), 0xc0, 0xaf]);
    expect(checkMsgpack(long)).toBe('a string that is not valid UTF-8 at byte 202');
    expect(checkMsgpack(rawStr([0x61, 0xed, 0xa0, 0x80]))).toBe('a string that is not valid UTF-8 at byte 2');
    // binary is bytes, not text: any bytes pass
    expect(checkMsgpack(Buffer.from([0xc4, 0x02, 0xff, 0xfe]))).toBeUndefined();
    expect(checkMsgpack(pk({ text: 'Кредит до 30 000 ₽ 😀', long: 'ж'.repeat(500) }))).toBeUndefined();
  });

  it('judges UTF-8 as isUtf8 does, on any bytes (fast-check)', () => {
    const utf8ish = fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      fc.array(fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0x80, max: 0xbf }), fc.integer({ min: 0xc0, max: 0xff })), { maxLength: 24 }).map((a) => Uint8Array.from(a)),
      fc.string({ unit: 'binary' }).map((s) => new Uint8Array(Buffer.from(s))),
    );
    fc.assert(
      fc.property(utf8ish, (bytes) => {
        const at = invalidUtf8At(bytes, 0, bytes.length);
        expect(at === -1).toBe(isUtf8(bytes));
        if (at >= 0) expect(isUtf8(bytes.subarray(0, at))).toBe(true);
        expect(checkMsgpack(rawStr(Buffer.from(bytes))) === undefined).toBe(isUtf8(bytes));
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('readIdInBytes: the id of a refused frame', () => {
  const id = 'e-42';
  const head: Array<[string, Buffer]> = [
    ['t', pk('event')],
    ['id', pk(id)],
    ['type', pk('web.pageview')],
    ['customer', pk({ cookie: 'c' })],
  ];
  let deep: Buffer = Buffer.from([0x01]);
  for (let i = 0; i < 40; i++) deep = Buffer.concat([Buffer.from([0x91]), deep]);

  it('reads it from frames refused for what follows it, and decodeFrame puts it in re', () => {
    const refused: Buffer[] = [
      rawMap([...head, ['data', rawMap([['when', Buffer.from([0xd6, 0xff, 0, 0, 0, 1])]])]]), // a timestamp extension
      Buffer.concat([rawMap(head), Buffer.from([0xc0])]), // a stray byte after the map
      rawMap([...head, ['data', rawMap([['x', deep]])]]), // nested 40 levels
      rawMap([...head, ['data', Buffer.from([0x81, 0x01, 0x02])]]), // an integer key
      rawMap([...head, ['data', rawMap([['note', rawStr([0x61, 0xff])]])]]), // a string that is not UTF-8
      rawMap([...head, ['data', Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff])]]), // a lying length, after the id
      rawMap([['data', Buffer.from([0xc7, 0x03, 0x01, 0xff, 0xff, 0xff])], ...head]), // an extension before it, skipped by its length
    ];
    for (const bytes of refused) {
      expect(readIdInBytes(bytes)).toBe(id);
      expect(refusal(bytes)).toMatchObject({ code: 'bad_frame', re: id });
    }
  });

  it('reads a key or id written as str8, and no id from a map that names it twice', () => {
    const str8 = (s: string) => Buffer.concat([Buffer.from([0xd9, Buffer.byteLength(s)]), Buffer.from(s)]);
    expect(readIdInBytes(rawMap([[str8('id'), str8('long-form')], ['x', Buffer.from([0xc1])]]))).toBe('long-form');
    expect(readIdInBytes(rawMap([['id', pk('first')], ['id', pk('second')], ['x', Buffer.from([0xc1])]]))).toBeUndefined();
    const twice = refusal(rawMap([['t', pk('event')], ['id', pk('first')], ['id', pk('second')]]));
    expect(twice.message).toBe('the frame: the map key "id" is given twice (byte 18)');
    expect(twice.re).toBeUndefined();
    // an id twice past what the id scan reads: still none echoed (the scan alone would give the first)
    const pad = Buffer.concat([Buffer.from([0xdc, 0x13, 0x88]), Buffer.alloc(5000, 0x01)]);
    const far = rawMap([['id', pk('first')], ['a', pad], ['id', pk('second')]]);
    expect(readIdInBytes(far)).toBe('first');
    expect(refusal(far)).toMatchObject({ message: expect.stringContaining('the map key "id" is given twice'), re: undefined });
    // a nested id twice: the frame's own id is echoed
    expect(refusal(rawMap([['id', pk('mine')], ['data', rawMap([['id', pk(1)], ['id', pk(2)]])]]))).toMatchObject({ message: expect.stringContaining('"id" is given twice'), re: 'mine' });
  });

  it('reads nothing it cannot read exactly or cheaply', () => {
    expect(readIdInBytes(pk(['id', 'e-1']))).toBeUndefined(); // not a map
    expect(readIdInBytes(rawMap([['id', pk(5)], ['x', Buffer.from([0xc1])]]))).toBeUndefined(); // not a string
    expect(readIdInBytes(rawMap([['id', rawStr([0x61, 0xff])]]))).toBeUndefined(); // not UTF-8: it would be another id
    expect(readIdInBytes(rawMap([['x', Buffer.from([0xc1])], ['id', pk(id)]]))).toBeUndefined(); // behind a byte that is no MessagePack
    expect(readIdInBytes(Buffer.from([0x81, 0xa2, 0x69, 0x64, 0xa5, 0x61]))).toBeUndefined(); // a truncated id
    // behind more values than the scan reads: a list of MAX_ID_SCAN_VALUES nils (and not behind 100)
    const nils = (n: number) => Buffer.concat([Buffer.from([0xdc, n >> 8, n & 0xff]), Buffer.alloc(n, 0xc0)]);
    expect(readIdInBytes(rawMap([['pad', nils(MAX_ID_SCAN_VALUES)], ['id', pk(id)], ['x', Buffer.from([0xc1])]]))).toBeUndefined();
    expect(readIdInBytes(rawMap([['pad', nils(100)], ['id', pk(id)], ['x', Buffer.from([0xc1])]]))).toBe(id);
  });

  it('echoes an id up to MAX_ECHOED_ID_LENGTH characters, never a cut one', () => {
    const stray = (i: string) => Buffer.concat([rawMap([['t', pk('event')], ['id', pk(i)]]), Buffer.from([0xc0])]);
    const longest = '😀'.repeat(MAX_ECHOED_ID_LENGTH);
    expect(idInBytes(stray(longest))).toBe(longest);
    expect(idInBytes(stray(`${longest}x`))).toBeUndefined();
  });

  it('never throws, on any bytes, and answers the id a decoder reads when the frame decodes (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        readIdInBytes(bytes);
      }),
      { numRuns: 20_000 },
    );
    const frame = fc.dictionary(fc.constantFrom('t', 'id', 'type', 'data', 'x'), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 5 });
    fc.assert(
      fc.property(frame, (f) => {
        const bytes = pk(f);
        const decoded = decodeFrame(bytes);
        expect(readIdInBytes(bytes)).toBe(typeof decoded.id === 'string' ? decoded.id : undefined);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('a data key sent as __proto__', () => {
  it('is refused naming the key as sent, though msgpackr decodes it as __proto_', () => {
    const frame = rawMap([['t', pk('event')], ['id', pk('p-1')], ['type', pk('web.pageview')], ['customer', pk({ cookie: 'c' })], ['data', rawMap([['a', pk(1)], ['__proto__', pk({ polluted: true })]])]]);
    expect(() => parseClientFrame(decodeFrame(frame))).toThrow('field "data": has the reserved key "__proto__"');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // both spellings in one frame: the decoded __proto_ cannot be told apart, and is named as it is
    const both = rawMap([['t', pk('event')], ['id', pk('p-2')], ['type', pk('web.pageview')], ['customer', pk({ cookie: 'c' })], ['data', rawMap([['__proto_', pk(1)], ['x', rawMap([['__proto__', pk(2)]])]])]]);
    expect(() => parseClientFrame(decodeFrame(both))).toThrow('field "data": has the reserved key "__proto_"');
  });
});
