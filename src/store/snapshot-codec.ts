import { Packr } from 'msgpackr';
import { KairosError } from '../errors.js';
import type { StoredSnapshot } from './store.js';

/**
 * Stored snapshots as plain MessagePack (no record extension, no shared structures: any
 * MessagePack reader decodes them), encoded for a commit per event.
 *
 * A customer's context is written whole on every commit, yet most of it rarely changes: the
 * profile (names in Cyrillic, the slowest strings to encode), identifiers, consents and the
 * lifecycle. The pure brain replaces an object when it changes and keeps it otherwise, so
 * the bytes of those four are kept per profile object (a WeakMap: they go when the actor's
 * state does) and reused while all four are the same objects; only the rest is encoded
 * again. The result is one MessagePack map, the same bytes a plain `pack` of the whole
 * value gives, up to the order of the context's keys, except for one field:
 *
 * The `seen` log (the last 32 request ids with their answers, most of them "no actions")
 * is held as columns (`{id, at, actions}`, actors/customer-state.ts) and written as
 * `{id, dt, actions}`: the times as differences from the one before (the first from 0),
 * small integers instead of 9-byte floats. A snapshot of the bench's customers is ~1.3 KB
 * (median), below the ~2 KB LMDB keeps in a leaf page instead of an overflow page of its own
 * (load-tests/snapshot-bench.ts). Any MessagePack reader still decodes it; a log of another
 * shape (a time that is not a whole number, a key this does not know) is written as it is,
 * and `decodeSnapshot` reads both. (Snapshot version 3 held the log as rows,
 * `[{id, at, decision: {actions}}]`, and wrote them as these same columns; version 4's
 * migration turns rows into columns, and a version-3 snapshot written as columns reads as
 * version 4's already.)
 */

const packr = new Packr({ useRecords: false });

/** Context fields that change rarely; their encoding is reused while they stay the same objects. */
const STEADY = ['profile', 'identifiers', 'consents', 'lifecycle'] as const;

interface Steady {
  refs: unknown[];
  /** the key/value pairs of the steady fields, without a map header */
  bytes: Buffer;
  count: number;
}

const steadyCache = new WeakMap<object, Steady>();

/** Bytes of a map header for `n` entries. */
function mapHeader(n: number): Buffer {
  if (n < 16) return Buffer.from([0x80 | n]);
  const b = Buffer.allocUnsafe(3);
  b[0] = 0xde;
  b.writeUInt16BE(n, 1);
  return b;
}

/** The length of the map header `packed` starts with (a packed object of under 65,536 keys). */
function headerLength(packed: Uint8Array): number {
  const first = packed[0] ?? 0;
  if (first >= 0x80 && first <= 0x8f) return 1;
  if (first === 0xde) return 3;
  throw new KairosError('internal', 'snapshot codec: expected a MessagePack map');
}

function steadyOf(context: Record<string, unknown>, profile: object): Steady {
  const cached = steadyCache.get(profile);
  if (cached !== undefined && STEADY.every((k, i) => context[k] === cached.refs[i])) return cached;
  const refs = STEADY.map((k) => context[k]);
  const pairs: Record<string, unknown> = {};
  let count = 0;
  for (const k of STEADY) {
    if (context[k] === undefined) continue;
    pairs[k] = context[k];
    count++;
  }
  const packed = packr.pack(pairs);
  // A copy: the packer's buffer is shared, and a cached slice would pin all of it. Its own
  // memory, not a slice of Node's 8 KB Buffer pool: the entry lives as long as the actor, and
  // a pool slab stays whole while any slice of it lives (the snapshots encoded around it
  // are long gone): 1.5 KB of slabs a live customer with `Buffer.from`.
  const body = packed.subarray(headerLength(packed));
  const bytes = Buffer.allocUnsafeSlow(body.length);
  bytes.set(body);
  const entry: Steady = { refs, bytes, count };
  steadyCache.set(profile, entry);
  return entry;
}

