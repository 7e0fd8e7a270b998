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
