import { describe, expect, it } from 'vitest';
import { BrainError, invalidAt } from '../actors/index.js';
import { KairosError, asKairosError } from './errors.js';

describe('asKairosError', () => {
  it('keeps a KairosError as it is', () => {
    const e = new KairosError('conflict', 'in use');
    expect(asKairosError(e)).toBe(e);
  });

  it("maps the brain's error to the same code, public when invalid, keeping it as the cause", () => {
    const invalid = invalidAt('campaigns[0].offer', 'no such offer');
    const e = asKairosError(invalid);
    expect(e).toMatchObject({ code: 'invalid', status: 400, publicMessage: 'campaigns[0].offer: no such offer' });
    expect(e.cause).toBe(invalid);
    const fault = asKairosError(new BrainError('internal', 'unhandled effect'));
    expect(fault).toMatchObject({ code: 'internal', status: 500, publicMessage: 'internal error' });
  });

  it('turns anything else into internal, keeping the cause and showing the client nothing of it', () => {
    const cause = new TypeError('x is undefined');
    const e = asKairosError(cause);
    expect(e).toMatchObject({ code: 'internal', message: 'x is undefined', publicMessage: 'internal error' });
    expect(e.cause).toBe(cause);
  });
});
