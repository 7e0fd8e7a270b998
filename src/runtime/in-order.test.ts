import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { InOrder } from './in-order.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

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

  it('hands a value known now on at once when nothing is queued, else behind what is', async () => {
    const order = new InOrder<number>();
    const seen: number[] = [];
    order.addNow(1, (r) => r.ok && seen.push(r.value));
    expect(seen).toEqual([1]);
    let settle: (n: number) => void = () => {};
    order.add(new Promise<number>((resolve) => (settle = resolve)), (r) => r.ok && seen.push(r.value));
    order.addNow(3, (r) => r.ok && seen.push(r.value));
    expect(seen).toEqual([1]);
    expect(order.pending).toBe(2);
    settle(2);
    while (order.pending > 0) await Promise.resolve();
    expect(seen).toEqual([1, 2, 3]);
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

  it('holds nothing of an item it has handed on', async () => {
    // A queue that stays busy (never drained to empty) must still let go of what it handed on:
    // each request's callback holds the request, its reply and their promises.
    const order = new InOrder<number>();
    let release: (() => void) | undefined;
    const blocker = new Promise<number>((resolve) => (release = () => resolve(0)));
    const refs: Array<WeakRef<object>> = [];
    await new Promise<void>((done) => {
      for (let i = 0; i < 10; i++) {
        const payload = { request: i, big: new Array(1000).fill(i) };
        refs.push(new WeakRef(payload));
        order.add(Promise.resolve(i), () => {
          if (payload.request === 9) done();
        });
      }
    });
    order.add(blocker, () => undefined);
    expect(order.pending).toBe(1);
    // WeakRef targets stay alive until the job that read them ends.
    await new Promise((r) => setTimeout(r, 0));
    collectGarbage();
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
    release?.();
    await blocker;
  });
});
