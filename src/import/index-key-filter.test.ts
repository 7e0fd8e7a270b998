import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashedIdentityKey } from '../store/keyring.js';
import { IndexKeyFilter } from './index-key-filter.js';

describe('IndexKeyFilter', () => {
  it('never says a key it was given is absent, and says most others are', () => {
    const secret = randomBytes(32);
    const f = new IndexKeyFilter();
    const added = Array.from({ length: 20_000 }, (_, i) => hashedIdentityKey(secret, 'phone', `+7916${String(i).padStart(7, '0')}`));
    for (const k of added) f.add(k);
    expect(added.every((k) => f.mayHave(k))).toBe(true);
    const others = Array.from({ length: 20_000 }, (_, i) => hashedIdentityKey(secret, 'email', `p${i}@example.ru`));
    expect(others.filter((k) => f.mayHave(k)).length).toBeLessThan(20);
  });

  it('says "maybe" for a key that is not an HMAC (a clear one, `phone:+7…`)', () => {
    const f = new IndexKeyFilter();
    expect(f.mayHave('phone:+79161234567')).toBe(true);
    expect(f.mayHave('h:phone:short')).toBe(true);
  });
});