export function encodeSnapshot(stored: StoredSnapshot): Buffer {
  const snap = stored.snapshot as { value?: unknown; context?: unknown } | null;
  const context = snap?.context as Record<string, unknown> | undefined;
  const profile = context?.profile;
  const outer: Record<string, unknown> = { ...stored, snapshot: { ...snap, context: null } };
  if (typeof context !== 'object' || context === null || typeof profile !== 'object' || profile === null || !contextIsLast(outer)) {
    return Buffer.from(packr.pack(stored));
  }
  const steady = steadyOf(context, profile);
  const { profile: _p, identifiers: _i, consents: _c, lifecycle: _l, ...rest } = context;
  if (rest.seen !== undefined) rest.seen = seenWritten(rest.seen) ?? rest.seen;
  const restPacked = packr.pack(rest);
  const restCount = Object.keys(rest).length;
  // The outer value with a null context (its last byte, the context coming last), the
  // context's map in its place.
  const outerPacked = packr.pack(outer);
  return Buffer.concat([outerPacked.subarray(0, outerPacked.length - 1), mapHeader(restCount + steady.count), restPacked.subarray(headerLength(restPacked)), steady.bytes]);
}

/** Whether `context` is the snapshot's last key and the snapshot the value's last. */
function contextIsLast(outer: Record<string, unknown>): boolean {
  const keys = Object.keys(outer);
  if (keys[keys.length - 1] !== 'snapshot') return false;
  const inner = Object.keys(outer.snapshot as object);
  return inner[inner.length - 1] === 'context';
}

/** The seen log as written: the times as differences (see above). */
interface SeenWritten {
  id: unknown[];
  /** each entry's time less the one before (the first less 0) */
  dt: number[];
  actions: unknown[];
}

/** The log with its times as differences; undefined when it has another shape (it is then written as it is). */
function seenWritten(seen: unknown): SeenWritten | undefined {
  if (typeof seen !== 'object' || seen === null) return undefined;
  const s = seen as { id?: unknown; at?: unknown; actions?: unknown };
  let keys = 0;
  for (const _ in s) keys++;
  if (keys !== 3 || !Array.isArray(s.id) || !Array.isArray(s.at) || !Array.isArray(s.actions)) return undefined;
  const at = s.at as unknown[];
  const n = at.length;
  if (s.id.length !== n || s.actions.length !== n) return undefined;
  const dt = new Array<number>(n);
  let before = 0;
  for (let i = 0; i < n; i++) {
    const t = at[i];
    if (!Number.isSafeInteger(t)) return undefined;
    dt[i] = (t as number) - before;
    if (!Number.isSafeInteger(dt[i])) return undefined;
    before = t as number;
  }
  return { id: s.id, dt, actions: s.actions };
}

function isSeenWritten(v: unknown): v is SeenWritten {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const c = v as Partial<SeenWritten>;
  return Array.isArray(c.id) && Array.isArray(c.dt) && Array.isArray(c.actions) && c.dt.length === c.id.length && c.actions.length === c.id.length;
}

/** The log as the context holds it: the times summed back. */
function seenRead(c: SeenWritten): { id: unknown[]; at: number[]; actions: unknown[] } {
  const at = new Array<number>(c.dt.length);
  let t = 0;
  for (let i = 0; i < c.dt.length; i++) {
    t += c.dt[i] as number;
    at[i] = t;
  }
  return { id: c.id, at, actions: c.actions };
}

export function decodeSnapshot(bytes: Uint8Array): StoredSnapshot {
  const stored = packr.unpack(bytes) as StoredSnapshot;
  const context = (stored.snapshot as { context?: { seen?: unknown } } | null | undefined)?.context;
  if (typeof context === 'object' && context !== null && isSeenWritten(context.seen)) context.seen = seenRead(context.seen);
  return stored;
}

/** Big-endian unsigned integers at `p`. */
const u16At = (b: Uint8Array, p: number): number => (b[p]! << 8) | b[p + 1]!;
const u32At = (b: Uint8Array, p: number): number => ((b[p]! << 24) >>> 0) + (b[p + 1]! << 16) + (b[p + 2]! << 8) + b[p + 3]!;

