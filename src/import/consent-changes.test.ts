import { describe, expect, it } from 'vitest';
import type { CustomerRecord } from '../store/store.js';
import { importedConsentMoves } from './consent-changes.js';

const record = (consents: Record<string, boolean>): CustomerRecord => ({
  stage: 'client',
  profile: {},
  identifiers: {},
  importedAt: 0,
  consents: Object.fromEntries(Object.entries(consents).map(([ch, granted]) => [ch, { granted, at: 0, source: 'import' }])),
});
const state = (consents: Record<string, boolean>) => Object.fromEntries(Object.entries(consents).map(([ch, granted]) => [ch, { granted, at: 0, source: 'consent.granted' }]));

describe('the consents the direct import moves in a stored state', () => {
  it('moves what the record changed, against what the state answers', () => {
    // changed to no: withdrawn where the state grants it, nothing where it already says no
    expect(importedConsentMoves(record({ sms: true, email: true }), record({ sms: false, email: false }), state({ sms: true, email: false }))).toEqual({ granted: [], revoked: ['sms'] });
    // a no the record states for the first time reaches a state with no answer for the channel (the
    // send check refuses a channel outside the policy's consentRequired only on an explicit no)
    expect(importedConsentMoves(record({ sms: true }), record({ sms: true, push: false }), {})).toEqual({ granted: [], revoked: ['push'] });
    // changed to yes: granted, unless the state already grants it
    expect(importedConsentMoves(record({ sms: false, email: false }), record({ sms: true, email: true }), state({ sms: false, email: true }))).toEqual({ granted: ['sms'], revoked: [] });
    // unchanged: the state's own answer (an SMS "СТОП", a grant by event) stands
    expect(importedConsentMoves(record({ sms: true, email: false }), record({ sms: true, email: false }), state({ sms: false, email: true }))).toEqual({ granted: [], revoked: [] });
  });

  it("a first record (a customer its events made): its withdrawals reach the state; its grants only channels the state has no answer for", () => {
    expect(importedConsentMoves(undefined, record({ sms: true, email: true, push: false }), state({ sms: false, push: true }))).toEqual({ granted: ['email'], revoked: ['push'] });
    expect(importedConsentMoves(undefined, record({ push: false }), {})).toEqual({ granted: [], revoked: ['push'] });
  });
});
