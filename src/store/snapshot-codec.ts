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
 * value gives, up to the order of the context's keys, except for one field:
 *
 * The `seen` list (the last 32 request ids with their decisions, most of them "no actions")
 * was over half a snapshot's bytes and of its encoding time, written as rows of
 * `{id, at, decision: {actions}}`. It is written as columns instead, `{id: [...], dt: [...],
 * actions: [...]}`: the ids, the times as differences from the one before (the first from
 * 0), and each entry's actions (`null` for a response, which has no decision). A snapshot of
 * the bench's customers drops from ~2.4 to ~1.3 KB (median), below the ~2 KB LMDB keeps in a
 * leaf page instead of an overflow page of its own (load-tests/snapshot-bench.ts). Any MessagePack reader still decodes it; a list of
 * another shape (a time that is not a whole number, a key this does not know) is written as
 * rows, and `decodeSnapshot` reads both.
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
  if (Array.isArray(rest.seen)) rest.seen = seenColumns(rest.seen as unknown[]) ?? rest.seen;
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

/** The seen list written as columns (see above). */
interface SeenColumns {
  id: string[];
  /** each entry's time less the one before (the first less 0) */
  dt: number[];
  /** each entry's decision's actions, null for an entry without a decision */
  actions: (unknown[] | null)[];
}

/** The list as columns; undefined when an entry has another shape (it is then written as rows). */
function seenColumns(seen: readonly unknown[]): SeenColumns | undefined {
  const n = seen.length;
  const id = new Array<string>(n);
  const dt = new Array<number>(n);
  const actions = new Array<unknown[] | null>(n);
  let before = 0;
  for (let i = 0; i < n; i++) {
    const s = seen[i] as { id?: unknown; at?: unknown; decision?: { actions?: unknown } } | null;
    if (typeof s !== 'object' || s === null || typeof s.id !== 'string' || !Number.isSafeInteger(s.at)) return undefined;
    const at = s.at as number;
    let keys = 0;
    for (const _ in s) keys++;
    const decision = s.decision;
    if (decision === undefined) {
      if (keys !== ('decision' in s ? 3 : 2)) return undefined;
      actions[i] = null;
    } else {
      if (keys !== 3 || typeof decision !== 'object' || decision === null || !Array.isArray(decision.actions)) return undefined;
      let dk = 0;
      for (const _ in decision) dk++;
      if (dk !== 1) return undefined;
      actions[i] = decision.actions;
    }
    id[i] = s.id;
    dt[i] = at - before;
    if (!Number.isSafeInteger(dt[i])) return undefined;
    before = at;
  }
  return { id, dt, actions };
}

function seenRows(c: SeenColumns): unknown[] {
  const rows = new Array<unknown>(c.id.length);
  let at = 0;
  for (let i = 0; i < c.id.length; i++) {
    at += c.dt[i] as number;
    const actions = c.actions[i];
    rows[i] = actions === null || actions === undefined ? { id: c.id[i], at } : { id: c.id[i], at, decision: { actions } };
  }
  return rows;
}

function isSeenColumns(v: unknown): v is SeenColumns {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const c = v as Partial<SeenColumns>;
  return Array.isArray(c.id) && Array.isArray(c.dt) && Array.isArray(c.actions) && c.dt.length === c.id.length && c.actions.length === c.id.length;
}

export function decodeSnapshot(bytes: Uint8Array): StoredSnapshot {
  const stored = packr.unpack(bytes) as StoredSnapshot;
  const context = (stored.snapshot as { context?: { seen?: unknown } } | null | undefined)?.context;
  if (typeof context === 'object' && context !== null && isSeenColumns(context.seen)) context.seen = seenRows(context.seen);
  return stored;
}
