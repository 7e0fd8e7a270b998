import { describe, expect, it } from 'vitest';
import { OldestPending } from './oldest-pending.js';

describe('OldestPending', () => {
  it('is the wait of the oldest unfinished request, whatever order they finish in', () => {
    const q = new OldestPending();
    expect(q.age(100)).toBe(0);
    const a = q.start(10);
    const b = q.start(20);
    const c = q.start(30);
    expect(q.age(100)).toBe(90);
    b.done = true;
    expect(q.age(100)).toBe(90);
    a.done = true;
    expect(q.age(100)).toBe(70);
    c.done = true;
    expect(q.age(100)).toBe(0);
  });

  it('keeps up with many requests while one old one stays unfinished', () => {
    const q = new OldestPending();
    const old = q.start(0);
    for (let i = 1; i <= 5000; i++) q.start(i).done = true;
    expect(q.age(6000)).toBe(6000);
    old.done = true;
    expect(q.age(6000)).toBe(0);
    const next = q.start(7000);
    expect(q.age(7500)).toBe(500);
    next.done = true;
    expect(q.age(7500)).toBe(0);
  });

  it('holds no finished requests when its age is never read (the bound off, no scrapes)', () => {
    const q = new OldestPending();
    for (let i = 0; i < 5000; i++) q.start(i).done = true;
    expect(q.held).toBe(1);
  });
});
