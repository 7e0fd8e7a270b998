import type { Store } from '../store/store.js';

/** A counter value's numbers by path (objects and arrays walked; SEP between the steps). */
export type FlatCounter = Record<string, number>;
const SEP = '\u001f';

export function flattenCounter(v: unknown, prefix = '', out: FlatCounter = {}): FlatCounter {
  if (typeof v === 'number') out[prefix] = v;
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) flattenCounter(x, prefix === '' ? k : `${prefix}${SEP}${k}`, out);
  }
  return out;
}

/** Puts the numbers of `flat` into a copy of `template` (missing objects are created on the way). */
export function unflattenCounter<V extends object>(flat: FlatCounter, template: V): V {
  const out = structuredClone(template) as Record<string, unknown>;
  for (const [path, n] of Object.entries(flat)) {
    const steps = path.split(SEP);
    let at: Record<string, unknown> = out;
    for (const step of steps.slice(0, -1)) {
      const next = at[step];
      if (typeof next === 'object' && next !== null) at = next as Record<string, unknown>;
      else {
        const created: Record<string, unknown> = {};
        at[step] = created;
        at = created;
      }
    }
    at[steps[steps.length - 1] ?? ''] = n;
  }
  return out as V;
}

/**
 * Small named totals kept across customers (budget spend, response counts), held in memory
 * and written to the store's meta with each write-behind batch: what changed since the last
 * batch is drained into it, and put back if the commit fails.
 *
 * On a store several nodes share, they are kept as sums instead: each batch adds what changed
 * here since the last one (drainDeltas), and `merge` takes the sums all nodes made, keeping
 * what changed here and is not added yet.
 */
export class MetaCounters<V extends object> {
  private readonly values = new Map<string, V>();
  private readonly changed = new Set<string>();
  /** shared stores: each value as last added to or read from the shared sums */
  private readonly base = new Map<string, FlatCounter>();

  constructor(
    readonly prefix: string,
    private readonly empty: () => V,
  ) {}

  /** From the store: the values last written, or on a store several nodes share the sums of all nodes. */
  async loadFrom(store: Store, limit: number): Promise<void> {
    if (store.coordination.shared) this.merge(await store.coordination.readCounters(this.prefix));
    else this.load(await store.listMeta(this.prefix, limit));
  }

  load(entries: ReadonlyArray<{ key: string; value: unknown }>): void {
    for (const { key, value } of entries) {
      if (key.startsWith(this.prefix)) this.values.set(key.slice(this.prefix.length), { ...this.empty(), ...(value as Partial<V>) });
    }
  }

  get(id: string): V {
    return { ...(this.values.get(id) ?? this.empty()) };
  }

  /** The live map, for reading many values at once (never change it from outside). */
  all(): ReadonlyMap<string, V> {
    return this.values;
  }

  update(id: string, change: (v: V) => void): void {
    const v = this.values.get(id) ?? this.empty();
    change(v);
    this.values.set(id, v);
    this.changed.add(id);
  }

  /** Drops values from memory (not from the store): what a bounded ledger no longer keeps. */
  forget(ids: Iterable<string>): void {
    for (const id of ids) {
      this.values.delete(id);
      this.changed.delete(id);
      this.base.delete(id);
    }
  }

  /** Takes a value from elsewhere (a shared store's total) without marking it changed. */
  assign(id: string, v: V): void {
    this.values.set(id, v);
  }

  get hasChanges(): boolean {
    return this.changed.size > 0;
  }

  drain(): Array<{ key: string; value: V }> {
    const out = [...this.changed].map((id) => ({ key: `${this.prefix}${id}`, value: this.get(id) }));
    this.changed.clear();
    return out;
  }

  /** Shared stores: what changed since the last drain, as numbers to add to the shared sums. */
  drainDeltas(): Array<{ key: string; delta: FlatCounter }> {
    const out: Array<{ key: string; delta: FlatCounter }> = [];
    for (const id of this.changed) {
      const cur = flattenCounter(this.values.get(id) ?? this.empty());
      const b = this.base.get(id) ?? {};
      const delta: FlatCounter = {};
      for (const [path, v] of Object.entries(cur)) if (v !== (b[path] ?? 0)) delta[path] = v - (b[path] ?? 0);
      for (const [path, v] of Object.entries(b)) if (!(path in cur) && v !== 0) delta[path] = -v;
      this.base.set(id, cur);
      if (Object.keys(delta).length > 0) out.push({ key: `${this.prefix}${id}`, delta });
    }
    this.changed.clear();
    return out;
  }

  /** Shared stores: deltas a failed commit did not add, to be added with the next one. */
  restoreDeltas(entries: ReadonlyArray<{ key: string; delta: FlatCounter }>): void {
    for (const { key, delta } of entries) {
      if (!key.startsWith(this.prefix)) continue;
      const id = key.slice(this.prefix.length);
      const b = { ...(this.base.get(id) ?? {}) };
      for (const [path, d] of Object.entries(delta)) b[path] = (b[path] ?? 0) - d;
      this.base.set(id, b);
      this.changed.add(id);
    }
  }

  /** Shared stores: the sums every node made, plus what changed here and is not added yet. */
  merge(entries: ReadonlyArray<{ key: string; value: FlatCounter }>): void {
    for (const { key, value } of entries) {
      if (!key.startsWith(this.prefix)) continue;
      const id = key.slice(this.prefix.length);
      const cur = flattenCounter(this.values.get(id) ?? this.empty());
      const b = this.base.get(id) ?? {};
      const next: FlatCounter = { ...value };
      for (const [path, v] of Object.entries(cur)) {
        const local = v - (b[path] ?? 0);
        if (local !== 0) next[path] = (next[path] ?? 0) + local;
      }
      this.values.set(id, unflattenCounter(next, this.empty()));
      this.base.set(id, { ...value });
    }
  }

  restore(entries: ReadonlyArray<{ key: string }>): void {
    for (const e of entries) if (e.key.startsWith(this.prefix)) this.changed.add(e.key.slice(this.prefix.length));
  }
}
