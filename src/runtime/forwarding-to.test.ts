import { describe, expect, it } from 'vitest';
import { FORWARD_PREFIX, forwardingTo } from './customer-merge.js';

/** The customers whose forwarding leads to a customer (a merge across shards carries them to the survivor). */
describe('forwardingTo', () => {
  const f = (from: string, to: string): { key: string; value: unknown } => ({ key: FORWARD_PREFIX + from, value: { to, at: 1 } });

  it('follows every chain of merges into the customer, once each, and nothing else', () => {
    const forwards = [f('x', 'l'), f('y', 'x'), f('z', 'y'), f('w', 'other'), f('v', 'l')];
    expect(forwardingTo('l', forwards).sort()).toEqual(['v', 'x', 'y', 'z']);
    expect(forwardingTo('other', forwards)).toEqual(['w']);
    expect(forwardingTo('nobody', forwards)).toEqual([]);
  });

  it('ends on a cycle (a record written twice) instead of looping', () => {
    expect(forwardingTo('a', [f('b', 'a'), f('a', 'b')])).toEqual(['b']);
  });
});
