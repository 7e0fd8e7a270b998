import { describe, expect, it } from 'vitest';
import { redactReason } from './audit.js';

describe('redactReason', () => {
  it("replaces a reason's e-mail addresses and phone-like runs of 7 digits or more with ***", () => {
    expect(redactReason('customer asked ivan@mail.ru +79161234567')).toBe('customer asked *** ***');
    expect(redactReason('звонил с 8 (916) 123-45-67, просил не писать на Ivan.Petrov+news@bank.example.ru.')).toBe('звонил с ***, просил не писать на ***.');
    expect(redactReason('+7 916 123 45 67 / 123-4567 / (495)1234567')).toBe('*** / *** / ***');
    // shorter runs stay: a ticket, a count, a time
    expect(redactReason('ticket 123456, 3 letters at 10:30')).toBe('ticket 123456, 3 letters at 10:30');
    expect(redactReason('')).toBe('');
  });
});
