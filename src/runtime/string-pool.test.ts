import { describe, expect, it } from 'vitest';
import type { Consent, CustomerContext } from '../../actors/index.js';
import { initialCustomerContext } from '../../actors/index.js';
import { StringPool } from './string-pool.js';

describe('string pool', () => {
  it('pools short strings up to its bound, and leaves long ones and the rest as they are', () => {
    const pool = new StringPool(3, 8);
    expect(['married', 'Москва', 'married', 'import'].map((s) => pool.string(s))).toEqual(['married', 'Москва', 'married', 'import']);
    expect(pool.size).toBe(3);
    // Full: a new string comes back unpooled; the pooled ones still do.
    expect(pool.string('single')).toBe('single');
    expect(pool.size).toBe(3);
    // Longer than the limit: not pooled even with room.
    const roomy = new StringPool(10, 8);
    expect(roomy.string('Константинопольский')).toBe('Константинопольский');
    expect(roomy.size).toBe(0);
  });

  it('copies a profile with its shared fields pooled, not its names, the rest unchanged, and keeps one without them', () => {
    const pool = new StringPool();
    const profile = { firstName: 'Мария', patronymic: 'Ивановна', lastName: 'Смирнова', age: 61, balance: 1250.75, creditDefault: false, job: 'retired', city: 'Москва' };
    const pooled = pool.profile(profile);
    expect(pooled).toEqual(profile);
    expect(pooled).not.toBe(profile);
    // job and city; an erased customer's name must not outlive them in the pool.
    expect(pool.size).toBe(2);
    const unpooled = { firstName: 'Пётр', age: 40, balance: 10 };
    expect(pool.profile(unpooled)).toBe(unpooled);
    expect(pool.size).toBe(2);
  });

  it('pools a restored context’s profile and consent sources, and passes malformed consents through', () => {
    const pool = new StringPool();
    const ctx: CustomerContext = initialCustomerContext({
      id: 'demo-1',
      stage: 'client',
      profile: { firstName: 'Пётр', city: 'Казань' },
      consents: { sms: { granted: true, at: 1, source: 'import' }, email: { granted: false, at: 2, source: 'sms_reply' } },
      at: 0,
      reason: 'import',
    });
    const odd = { ...ctx, consents: { ...ctx.consents, push: null as unknown as Consent } };
    const pooled = pool.context(odd);
    expect(pooled).toEqual(odd);
    // Казань, import, sms_reply (not the first name).
    expect(pool.size).toBe(3);
    expect(pooled.consents.push).toBeNull();
    // The input is not changed.
    expect(odd.profile).toBe(ctx.profile);
  });
});
