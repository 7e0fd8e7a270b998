import { describe, expect, it } from 'vitest';
import { MetaCounters, flattenCounter, unflattenCounter } from './meta-counters.js';

/** Counters kept as sums across nodes: deltas added, sums merged with what is not added yet. */

interface C {
  n: number;
  bins: number[];
  by: Record<string, number>;
}
const empty = (): C => ({ n: 0, bins: [0, 0, 0], by: {} });

describe('meta counters as sums across nodes', () => {
  it('forgets values from memory: no longer read, nor written with the next batch', () => {
    const c = new MetaCounters<C>('t/', empty);
    c.update('old', (v) => void (v.n += 1));
    c.update('new', (v) => void (v.n += 2));
    c.forget(['old']);
    expect([...c.all().keys()]).toEqual(['new']);
    expect(c.get('old')).toEqual(empty());
    expect(c.drain().map((e) => e.key)).toEqual(['t/new']);
  });

  it('flattens and rebuilds nested numbers', () => {
    const v: C = { n: 2, bins: [1, 0, 3], by: { cap: 4 } };
    const flat = flattenCounter(v);
    expect(Object.values(flat).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(unflattenCounter(flat, empty())).toEqual(v);
  });

  it('two nodes adding deltas to one sum, merging it back, count everything once', () => {
    const shared = new Map<string, Record<string, number>>();
    const add = (entries: Array<{ key: string; delta: Record<string, number> }>): void => {
      for (const { key, delta } of entries) {
        const s = shared.get(key) ?? {};
        for (const [p, d] of Object.entries(delta)) s[p] = (s[p] ?? 0) + d;
        shared.set(key, s);
      }
    };
    const read = (): Array<{ key: string; value: Record<string, number> }> => [...shared].map(([key, value]) => ({ key, value: { ...value } }));
    const a = new MetaCounters<C>('f/', empty);
    const b = new MetaCounters<C>('f/', empty);
    a.update('x', (c) => void (c.n += 1));
    b.update('x', (c) => {
      c.n += 2;
      c.by.cap = (c.by.cap ?? 0) + 1;
    });
    add(a.drainDeltas());
    // B reads the sums before adding its own: its own changes are kept.
    b.merge(read());
    expect(b.get('x')).toEqual({ n: 3, bins: [0, 0, 0], by: { cap: 1 } });
    add(b.drainDeltas());
    a.merge(read());
    b.merge(read());
    expect(a.get('x')).toEqual({ n: 3, bins: [0, 0, 0], by: { cap: 1 } });
    expect(b.get('x')).toEqual(a.get('x'));
    // A failed commit's deltas go with the next one, once.
    a.update('x', (c) => void (c.bins[1] = 5));
    const lost = a.drainDeltas();
    a.restoreDeltas(lost);
    expect(a.hasChanges).toBe(true);
    add(a.drainDeltas());
    b.merge(read());
    expect(b.get('x')).toEqual({ n: 3, bins: [0, 5, 0], by: { cap: 1 } });
    // A reset (a model deleted) subtracts everything it had seen.
    a.merge(read());
    a.update('x', (c) => Object.assign(c, empty()));
    add(a.drainDeltas());
    expect(Object.values(shared.get('f/x')!).every((v) => v === 0)).toBe(true);
  });
});
