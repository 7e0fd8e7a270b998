import { describe, expect, it } from 'vitest';
import { InOrder } from './in-order.js';

describe('InOrder', () => {
  it('hands results on in submission order, however the work settles', async () => {
    const order = new InOrder<number>();
    const seen: Array<number | string> = [];
    const delays = [30, 5, 20, 0, 10];
    const all = delays.map(
      (ms, i) =>
        new Promise<void>((done) => {
          const work = new Promise<number>((resolve, reject) => setTimeout(() => (i === 2 ? reject(new Error('x')) : resolve(i)), ms));
          order.add(work, (r) => {
            seen.push(r.ok ? r.value : `error ${i}`);
            done();
          });
        }),
    );
    expect(order.pending).toBe(5);
    await Promise.all(all);
    expect(seen).toEqual([0, 1, 'error 2', 3, 4]);
    expect(order.pending).toBe(0);
  });

  it('keeps order across many items and compacts its queue', async () => {
    const order = new InOrder<number>();
    const seen: number[] = [];
    const done = new Promise<void>((resolve) => {
      for (let i = 0; i < 5000; i++) {
        order.add(Promise.resolve(i), (r) => {
          if (r.ok) seen.push(r.value);
          if (seen.length === 5000) resolve();
        });
      }
    });
    await done;
    expect(seen).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });
});
