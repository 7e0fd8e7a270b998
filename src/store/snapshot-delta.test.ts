import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { applyDelta, DEL, DeltaScratch, deltaOps, EDIT, isEmptyDelta, SET, snapshotDelta } from './snapshot-delta.js';

const packr = new Packr({ useRecords: false });
/** What the store keeps: the value after a MessagePack round trip. */
const stored = <T>(v: T): T => packr.unpack(packr.pack(v)) as T;

/** A context the way the brain changes one: new objects and arrays where something changed, the rest kept. */
interface Ctx {
  seq: number;
  lastEventAt?: number;
  features: Record<string, number[]>;
  seen: { id: string[]; at: number[]; actions: Array<unknown[] | null> };
  contacts: Array<{ instance: string; delivery: string; outcome?: string }>;
  segments: Record<string, number>;
  profile: { firstName: string; age?: number };
}

const NONE: unknown[] = [];

type Change = (c: Ctx, n: number) => Ctx;
const changes: Change[] = [
  (c, n) => ({ ...c, seq: c.seq + 1, lastEventAt: n }),
  (c, n) => ({ ...c, features: { ...c.features, [`f${n % 5}`]: [...(c.features[`f${n % 5}`] ?? []).slice(n % 3 === 0 ? 5 : 0), n, 1, n, n, n] } }),
  (c) => {
    const key = Object.keys(c.features)[0];
    if (key === undefined) return c;
    const series = [...c.features[key]!];
    series[series.length - 4] = (series[series.length - 4] ?? 0) + 1;
    return { ...c, features: { ...c.features, [key]: series } };
  },
  (c, n) => {
    const keep = c.seen.id.length >= 6 ? 1 + (n % 3) : 0;
    return { ...c, seen: { id: [...c.seen.id.slice(keep), `r${n}`], at: [...c.seen.at.slice(keep), n], actions: [...c.seen.actions.slice(keep), n % 4 === 0 ? [{ i: n }] : NONE] } };
  },
  (c, n) => ({ ...c, contacts: [...c.contacts.slice(c.contacts.length > 5 ? 1 : 0), { instance: `i${n}`, delivery: 'queued' }] }),
  (c, n) => (c.contacts.length === 0 ? c : { ...c, contacts: c.contacts.map((x, i) => (i === n % c.contacts.length ? { ...x, delivery: 'delivered', outcome: 'accepted' } : x)) }),
  (c, n) => ({ ...c, segments: n % 2 === 0 ? { ...c.segments, [`s${n % 7}`]: n } : Object.fromEntries(Object.entries(c.segments).slice(1)) }),
  (c, n) => ({ ...c, profile: { ...c.profile, age: n % 90 } }),
  (c) => {
    const { lastEventAt: _, ...rest } = c;
    return rest;
  },
  (c) => ({ ...c, contacts: c.contacts.slice(0, -1) }),
  (c) => ({ ...c, contacts: [] }),
];

function start(): Ctx {
  return { seq: 0, features: {}, seen: { id: [], at: [], actions: [] }, contacts: [], segments: {}, profile: { firstName: 'Анна' } };
}

describe('change records', () => {
  it('turn each snapshot into the next one, through MessagePack, for random runs of the brain\'s kinds of change', () => {
    // one scratch for every delta, as a store's commits use it: the same deltas as written afresh, and nothing of a snapshot kept
    const scratch = new DeltaScratch();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(changes.length - 1), fc.nat(1000)), { minLength: 1, maxLength: 60 }), (steps) => {
        let live = { value: 'active', context: start() };
        let rebuilt = stored(live);
        for (const [which, n] of steps) {
          const next = { value: n % 11 === 0 ? 'former' : live.value, context: changes[which]!(live.context, n) };
          const ops = snapshotDelta(live, next, scratch);
          expect(ops).toEqual(snapshotDelta(live, next));
          expect(scratch.items.every((x) => x === undefined)).toBe(true);
          rebuilt = applyDelta(rebuilt, stored(ops));
          expect(rebuilt).toEqual(stored(next));
          live = next;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('name only what changed: a field kept is not written, an appended item is written alone', () => {
    const before = { v: 7, snapshot: { value: 'active', context: { seq: 1, profile: { firstName: 'Иван' }, seen: { id: ['a', 'b'], at: [1, 2], actions: [NONE, NONE] } } } };
    const after = { ...before, snapshot: { ...before.snapshot, context: { ...before.snapshot.context, seq: 2, seen: { id: ['a', 'b', 'c'], at: [1, 2, 3], actions: [NONE, NONE, NONE] } } } };
    const delta = snapshotDelta(before, after);
    expect(deltaOps(delta)).toEqual([
      [SET, ['snapshot', 'context', 'seq'], 2],
      [EDIT, ['snapshot', 'context', 'seen', 'id'], 0, 2, [], ['c']],
      [EDIT, ['snapshot', 'context', 'seen', 'at'], 0, 2, [], [3]],
      [EDIT, ['snapshot', 'context', 'seen', 'actions'], 0, 2, [], [NONE]],
    ]);
    expect(JSON.stringify(delta)).not.toContain('Иван');
    expect(isEmptyDelta(snapshotDelta(after, after))).toBe(true);
  });

  it('set an array whole when an edit would not be shorter, and delete keys that went', () => {
    const delta = snapshotDelta({ a: [1, 2, 3, 4], b: 1 }, { a: [5, 6, 7, 8] });
    expect(deltaOps(delta)).toEqual([
      [SET, ['a'], [5, 6, 7, 8]],
      [DEL, ['b']],
    ]);
  });

  it('refuse a record that does not fit the snapshot, a key that would reach the prototype, and a form it does not know', () => {
    // [format, code, path length, ...keys, ...arguments]
    expect(() => applyDelta({ a: 1 }, [1, EDIT, 1, 'a', 0, 0, 0, 1, 1])).toThrow(/array edit/);
    expect(() => applyDelta({ a: [1] }, [1, EDIT, 1, 'a', 0, 2, 0, 0])).toThrow(/cannot keep/);
    expect(() => applyDelta({ a: 1 }, [1, SET, 3, 'a', 'b', 'c', 1])).toThrow(/no object/);
    expect(() => applyDelta({}, [1, SET, 2, '__proto__', 'polluted', 1])).toThrow(/__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(() => applyDelta({}, [2, SET, 1, 'a', 1])).toThrow(/format 2/);
    expect(() => applyDelta({}, [1, 7, 1, 'a'])).toThrow(/no operation/);
    expect(() => applyDelta({ a: [1] }, [1, EDIT, 1, 'a', 0, 1, 1])).toThrow(/cut short|count/);
    expect(applyDelta({ a: 1, b: { c: 2 } }, [1, SET, 1, 'a', 5, DEL, 2, 'b', 'c'], (path) => path[0] === 'a')).toEqual({ a: 1, b: {} });
  });
});
