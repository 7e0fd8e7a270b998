import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.js';

describe('Fifo', () => {
  it('gives items back oldest first, across its compactions', () => {
    const q = new Fifo<number>();
    expect(q.peek()).toBeUndefined();
    expect(q.shift()).toBeUndefined();
    const out: number[] = [];
    // Never drained to empty: the compaction past 1,024 taken items must keep the order.
    for (let i = 0; i < 5000; i++) {
      q.push(i);
      q.push(i + 100_000);
      const taken = q.shift();
      if (taken !== undefined) out.push(taken);
    }
    expect(q.length).toBe(5000);
    expect(q.peek()).toBe(2500);
    while (q.length > 0) out.push(q.shift() as number);
    const expected: number[] = [];
    for (let i = 0; i < 5000; i++) expected.push(i, i + 100_000);
    expect(out).toEqual(expected);
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
  });
});
