import { Packr } from 'msgpackr';
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
 * value gives, up to the order of the context's keys.
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
  throw new Error('snapshot codec: expected a MessagePack map');
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
  // A copy: the packer's buffer is shared, and a cached slice would pin all of it.
  const entry: Steady = { refs, bytes: Buffer.from(packed.subarray(headerLength(packed))), count };
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

export function decodeSnapshot(bytes: Uint8Array): StoredSnapshot {
  return packr.unpack(bytes) as StoredSnapshot;
}