/** The position just past the MessagePack value starting at `p`. */
function skipValue(b: Uint8Array, p: number): number {
  const t = b[p]!;
  if (t <= 0x7f || t >= 0xe0) return p + 1;
  if (t <= 0x8f) return skipItems(b, p + 1, (t & 0x0f) * 2);
  if (t <= 0x9f) return skipItems(b, p + 1, t & 0x0f);
  if (t <= 0xbf) return p + 1 + (t & 0x1f);
  switch (t) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return p + 1;
    case 0xc4:
    case 0xd9:
      return p + 2 + b[p + 1]!;
    case 0xc5:
    case 0xda:
      return p + 3 + u16At(b, p + 1);
    case 0xc6:
    case 0xdb:
      return p + 5 + u32At(b, p + 1);
    case 0xc7:
      return p + 3 + b[p + 1]!;
    case 0xc8:
      return p + 4 + u16At(b, p + 1);
    case 0xc9:
      return p + 6 + u32At(b, p + 1);
    case 0xcc:
    case 0xd0:
      return p + 2;
    case 0xcd:
    case 0xd1:
      return p + 3;
    case 0xca:
    case 0xce:
    case 0xd2:
      return p + 5;
    case 0xcb:
    case 0xcf:
    case 0xd3:
      return p + 9;
    case 0xd4:
      return p + 3;
    case 0xd5:
      return p + 4;
    case 0xd6:
      return p + 6;
    case 0xd7:
      return p + 10;
    case 0xd8:
      return p + 18;
    case 0xdc:
      return skipItems(b, p + 3, u16At(b, p + 1));
    case 0xdd:
      return skipItems(b, p + 5, u32At(b, p + 1));
    case 0xde:
      return skipItems(b, p + 3, u16At(b, p + 1) * 2);
    case 0xdf:
      return skipItems(b, p + 5, u32At(b, p + 1) * 2);
    default:
      throw new KairosError('internal', `snapshot codec: byte 0x${t.toString(16)} starts no MessagePack value`);
  }
}

function skipItems(b: Uint8Array, p: number, n: number): number {
  for (let i = 0; i < n; i++) p = skipValue(b, p);
  return p;
}

/** A map's entry count and where its first key starts (-1 when `p` starts no map of under 65,536 entries). */
function mapCount(b: Uint8Array, p: number): number {
  const t = b[p]!;
  if (t >= 0x80 && t <= 0x8f) return t & 0x0f;
  if (t === 0xde) return u16At(b, p + 1);
  return -1;
}

const mapBody = (b: Uint8Array, p: number): number => (b[p] === 0xde ? p + 3 : p + 1);

/**
 * A small MessagePack reader for the plain values a snapshot holds (maps with short string
 * keys as objects, arrays, strings, numbers up to 32 bits and doubles, booleans, nil), read
 * in place (a key `__proto__` renamed as msgpackr does); any other value (a 64-bit integer,
 * binary, an extension, a map with a key that is not a string) is handed whole to msgpackr,
 * so the result is msgpackr's in every case. One msgpackr call per snapshot piece
 * costs more than the piece: a draft count reads a dozen small ones per customer.
 */
class PlainReader {
  /** where the next value starts */
  p = 0;
  private readonly view: DataView;

  constructor(private readonly b: Uint8Array) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  /** Steps over the next value. */
  skip(): void {
    this.p = skipValue(this.b, this.p);
  }

  /** The next value's map entry count (-1 when it is not a map of under 65,536 entries), stepping into it. */
  mapHeader(): number {
    const n = mapCount(this.b, this.p);
    if (n >= 0) this.p = mapBody(this.b, this.p);
    return n;
  }

  /** The next value as a map key: a string of up to 255 bytes; undefined (nothing read) for any other. */
  key(): string | undefined {
    const t = this.b[this.p]!;
    if (t >= 0xa0 && t <= 0xbf) {
      this.p += 1;
      return this.name(t & 0x1f);
    }
    if (t === 0xd9) {
      const n = this.b[this.p + 1]!;
      this.p += 2;
      return this.name(n);
    }
    return undefined;
  }

