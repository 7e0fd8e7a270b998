import { describe, expect, it } from 'vitest';
import { e164Phone, libraryE164Phone } from './customer-from-row.js';

describe('e164Phone', () => {
  it('reads a clean +79… or 89… mobile as libphonenumber does, for every 9XX code', () => {
    for (let code = 900; code <= 999; code++) {
      for (const rest of ['0000000', '1234567', '9999999', String((code * 7919) % 10_000_000).padStart(7, '0')]) {
        for (const form of [`+7${code}${rest}`, `8${code}${rest}`]) expect(e164Phone(form), form).toBe(libraryE164Phone(form));
      }
    }
  });

  it('leaves every other form to the library', () => {
    for (const form of ['+7 916 123-45-67', '8 (916) 123 45 67', '79161234567', '9161234567', '+74951234567', '84951234567', '+7916123456', '+791612345678', '+380501234567', 'not a phone', '+7916123456x']) {
      expect(e164Phone(form), form).toBe(libraryE164Phone(form));
    }
    expect(e164Phone('+74951234567')).toBeUndefined();
    expect(e164Phone('8 (916) 123 45 67')).toBe('+79161234567');
  });
});
