/**
 * Small named totals kept across customers (budget spend, response counts), held in memory
 * and written to the store's meta with each write-behind batch: what changed since the last
 * batch is drained into it, and put back if the commit fails.
 */
export class MetaCounters<V extends object> {
  private readonly values = new Map<string, V>();
  private readonly changed = new Set<string>();

  constructor(
    readonly prefix: string,
    private readonly empty: () => V,
  ) {}

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

  restore(entries: ReadonlyArray<{ key: string }>): void {
    for (const e of entries) if (e.key.startsWith(this.prefix)) this.changed.add(e.key.slice(this.prefix.length));
  }
}