  private fallback(start: number): unknown {
    const end = skipValue(this.b, start);
    this.p = end;
    return packr.unpack(this.b.subarray(start, end));
  }

  /** A map key of `n` bytes: a short ASCII one from the cache of names (one string for each, as msgpackr's key cache: objects built with them share their shape). */
  private name(n: number): string {
    const b = this.b;
    const start = this.p;
    if (n > NAME_MAX || start + n > b.length) return this.str(n);
    let h = n;
    for (let i = start; i < start + n; i++) {
      const c = b[i]!;
      if (c >= 0x80) return this.str(n);
      h = (Math.imul(h, 31) + c) | 0;
    }
    const slot = h & (names.length - 1);
    const known = names[slot];
    this.p = start + n;
    if (known !== undefined && known.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (known.charCodeAt(i) !== b[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return known;
    }
    let out = '';
    for (let i = start; i < start + n; i++) out += String.fromCharCode(b[i]!);
    // (internalized: the cache's string is the one V8 keeps for the name)
    const name = internalized(out);
    names[slot] = name;
    return name;
  }

  /** A string of `n` bytes of UTF-8: a short one decoded here (a call into C++ costs more than it), a longer one by TextDecoder. */
  private str(n: number): string {
    const b = this.b;
    const start = this.p;
    const end = start + n;
    if (end > b.length) throw new RangeError('a string past the end of the bytes');
    this.p = end;
    if (n > SHORT_STRING) return textDecoder.decode(b.subarray(start, end));
    const units: number[] = [];
    let i = start;
    while (i < end) {
      const c = b[i]!;
      if (c < 0x80) {
        units.push(c);
        i += 1;
      } else if ((c & 0xe0) === 0xc0 && i + 1 < end && (b[i + 1]! & 0xc0) === 0x80) {
        const u = ((c & 0x1f) << 6) | (b[i + 1]! & 0x3f);
        if (u < 0x80) return textDecoder.decode(b.subarray(start, end));
        units.push(u);
        i += 2;
      } else if ((c & 0xf0) === 0xe0 && i + 2 < end && (b[i + 1]! & 0xc0) === 0x80 && (b[i + 2]! & 0xc0) === 0x80) {
        const u = ((c & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f);
        if (u < 0x800 || (u >= 0xd800 && u <= 0xdfff)) return textDecoder.decode(b.subarray(start, end));
        units.push(u);
        i += 3;
      } else return textDecoder.decode(b.subarray(start, end)); // (four bytes, or not UTF-8: its decoder's reading, replacement characters and all)
    }
    return String.fromCharCode(...units);
  }

  private map(start: number, n: number): unknown {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const key = safeKey(this.key());
      if (key === undefined) return this.fallback(start);
      out[key] = this.value();
    }
    return out;
  }

  private array(n: number): unknown[] {
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.value();
    return out;
  }

  /** The next value: msgpackr's reading of it. */
  value(): unknown {
    const b = this.b;
    const start = this.p;
    const t = b[start]!;
    if (t <= 0x7f) {
      this.p += 1;
      return t;
    }
    if (t >= 0xe0) {
      this.p += 1;
      return t - 0x100;
    }
    if (t <= 0x8f) {
      this.p += 1;
      return this.map(start, t & 0x0f);
    }
    if (t <= 0x9f) {
      this.p += 1;
      return this.array(t & 0x0f);
    }
    if (t <= 0xbf) {
      this.p += 1;
      return this.str(t & 0x1f);
    }
    const v = this.view;
    switch (t) {
      case 0xc0:
        this.p += 1;
        return null;
      case 0xc2:
        this.p += 1;
        return false;
      case 0xc3:
        this.p += 1;
        return true;
      case 0xca:
        this.p += 5;
        return v.getFloat32(start + 1);
      case 0xcb:
        this.p += 9;
        return v.getFloat64(start + 1);
      case 0xcc:
        this.p += 2;
        return b[start + 1]!;
      case 0xcd:
        this.p += 3;
        return v.getUint16(start + 1);
      case 0xce:
        this.p += 5;
        return v.getUint32(start + 1);
      case 0xd0:
        this.p += 2;
        return v.getInt8(start + 1);
      case 0xd1:
        this.p += 3;
        return v.getInt16(start + 1);
      case 0xd2:
        this.p += 5;
        return v.getInt32(start + 1);
      case 0xd9:
        this.p += 2;
        return this.str(b[start + 1]!);
      case 0xda:
        this.p += 3;
        return this.str(v.getUint16(start + 1));
      case 0xdb:
        this.p += 5;
        return this.str(v.getUint32(start + 1));
      case 0xdc:
        this.p += 3;
        return this.array(v.getUint16(start + 1));
      case 0xde:
        this.p += 3;
        return this.map(start, v.getUint16(start + 1));
      default:
        return this.fallback(start);
    }
  }
}

/** A key as msgpackr sets it on an object: `__proto__` renamed `__proto_` (never the object's prototype). */
const safeKey = (key: string | undefined): string | undefined => (key === '__proto__' ? '__proto_' : key);

/** Map keys up to this many bytes are cached. */
const NAME_MAX = 24;
/** Strings up to this many bytes are decoded in JavaScript. */
const SHORT_STRING = 64;
/** The cache of names: a slot per hash, the last name seen there. */
const names = new Array<string | undefined>(1024);
/** `s` as V8's internalized string (an object's key is one; a string built by concatenation is not until used as one). */
const internalized = (s: string): string => Object.keys({ [s]: 0 })[0]!;

/** (a leading U+FEFF kept, as msgpackr keeps it) */
const textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * A stored snapshot of `version` decoded without the context fields in `without` (a reader
 * that never looks at them: a draft count reads what a segment rule can name): their bytes
 * are stepped over, not decoded, and the context lacks them; every other value is decoded on
 * its own (a number or a flag in place). A snapshot of another version, or of a shape this
 * does not know (a key that is not a short ASCII name), is decoded whole (`decodeSnapshot`),
 * since its migration may need every field.
 */
export function decodeSnapshotWithout(bytes: Uint8Array, without: ReadonlySet<string>, version: number): StoredSnapshot {
  try {
    return readWithout(bytes, without, version) ?? decodeSnapshot(bytes);
  } catch {
    // bytes cut short or not MessagePack: msgpackr's own reading says what is wrong
    return decodeSnapshot(bytes);
  }
}

/** `decodeSnapshotWithout`'s reading; undefined for what only a whole decode reads (another version, an odd shape, bytes left over). */
function readWithout(bytes: Uint8Array, without: ReadonlySet<string>, version: number): StoredSnapshot | undefined {
  const r = new PlainReader(bytes);
  const stored: Record<string, unknown> = {};
  let context: Record<string, unknown> | undefined;
  const outer = r.mapHeader();
  if (outer < 0) return undefined;
  for (let i = 0; i < outer; i++) {
    const key = safeKey(r.key());
    if (key === undefined) return undefined;
    if (key !== 'snapshot') {
      stored[key] = r.value();
      continue;
    }
    const inner = r.mapHeader();
    if (inner < 0) return undefined;
    const snapshot: Record<string, unknown> = {};
    for (let j = 0; j < inner; j++) {
      const name = safeKey(r.key());
      if (name === undefined) return undefined;
      if (name !== 'context') {
        snapshot[name] = r.value();
        continue;
      }
      const n = r.mapHeader();
      if (n < 0) return undefined;
      context = {};
      for (let k = 0; k < n; k++) {
        const field = safeKey(r.key());
        if (field === undefined) return undefined;
        if (without.has(field)) r.skip();
        else context[field] = r.value();
      }
      snapshot[name] = context;
    }
    stored[key] = snapshot;
  }
  if (stored.v !== version || context === undefined || r.p !== bytes.length) return undefined;
  if (isSeenWritten(context.seen)) context.seen = seenRead(context.seen);
  return stored as unknown as StoredSnapshot;
}
