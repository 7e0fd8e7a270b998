/**
 * Change records: what turns one stored snapshot of a customer into the next, as plain data
 * (docs/runtime.md#change-records). The pure brain replaces an object or array when it changes
 * and keeps it otherwise, so comparing references finds what an event changed without looking
 * inside what it did not: a few fields of the context (a feature's day series, the seen log, a
 * contact appended), a few hundred bytes against the ~1.3 KB of the whole snapshot.
 *
 * A delta is a list of operations on paths from the snapshot's root:
 * - `[SET, path, value]`: the value at `path` is `value` (added or replaced whole);
 * - `[DEL, path]`: the key at `path` is gone;
 * - `[EDIT, path, drop, keep, patches, appended]`: the array at `path` lost its first `drop`
 *   items and kept the `keep` after them, then had the items at the positions in `patches`
 *   (`[index, value, index, value, ...]`, positions in the new array) replaced, then `appended`
 *   added at its end. What the brain does
 *   to its bounded logs (the seen log's columns, contacts, responses, a feature's day buckets):
 *   the oldest aged out, the newest changed or added.
 *
 * Plain objects are compared key by key down to `DEPTH` levels (the snapshot, its context, a
 * field of it such as `features` or `seen`, and one more); below, or for anything else, a
 * changed value is set whole. Applying a delta (`applyDelta`) changes the decoded snapshot it
 * is given in place: what the store hands out is decoded afresh for each read.
 */

export const SET = 0;
export const DEL = 1;
export const EDIT = 2;

export type DeltaOp = [typeof SET, string[], unknown] | [typeof DEL, string[]] | [typeof EDIT, string[], number, number, unknown[], unknown[]];

/** Levels of nested plain objects compared key by key. */
const DEPTH = 4;
/** Leading items an array edit may drop (more: the array is set whole). */
const MAX_DROP = 16;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The operations that turn `before` into `after` (empty when they are the same). */
export function snapshotDelta(before: unknown, after: unknown): DeltaOp[] {
  const ops: DeltaOp[] = [];
  diffInto(ops, [], before, after, DEPTH);
  return ops;
}

function diffInto(ops: DeltaOp[], path: string[], a: unknown, b: unknown, depth: number): void {
  if (a === b) return;
  if (depth > 0 && isPlainObject(a) && isPlainObject(b) && !Object.hasOwn(b, '__proto__')) {
    for (const k in b) {
      if (!Object.hasOwn(b, k)) continue;
      if (!Object.hasOwn(a, k)) ops.push([SET, [...path, k], b[k]]);
      else if (a[k] !== b[k]) diffInto(ops, [...path, k], a[k], b[k], depth - 1);
    }
    for (const k in a) if (Object.hasOwn(a, k) && !Object.hasOwn(b, k)) ops.push([DEL, [...path, k]]);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const edit = arrayEdit(a, b);
    if (edit !== undefined) {
      ops.push([EDIT, path, edit.drop, edit.keep, edit.patches, edit.appended]);
      return;
    }
  }
  ops.push([SET, path, b]);
}

/**
 * `b` as `a` with its first `drop` items gone, a few replaced and the rest appended; undefined
 * when that is no shorter than `b` itself (then it is set whole).
 */
function arrayEdit(a: readonly unknown[], b: readonly unknown[]): { drop: number; keep: number; patches: unknown[]; appended: unknown[] } | undefined {
  // items written by the edit must stay under half of b's, or setting b is as good
  const budget = b.length >> 1;
  let best: { drop: number; changed: number } | undefined;
  for (let drop = 0; drop <= Math.min(MAX_DROP, a.length); drop++) {
    const overlap = Math.min(a.length - drop, b.length);
    let changed = b.length - overlap;
    if (changed > budget) continue;
    for (let i = 0; i < overlap && changed <= budget; i++) if (a[drop + i] !== b[i]) changed++;
    if (changed <= budget && (best === undefined || changed < best.changed)) {
      best = { drop, changed };
      if (changed === b.length - overlap) break; // only appended: no edit does better
    }
  }
  if (best === undefined) return undefined;
  const overlap = Math.min(a.length - best.drop, b.length);
  const patches: unknown[] = [];
  for (let i = 0; i < overlap; i++) if (a[best.drop + i] !== b[i]) patches.push(i, b[i]);
  return { drop: best.drop, keep: overlap, patches, appended: b.slice(overlap) };
}

/**
 * Applies `ops` to `target` (a decoded snapshot, changed in place) and returns it. Throws when
 * an operation's path does not lead where it says: the record does not belong on this
 * snapshot.
 */
export function applyDelta<T>(target: T, ops: readonly DeltaOp[]): T {
  let root: unknown = target;
  for (const op of ops) {
    const path = op[1];
    if (path.includes('__proto__')) throw new Error('change record: a key named __proto__');
    if (path.length === 0) {
      if (op[0] === SET) root = op[2];
      else if (op[0] === EDIT) root = editedArray(root, op[2], op[3], op[4], op[5]);
      else throw new Error('change record: the root cannot be deleted');
      continue;
    }
    let parent: unknown = root;
    for (let i = 0; i < path.length - 1; i++) {
      if (!isPlainObject(parent)) throw new Error(`change record: no object at ${path.slice(0, i).join('.') || 'the root'}`);
      parent = parent[path[i]!];
    }
    if (!isPlainObject(parent)) throw new Error(`change record: no object at ${path.slice(0, -1).join('.') || 'the root'}`);
    const key = path[path.length - 1]!;
    if (op[0] === SET) parent[key] = op[2];
    else if (op[0] === DEL) delete parent[key];
    else parent[key] = editedArray(parent[key], op[2], op[3], op[4], op[5]);
  }
  return root as T;
}

function editedArray(current: unknown, drop: number, keep: number, patches: readonly unknown[], appended: readonly unknown[]): unknown[] {
  if (!Array.isArray(current)) throw new Error('change record: an array edit on something else');
  if (!Number.isInteger(drop) || !Number.isInteger(keep) || drop < 0 || keep < 0 || drop + keep > current.length) throw new Error(`change record: cannot keep ${String(keep)} items after ${String(drop)} of ${current.length}`);
  const out = drop === 0 && keep === current.length ? current : current.slice(drop, drop + keep);
  for (let i = 0; i < patches.length; i += 2) {
    const at = patches[i] as number;
    if (!Number.isInteger(at) || at < 0 || at >= out.length) throw new Error(`change record: no item ${String(at)} to replace`);
    out[at] = patches[i + 1];
  }
  for (const item of appended) out.push(item);
  return out;
}
