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

/** Whether the key at `p` is the short ASCII string `name` (a fixstr). */
function keyIs(b: Uint8Array, p: number, name: string): boolean {
  if (b[p] !== 0xa0 + name.length) return false;
  for (let i = 0; i < name.length; i++) if (b[p + 1 + i] !== name.charCodeAt(i)) return false;
  return true;
}

/** Whether the key at `p` is one of `names` (each a fixstr's bytes, header included). */
function keyIn(b: Uint8Array, p: number, names: readonly Uint8Array[]): boolean {
  for (const name of names) {
    if (b[p] !== name[0]) continue;
    let i = 1;
    while (i < name.length && b[p + i] === name[i]) i++;
    if (i === name.length) return true;
  }
  return false;
}

/** Field names as MessagePack fixstrs, for `keyIn` (names of 1 to 31 ASCII characters; others are never matched). */
const namesCache = new WeakMap<ReadonlySet<string>, Uint8Array[]>();
function namesOf(set: ReadonlySet<string>): Uint8Array[] {
  let names = namesCache.get(set);
  if (names === undefined) {
    names = [...set].filter((n) => /^[\x20-\x7e]{1,31}$/.test(n)).map((n) => Uint8Array.from([0xa0 + n.length, ...Buffer.from(n, 'latin1')]));
    namesCache.set(set, names);
  }
  return names;
}

/**
 * A stored snapshot of `version` decoded without the context fields in `without` (a reader
 * that never looks at them: a draft count reads what a segment rule can name): their bytes
 * are stepped over, not decoded, and the context lacks them. A snapshot of another version,
 * or of a shape this does not know, is decoded whole (`decodeSnapshot`), since its migration
 * may need every field.
 */
export function decodeSnapshotWithout(bytes: Uint8Array, without: ReadonlySet<string>, version: number): StoredSnapshot {
  const outer = mapCount(bytes, 0);
  if (outer < 0 || version > 0x7f) return decodeSnapshot(bytes);
  const names = namesOf(without);
  let versionSeen = false;
  let keptCount = 0;
  /** the context map's place, and its kept entries as [start, end) pairs */
  let context: { start: number; end: number; kept: number[] } | undefined;
  let at = mapBody(bytes, 0);
  for (let i = 0; i < outer; i++) {
    const valueAt = skipValue(bytes, at);
    if (keyIs(bytes, at, 'snapshot')) {
      const inner = mapCount(bytes, valueAt);
      if (inner < 0) return decodeSnapshot(bytes);
      at = mapBody(bytes, valueAt);
      for (let j = 0; j < inner; j++) {
        const innerValue = skipValue(bytes, at);
        if (!keyIs(bytes, at, 'context')) {
          at = skipValue(bytes, innerValue);
          continue;
        }
        const n = mapCount(bytes, innerValue);
        if (n < 0) return decodeSnapshot(bytes);
        const kept: number[] = [];
        at = mapBody(bytes, innerValue);
        for (let k = 0; k < n; k++) {
          const end = skipValue(bytes, skipValue(bytes, at));
          if (!keyIn(bytes, at, names)) {
            keptCount++;
            if (kept.length > 0 && kept[kept.length - 1] === at) kept[kept.length - 1] = end;
            else kept.push(at, end);
          }
          at = end;
        }
        context = { start: innerValue, end: at, kept };
      }
    } else {
      if (keyIs(bytes, at, 'v')) versionSeen = bytes[valueAt] === version;
      at = skipValue(bytes, valueAt);
    }
  }
  if (!versionSeen || context === undefined) return decodeSnapshot(bytes);
  // The same bytes with the context's map holding only the kept entries (runs of adjacent
  // ones copied at once): one decode.
  const header = mapHeader(keptCount);
  let size = context.start + header.length + (bytes.length - context.end);
  for (let i = 0; i < context.kept.length; i += 2) size += context.kept[i + 1]! - context.kept[i]!;
  const out = Buffer.allocUnsafe(size);
  const src = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let len = src.copy(out, 0, 0, context.start);
  len += header.copy(out, len);
  for (let i = 0; i < context.kept.length; i += 2) len += src.copy(out, len, context.kept[i], context.kept[i + 1]);
  src.copy(out, len, context.end);
  return decodeSnapshot(out);
}
