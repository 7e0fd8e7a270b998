import { describe, expect, it } from 'vitest';
import { ageOn, isIsoDate, withImportedProfile, withMasterIdentifiers } from './customer-state.js';
import { ingestEvent } from './ingest.js';
import { customer, event, testCatalog } from './test-support/fixtures.js';

const epochDay = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

describe('ageOn', () => {
  it('adds a year on the birthday, not before; one born on 29 February on 1 March in common years', () => {
    expect(ageOn('1990-06-15', epochDay('2030-06-14'))).toBe(39);
    expect(ageOn('1990-06-15', epochDay('2030-06-15'))).toBe(40);
    expect(ageOn('2000-02-29', epochDay('2031-02-28'))).toBe(30);
    expect(ageOn('2000-02-29', epochDay('2031-03-01'))).toBe(31);
    expect(ageOn('2000-02-30', epochDay('2031-03-01'))).toBeUndefined();
    expect(isIsoDate('2000-02-29')).toBe(true);
    expect(isIsoDate('2001-02-29')).toBe(false);
  });
});

describe('withImportedProfile', () => {
  it('lays the imported profile over the context, keeps attributes it does not name, and asks for a full segment evaluation', () => {
    const ctx = { ...customer({ profile: { firstName: 'Ирина', attributes: { income: 1, region: 'msk' } } }), segmentsEvaluated: { day: 1, catalog: 1, stage: 'client' as const } };
    const next = withImportedProfile(ctx, { firstName: 'Ира', birthDate: '1970-01-01', attributes: { income: 2 } });
    expect(next.profile).toEqual({ firstName: 'Ира', birthDate: '1970-01-01', attributes: { income: 2, region: 'msk' } });
    expect(next.segmentsEvaluated).toBeUndefined();
    expect(withImportedProfile(next, { firstName: 'Ира', attributes: { region: 'msk' } })).toBe(next);
  });
});

describe('withMasterIdentifiers', () => {
  it("puts the record's identifiers first, keeps those events added, drops those the record dropped, and changes nothing when they agree", () => {
    const ctx = customer({ identifiers: { phone: ['+79160000001', '+79160000009'], email: ['a@example.ru'] } });
    const next = withMasterIdentifiers(ctx, { phone: ['+79160000002'] }, { phone: ['+79160000001'] });
    expect(next.identifiers.phone).toEqual(['+79160000002', '+79160000009']);
    expect(next.identifiers.email).toBe(ctx.identifiers.email);
    expect(withMasterIdentifiers(next, { phone: ['+79160000002'] })).toBe(next);
    expect(withMasterIdentifiers(ctx, {}, { email: ['a@example.ru'] }).identifiers.email).toEqual([]);
  });
});

describe('profile.updated with the import\'s birth date and attributes', () => {
  it('takes a birth date that is a date and scalar attributes, merged over those held, and re-evaluates segments by age', () => {
    const ctx = customer({ profile: { firstName: 'Ирина', age: 40, attributes: { region: 'msk' } } });
    const t = Date.parse('2030-06-15T09:00:00Z');
    const e = event('profile.updated', { at: t, data: { birthDate: '1960-06-15', attributes: { income: 5, nested: { no: 1 }, vip: true } } });
    const r = ingestEvent(ctx, e, t, testCatalog);
    expect(r.ctx.profile).toMatchObject({ birthDate: '1960-06-15', attributes: { region: 'msk', income: 5, vip: true } });
    expect(r.ctx.profile.attributes).not.toHaveProperty('nested');
    expect(r.segmentChanges).toContainEqual({ segment: 'seniors', change: 'entered' });
    const bad = ingestEvent(ctx, event('profile.updated', { at: t, data: { birthDate: '1960-02-30' } }), t, testCatalog);
    expect(bad.ctx.profile.birthDate).toBeUndefined();
  });
});
