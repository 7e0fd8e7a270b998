import { describe, expect, it } from 'vitest';
import { firstSight } from './lifecycle.js';

describe('first sight', () => {
  it('a card, a phone or an e-mail makes a prospect', () => {
    for (const ref of [{ card: '4111' }, { phone: '+79990000000' }, { email: 'a@b.example' }, { cookie: 'k', phone: '+7999' }]) {
      expect(firstSight(ref)).toEqual({ stage: 'prospect', idPrefix: 'p' });
    }
  });

  it('only a cookie makes a visitor', () => {
    expect(firstSight({ cookie: 'k' })).toEqual({ stage: 'visitor', idPrefix: 'v' });
  });
});
