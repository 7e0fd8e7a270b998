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
 *   added at its end. What the brain does to its bounded logs (the seen log's columns,
 *   contacts, responses, a feature's day buckets): the oldest aged out, the newest changed or
 *   added.
 *
 * Stored flat, in one array (`Delta`), not an array an operation: an event changes 10 to 30
 * paths, and as arrays of arrays each was five small objects for the garbage collector. The
 * flat form: `FORMAT`, then per operation its code, the path's length and keys, and its
 * arguments (an edit's patches and appended items each preceded by their count).
 * `deltaOps` reads it back as the list above (tests, diagnostics).
 *
 * Plain objects are compared key by key down to `DEPTH` levels (the snapshot, its context, a
 * field of it such as `features` or `seen`, and one more); below, or for anything else, a
 * changed value is set whole. Applying a delta (`applyDelta`) changes the decoded snapshot it
 * is given in place: what the store hands out is decoded afresh for each read.
 */

export const SET = 0;
export const DEL = 1;
export const EDIT = 2;

/** The version of the flat form, its first item. */
const FORMAT = 1;

export type DeltaOp = [typeof SET, string[], unknown] | [typeof DEL, string[]] | [typeof EDIT, string[], number, number, unknown[], unknown[]];

/** A delta in its flat form (see above). */
export type Delta = unknown[];

/** Levels of nested plain objects compared key by key. */
const DEPTH = 4;
/** Leading items an array edit may drop (more: the array is set whole). */
const MAX_DROP = 16;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Where a delta is written before it is handed out: a growing array reused from one delta to
 * the next (its items cleared once copied out, so it holds nothing of a snapshot), written by
 * position. An array emptied (`length = 0`) and pushed to again would give up its storage and
 * grow it again, step by step, at every delta: some garbage an event.
 */
export class DeltaScratch {
  items: unknown[] = [];
  n = 0;

  push(value: unknown): void {
    this.items[this.n++] = value;
  }

  /** The written items as an array of their own; the scratch is emptied. */
  take(): Delta {
    const out = this.items.slice(0, this.n);
    this.items.fill(undefined, 0, this.n);
    this.n = 0;
    return out;
  }
}

/**
 * The operations that turn `before` into `after`, flat; `isEmptyDelta` when they are the same.
 * With `scratch`, written there first and then copied into an array of their exact length (a
 * commit that diffs many customers reuses one scratch).
 */
export function snapshotDelta(before: unknown, after: unknown, scratch: DeltaScratch = new DeltaScratch()): Delta {
  scratch.n = 0;
  try {
    scratch.push(FORMAT);
    diffInto(scratch, [], before, after, DEPTH);
    return scratch.take();
  } finally {
    // (a diff that threw leaves nothing of its snapshot behind either)
    if (scratch.n > 0) scratch.take();
  }
}

/** Whether a delta changes nothing. */
export function isEmptyDelta(delta: Delta): boolean {
  return delta.length <= 1;
}

/** Appends an operation's code and path. */
function opHead(out: DeltaScratch, code: number, path: readonly string[], last?: string): void {
  out.push(code);
  out.push(path.length + (last === undefined ? 0 : 1));
  for (const k of path) out.push(k);
  if (last !== undefined) out.push(last);
}

/** `path` is the parent's path (a stack: pushed and popped, never copied). */
function diffInto(out: DeltaScratch, path: string[], a: unknown, b: unknown, depth: number): void {
  if (a === b) return;
  if (depth > 0 && isPlainObject(a) && isPlainObject(b) && !Object.hasOwn(b, '__proto__')) {
    for (const k in b) {
      if (!Object.hasOwn(b, k)) continue;
      const x = b[k];
      if (!Object.hasOwn(a, k)) {
        opHead(out, SET, path, k);
        out.push(x);
      } else if (a[k] !== x) {
        path.push(k);
        diffInto(out, path, a[k], x, depth - 1);
        path.pop();
      }
    }
    for (const k in a) if (Object.hasOwn(a, k) && !Object.hasOwn(b, k)) opHead(out, DEL, path, k);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && arrayEditInto(out, path, a, b)) return;
  opHead(out, SET, path);
  out.push(b);
}

/**
 * Appends `b` as `a` with its first items dropped, a few replaced and the rest appended; false
 * (nothing appended) when that is no shorter than `b` itself (then it is set whole).
 */
function arrayEditInto(out: DeltaScratch, path: readonly string[], a: readonly unknown[], b: readonly unknown[]): boolean {
  // items written by the edit must stay under half of b's, or setting b is as good
  const budget = b.length >> 1;
  let bestDrop = -1;
  let bestChanged = Infinity;
  for (let drop = 0; drop <= Math.min(MAX_DROP, a.length); drop++) {
    const overlap = Math.min(a.length - drop, b.length);
    let changed = b.length - overlap;
    if (changed > budget) continue;
    for (let i = 0; i < overlap && changed <= budget; i++) if (a[drop + i] !== b[i]) changed++;
    if (changed <= budget && changed < bestChanged) {
      bestDrop = drop;
      bestChanged = changed;
      if (changed === b.length - overlap) break; // only appended: no edit does better
    }
  }
  if (bestDrop < 0) return false;
  const overlap = Math.min(a.length - bestDrop, b.length);
  opHead(out, EDIT, path);
  out.push(bestDrop);
  out.push(overlap);
  const at = out.n;
  out.push(0);
  let patches = 0;
  for (let i = 0; i < overlap; i++) {
    if (a[bestDrop + i] === b[i]) continue;
    out.push(i);
    out.push(b[i]);
    patches++;
  }
  out.items[at] = patches;
  out.push(b.length - overlap);
  for (let i = overlap; i < b.length; i++) out.push(b[i]);
  return true;
}

/** A reader of the flat form: one operation at a time. */
function* readOps(delta: Delta): Generator<DeltaOp> {
  if (delta[0] !== FORMAT) throw new Error(`change record: format ${String(delta[0])} is not one this build reads`);
  let i = 1;
  const int = (): number => {
    const v = delta[i++];
    if (!Number.isInteger(v) || (v as number) < 0) throw new Error(`change record: item ${i - 1} is not a count`);
    return v as number;
  };
  while (i < delta.length) {
    const code = delta[i++];
    const n = int();
    const path: string[] = [];
    for (let j = 0; j < n; j++) {
      const k = delta[i++];
      if (typeof k !== 'string') throw new Error(`change record: item ${i - 1} is not a key`);
      path.push(k);
    }
    let op: DeltaOp;
    if (code === SET) op = [SET, path, delta[i++]];
    else if (code === DEL) op = [DEL, path];
    else if (code === EDIT) {
      const drop = int();
      const keep = int();
      const np = int();
      const patches = delta.slice(i, i + 2 * np);
      i += 2 * np;
      const na = int();
      const appended = delta.slice(i, i + na);
      i += na;
      op = [EDIT, path, drop, keep, patches, appended];
    } else throw new Error(`change record: ${String(code)} is no operation`);
    if (i > delta.length) throw new Error('change record: cut short');
    yield op;
  }
}

/** A delta's operations, in order (tests, diagnostics). */
export function deltaOps(delta: Delta): DeltaOp[] {
  return [...readOps(delta)];
}

/**
 * Applies `delta` to `target` (a decoded snapshot, changed in place) and returns it; the
 * operations whose path `skip` names are left out. Throws when an operation's path does not
 * lead where it says: the record does not belong on this snapshot.
 */
export function applyDelta<T>(target: T, delta: Delta, skip?: (path: readonly string[]) => boolean): T {
  let root: unknown = target;
  for (const op of readOps(delta)) {
    const path = op[1];
    if (skip?.(path) === true) continue;
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
  if (drop + keep > current.length) throw new Error(`change record: cannot keep ${keep} items after ${drop} of ${current.length}`);
  const out = drop === 0 && keep === current.length ? current : current.slice(drop, drop + keep);
  for (let i = 0; i < patches.length; i += 2) {
    const at = patches[i] as number;
    if (!Number.isInteger(at) || at < 0 || at >= out.length) throw new Error(`change record: no item ${String(at)} to replace`);
    out[at] = patches[i + 1];
  }
  for (const item of appended) out.push(item);
  return out;
}
