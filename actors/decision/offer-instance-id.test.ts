import { describe, expect, it } from 'vitest';
import { customerOfInstance, offerInstanceId } from './offer-instance-id.js';

describe('offer-instance id', () => {
  it('names its customer, even one whose id holds colons', () => {
    for (const customer of ['c-1', 'p-0123abcd', 'bank:42:x']) {
      expect(customerOfInstance(offerInstanceId(customer, 37, 'e-1'))).toBe(customer);
    }
  });

  it('differs by sequence and by event', () => {
    expect(offerInstanceId('c-1', 1, 'e-1')).toBe('c-1:1.' + offerInstanceId('x', 1, 'e-1').split('.')[1]);
    expect(offerInstanceId('c-1', 36, 'e-1').startsWith('c-1:10.')).toBe(true);
    expect(offerInstanceId('c-1', 1, 'e-1')).not.toBe(offerInstanceId('c-1', 1, 'e-2'));
  });

  it('refuses what is not an instance id', () => {
    expect(customerOfInstance('no-colon')).toBeUndefined();
    expect(customerOfInstance(':1.abc')).toBeUndefined();
  });
});
