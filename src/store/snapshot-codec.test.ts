import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import fc from 'fast-check';
import { pack, unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { LmdbStore } from './lmdb-store.js';
import { decodeSnapshot, decodeSnapshotWithout, encodeSnapshot } from './snapshot-codec.js';
import type { StoredSnapshot } from './store.js';

function stored(seq: number, profile: object, extra: Record<string, unknown> = {}): StoredSnapshot {
  return {
    v: 5,
    snapshot: {
      value: 'client',
      context: {
        id: 'demo-1',
        stage: 'client',
        profile,
        identifiers: { card: ['card-1'], phone: ['+79990000001'], email: [], cookie: [] },
        consents: { sms: { granted: true, at: 1, source: 'import' } },
        lifecycle: [{ stage: 'client', at: 1, reason: 'import' }],
        segments: { seniors: 5 },
        features: { spend_30d: [20400, 2, 1500.5, 500, 1000.5, 20401, 1, 20, 20, 20] },
        contacts: [],
        pending: [],
        responses: [],
        seen: { id: Array.from({ length: seq }, (_, i) => `e-${i}`), at: Array.from({ length: seq }, (_, i) => i), actions: Array.from({ length: seq }, () => []) },
        seq,
        createdAt: 1,
        ...extra,
      },
    },
  };
}

describe('snapshot codec', () => {
  it('round-trips, and is plain MessagePack any reader decodes, the seen log with its times as differences', () => {
    const profile = { firstName: 'Мария', patronymic: 'Ивановна', lastName: 'Смирнова', age: 61, balance: 1250.75 };
    const s = stored(3, profile);
    const bytes = encodeSnapshot(s);
    expect(decodeSnapshot(bytes)).toEqual(s);
    const { seen: _seen, ...others } = (s.snapshot as { context: Record<string, unknown> }).context;
    const plain = unpack(bytes) as { snapshot: { context: Record<string, unknown> } };
    expect(plain.snapshot.context).toEqual({ ...others, seen: { id: ['e-0', 'e-1', 'e-2'], dt: [0, 1, 1], actions: [[], [], []] } });
  });

  it('writes a seen log of events and responses with times as differences, and reads it back', () => {
    const action = { instance: 'demo-1:7.a', campaign: 'pension', offer: 'deposit', channel: 'sms', text: 'Мария Ивановна, вклад «Пенсионный»' };
    // A gateway's clock may go back: a negative difference.
    const seen = { id: ['atm-1', 'r-1', 'web-2'], at: [1_790_000_000_000, 1_790_000_000_500, 1_789_999_999_000], actions: [[action], null, []] };
    const s = stored(0, { age: 61 }, { seen });
    const bytes = encodeSnapshot(s);
    expect(decodeSnapshot(bytes)).toEqual(s);
    const plain = unpack(bytes) as { snapshot: { context: { seen: unknown } } };
    expect(plain.snapshot.context.seen).toEqual({ id: ['atm-1', 'r-1', 'web-2'], dt: [1_790_000_000_000, 500, -1500], actions: [[action], null, []] });
    // An empty log too.
    expect(decodeSnapshot(encodeSnapshot(stored(0, { age: 61 })))).toEqual(stored(0, { age: 61 }));
  });

  it('writes a seen log of another shape as it is, and reads both', () => {
    const shapes = [
      { id: ['e-1'], at: [1.5], actions: [[]] },
      { id: ['e-1'], at: [1], actions: [[]], note: 'x' },
      { id: ['e-1', 'e-2'], at: [1], actions: [[]] },
      { id: ['e-1'], at: 1, actions: [[]] },
      { id: ['e-1'], at: ['1'], actions: [[]] },
      { id: ['e-0', 'e-1'], at: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], actions: [null, null] },
      // version 3's rows (an earlier build wrote a row it could not write as columns as rows)
      [{ id: 'e-1', at: 1.5, decision: { actions: [] } }],
      ['e-1'],
    ];
    for (const seen of shapes) {
      const s = stored(0, { age: 30 }, { seen });
      const bytes = encodeSnapshot(s);
      expect(decodeSnapshot(bytes)).toEqual(s);
      expect((unpack(bytes) as { snapshot: { context: { seen: unknown } } }).snapshot.context.seen).toEqual(seen);
    }
  });

  it('keeps a snapshot of the bench customer below the ~2 KB LMDB keeps in a leaf page', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `bench-1a2b3c-${100_000 + i}`);
    const times = Array.from({ length: 30 }, (_, i) => 1_790_000_000_000 + i * 1_000);
    const seen = { id: ids, at: times, actions: ids.map(() => []) };
    const profile = { firstName: 'Мария', patronymic: 'Ивановна', lastName: 'Смирнова', age: 61 };
    const encoded = encodeSnapshot(stored(0, profile, { seen }));
    expect(encoded.length).toBeLessThan(2_000);
    // Against the same log packed plainly, and as version 3's rows.
    expect(encoded.length).toBeLessThan(pack(stored(0, profile, { seen })).length - 150);
    const rows = ids.map((id, i) => ({ id, at: times[i], decision: { actions: [] } }));
    expect(encoded.length).toBeLessThan(pack(stored(0, profile, { seen: rows })).length - 700);
  });

  it('reuses the steady fields while they are the same objects, and sees when one changes', () => {
    const profile = { firstName: 'Пётр', age: 40 };
    const first = stored(1, profile);
    expect(decodeSnapshot(encodeSnapshot(first))).toEqual(first);
    // Same profile object, new dynamic part.
    const second = stored(2, profile);
    expect(decodeSnapshot(encodeSnapshot(second))).toEqual(second);
    // Same profile object, new consents: not the cached bytes.
    const third = stored(2, profile, { consents: { sms: { granted: false, at: 9, source: 'sms_reply' } } });
    expect(decodeSnapshot(encodeSnapshot(third))).toEqual(third);
    // A changed profile is a new object.
    const fourth = stored(2, { ...profile, age: 41 });
    expect(decodeSnapshot(encodeSnapshot(fourth))).toEqual(fourth);
  });

  it('encodes a context of more than 15 keys (map16) and values of other shapes', () => {
    const many: Record<string, unknown> = {};
    for (let i = 0; i < 20; i++) many[`k${i}`] = i;
    const s = stored(1, { age: 30 }, many);
    expect(decodeSnapshot(encodeSnapshot(s))).toEqual(s);
    const odd: StoredSnapshot = { v: 1, snapshot: { n: 2 } };
    expect(decodeSnapshot(encodeSnapshot(odd))).toEqual(odd);
    const withRev: StoredSnapshot = { ...stored(1, { age: 30 }), rev: 7 };
    expect(decodeSnapshot(encodeSnapshot(withRev))).toEqual(withRev);
  });

  it('decodes a snapshot of its version without the context fields asked to skip, any other whole', () => {
    const without = new Set(['seen', 'identifiers', 'consents', 'lifecycle', 'contacts', 'pending', 'responses']);
    const many: Record<string, unknown> = { notes: { a: [1, 2.5, -3, 2 ** 40, null, true, 'текст', 'x'.repeat(300)] }, big: Array.from({ length: 70_000 }, (_, i) => i) };
    for (const s of [stored(3, { firstName: 'Мария', age: 61 }), stored(40, { age: 30 }, many)]) {
      const bytes = encodeSnapshot(s);
      const context = Object.fromEntries(Object.entries((s.snapshot as { context: Record<string, unknown> }).context).filter(([k]) => !without.has(k)));
      expect(decodeSnapshotWithout(bytes, without, 5)).toEqual({ ...s, snapshot: { value: 'client', context } });
      // another version: its migration may need every field
      expect(decodeSnapshotWithout(bytes, without, 6)).toEqual(s);
      // nothing to skip: the same as a whole decode
      expect(decodeSnapshotWithout(bytes, new Set(), 5)).toEqual(s);
    }
    const odd: StoredSnapshot = { v: 5, snapshot: { n: 2 } };
    expect(decodeSnapshotWithout(encodeSnapshot(odd), without, 5)).toEqual(odd);
  });

  it('decodes any context without the fields asked to skip exactly as a whole decode reads the rest (property)', () => {
    // Values of every shape a context may hold and some it should not: strings of every UTF-8
    // length (Cyrillic, emoji, lone surrogates), every integer width, doubles, nested maps and
    // arrays, odd keys (long, non-ASCII, __proto__), binary.
    const key = fc.oneof(fc.constantFrom('a', 'profile', 'features', '__proto__', 'seen'), fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 8 }));
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.constantFrom('Мария', 'Москва', '😀', 'a\u0000b', '\ud800'),
        fc.integer(),
        fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
        // (each width's edges: fixint, 8, 16, 32 bits, signed and not, and past them)
        fc.constantFrom(-1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -0, 0.5, Number.NaN),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.uint8Array({ maxLength: 4 }),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(key, tie('v'), { maxKeys: 4 }),
      ),
    })).v;
    const without = new Set(['seen', 'contacts', 'identifiers']);
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 8 }), (extra) => {
        const s = stored(2, { firstName: 'Мария', age: 61 }, extra);
        const whole = decodeSnapshot(encodeSnapshot(s));
        const context = Object.fromEntries(Object.entries((whole.snapshot as { context: Record<string, unknown> }).context).filter(([k]) => !without.has(k)));
        expect(decodeSnapshotWithout(encodeSnapshot(s), without, 5)).toEqual({ ...whole, snapshot: { ...(whole.snapshot as object), context } });
      }),
      { numRuns: 300 },
    );
  });

  it('reads strings of any bytes as msgpackr does (a BOM, overlong and invalid sequences, surrogates, four bytes), short and long, and refuses bytes cut short as it does', () => {
    const sequences = [[0xef, 0xbb, 0xbf, 0x61], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xff], [0xe2, 0x82], [0xf0, 0x9f, 0x98, 0x80], [0xd0, 0x9c, 0xd0, 0xb0], [0x61, 0x80, 0x62]];
    for (const seq of sequences) {
      for (const pad of [0, 70]) {
        const raw = Buffer.from([...seq, ...Array.from({ length: pad }, () => 0x61)]);
        const placeholder = 'Z'.repeat(raw.length);
        const packed = pack({ v: 5, snapshot: { value: 'client', context: { id: 'x', note: placeholder, [placeholder]: 1 } } });
        // the placeholder's bytes (its value's, then its key's) replaced by the sequence: the headers stay
        const bytes = Buffer.from(packed);
        for (let at = bytes.indexOf(placeholder); at >= 0; at = bytes.indexOf(placeholder)) raw.copy(bytes, at);
        expect(decodeSnapshotWithout(bytes, new Set(['seen']), 5)).toEqual(decodeSnapshot(bytes));
      }
    }
    const whole = encodeSnapshot(stored(3, { firstName: 'Мария' }));
    for (const cut of [1, 2, 5, 40]) {
      const short = whole.subarray(0, whole.length - cut);
      expect(() => decodeSnapshot(short)).toThrow();
      expect(() => decodeSnapshotWithout(short, new Set(['seen']), 5)).toThrow();
    }
  });

  it('reads a version-3 snapshot written as columns as version 4 holds them (the migration then keeps the log)', () => {
    const v3Bytes = pack({ v: 3, snapshot: { value: 'client', context: { id: 'demo-1', seen: { id: ['a', 'b'], dt: [1_790_000_000_000, 500], actions: [[], null] } } } });
    expect(decodeSnapshot(v3Bytes)).toEqual({ v: 3, snapshot: { value: 'client', context: { id: 'demo-1', seen: { id: ['a', 'b'], at: [1_790_000_000_000, 1_790_000_000_500], actions: [[], null] } } } });
  });

  it('reads snapshots an earlier version wrote (lmdb-js encoding), and rewrites them in the new table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-codec-'));
    try {
      const old = stored(2, { firstName: 'Анна' });
      const root = open({ path: dir, maxDbs: 16 });
      await root.openDB({ name: 'snapshots' }).put('demo-1', old);
      await root.close();
      const store = new LmdbStore(dir);
      expect(await store.getSnapshot('demo-1')).toEqual(old);
      expect(await store.hasCustomer('demo-1')).toBe(true);
      const next = stored(3, { firstName: 'Анна' });
      await store.commit({ snapshots: [{ id: 'demo-1', value: next }], identities: [], outbox: [] });
      expect(await store.getSnapshot('demo-1')).toEqual(next);
      await store.close();
      const again = new LmdbStore(dir);
      expect(await again.getSnapshot('demo-1')).toEqual(next);
      expect(await again.eraseCustomer('demo-1', [])).toBe(true);
      expect(await again.getSnapshot('demo-1')).toBeUndefined();
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
