import { describe, expect, it } from 'vitest';
import type { AttrEnv, EvalScope } from './condition.js';
import { BrainError, invalidAt } from './brain-error.js';
import { MAX_CONDITION_DEPTH, compileCondition, referencedAttrs } from './condition.js';
import { MAX_DEFINITION_DEPTH, checkDefinitionBounds } from './catalog/definition-bounds.js';
import { customer, event } from './test-support/fixtures.js';

const env: AttrEnv = { features: new Set(['cafe_30d']), segments: new Set(['seniors']), event: true, vars: new Set(['gap']) };

function scope(data: Record<string, unknown>, features: Record<string, number> = {}): EvalScope {
  return {
    ctx: customer(),
    event: event('atm.withdrawal.declined', { channel: 'atm', data, location: { lat: 1, lon: 2, place: 'atm-7' } }),
    feature: (id) => features[id] ?? 0,
    score: () => 0,
    inSegment: (id) => id === 'seniors',
    vars: { gap: 200 },
  };
}

const test = (rule: unknown, s: EvalScope = scope({})) => compileCondition(rule, 'rule', env)(s);

describe('rules', () => {
  it('compares profile, stage, features, segments, variables and event fields', () => {
    expect(test({ attr: 'profile.age', op: 'gte', value: 60 })).toBe(true);
    expect(test({ attr: 'stage', op: 'eq', value: 'client' })).toBe(true);
    expect(test({ attr: 'feature.cafe_30d', op: 'gte', value: 3 }, scope({}, { cafe_30d: 3 }))).toBe(true);
    expect(test({ attr: 'segment.seniors', op: 'eq', value: true })).toBe(true);
    expect(test({ attr: 'vars.gap', op: 'between', value: [100, 200] })).toBe(true);
    expect(test({ attr: 'event.channel', op: 'in', value: ['atm', 'kiosk'] })).toBe(true);
    expect(test({ attr: 'event.place', op: 'eq', value: 'atm-7' })).toBe(true);
    expect(test({ attr: 'event.type', op: 'ne', value: 'ib.login' })).toBe(true);
  });

  it('compares gateway strings and numbers like with like', () => {
    expect(test({ attr: 'event.data.mcc', op: 'in', value: ['5812', '5814'] }, scope({ mcc: 5812 }))).toBe(true);
    expect(test({ attr: 'event.data.amount', op: 'gt', value: 100 }, scope({ amount: '150' }))).toBe(true);
    expect(test({ attr: 'event.data.amount', op: 'gt', value: 100 }, scope({ amount: 'lots' }))).toBe(false);
    expect(test({ attr: 'event.data.amount', op: 'lt', value: 100 }, scope({}))).toBe(false);
  });

  it('compares two attributes with ref', () => {
    const rule = { attr: 'event.data.requested', op: 'gt', value: { ref: 'event.data.balance' } };
    expect(test(rule, scope({ requested: 1000, balance: 800 }))).toBe(true);
    expect(test(rule, scope({ requested: 700, balance: 800 }))).toBe(false);
  });

  it('combines with all, any and not, and tests presence', () => {
    expect(test({ all: [{ attr: 'profile.age', op: 'gte', value: 60 }, { not: { attr: 'stage', op: 'eq', value: 'visitor' } }] })).toBe(true);
    expect(test({ any: [{ attr: 'profile.age', op: 'lt', value: 18 }, { attr: 'event.data.x', op: 'exists' }] }, scope({ x: 0 }))).toBe(true);
    expect(test({ attr: 'event.data.x', op: 'missing' }, scope({}))).toBe(true);
    expect(test({ attr: 'event.data.x.y', op: 'eq', value: 1 }, scope({ x: { y: 1 } }))).toBe(true);
    expect(test({ attr: 'event.data.__proto__', op: 'exists' }, scope({}))).toBe(false);
  });
});

describe('bounds', () => {
  const leaf = { attr: 'profile.age', op: 'gte', value: 60 };
  const nest = (levels: number, wrap: (r: unknown) => unknown): unknown => {
    let rule: unknown = leaf;
    for (let i = 1; i < levels; i++) rule = wrap(rule);
    return rule;
  };

  it('compiles rules nested to the bound and refuses one level more, naming where', () => {
    expect(test(nest(MAX_CONDITION_DEPTH, (r) => ({ not: r })))).toBe(MAX_CONDITION_DEPTH % 2 === 1);
    expect(test(nest(MAX_CONDITION_DEPTH, (r) => ({ all: [r] })))).toBe(true);
    expect(() => test(nest(MAX_CONDITION_DEPTH + 1, (r) => ({ any: [r] })))).toThrow(
      invalidAt(`rule${'.any[0]'.repeat(MAX_CONDITION_DEPTH)}`, `nests deeper than ${MAX_CONDITION_DEPTH} levels of all, any and not`),
    );
    // Far deeper than the stack would allow, refused all the same.
    const deep = nest(20_000, (r) => ({ not: r }));
    expect(() => test(deep)).toThrow(BrainError);
    expect(referencedAttrs(deep)).toEqual([]);
    expect(referencedAttrs(nest(MAX_CONDITION_DEPTH, (r) => ({ all: [r, { attr: 'stage', op: 'exists' }] })))).toHaveLength(MAX_CONDITION_DEPTH);
  });

  it('bounds a definition’s depth, whatever part nests, and refuses cycles', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(() => checkDefinitionBounds({ offers: [{ id: 'a', params: { p: deep } }] })).toThrow(
      invalidAt(`offers[0].params.p${'[0]'.repeat(MAX_DEFINITION_DEPTH - 5)}`, `nests deeper than ${MAX_DEFINITION_DEPTH} levels`),
    );
    const cyclic: Record<string, unknown> = { id: 'a' };
    cyclic.self = cyclic;
    expect(() => checkDefinitionBounds({ segments: [cyclic] })).toThrow(/^segments\[0\]\.self\.self\.self.*: nests deeper than/);
    let ok: unknown = 'x';
    for (let i = 1; i < MAX_DEFINITION_DEPTH; i++) ok = [ok];
    expect(() => checkDefinitionBounds(ok)).not.toThrow();
    expect(() => checkDefinitionBounds([ok])).toThrow(BrainError);
  });
});

describe('rules on imported attributes and age', () => {
  const imported = (day?: number): EvalScope => ({
    ...scope({}),
    ctx: customer({ profile: { age: 30, birthDate: '1970-03-01', attributes: { income: 150000, vip: true, opened: '2015-02-01', tier: 'gold', code: '5812' } } }),
    ...(day === undefined ? {} : { day }),
  });
  const on = (rule: unknown, day?: number) => compileCondition(rule, 'rule', env)(imported(day));
  const epochDay = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

  it('reads each attribute as the type the import stored: numbers, booleans, dates, text', () => {
    expect(on({ attr: 'profile.attributes.income', op: 'gt', value: 100000 })).toBe(true);
    expect(on({ attr: 'profile.attributes.income', op: 'between', value: [200000, 300000] })).toBe(false);
    expect(on({ attr: 'profile.attributes.vip', op: 'eq', value: true })).toBe(true);
    expect(on({ attr: 'profile.attributes.opened', op: 'lt', value: '2016-01-01' })).toBe(true);
    expect(on({ attr: 'profile.attributes.opened', op: 'between', value: ['2015-01-01', '2015-01-31'] })).toBe(false);
    expect(on({ attr: 'profile.attributes.tier', op: 'in', value: ['gold', 'platinum'] })).toBe(true);
    expect(on({ attr: 'profile.attributes.tier', op: 'contains', value: 'ol' })).toBe(true);
    // a text "5812" is not the number 5812; an attribute the customer lacks is "missing" (and "ne" anything, as a profile field)
    expect(on({ attr: 'profile.attributes.code', op: 'eq', value: 5812 })).toBe(false);
    expect(on({ attr: 'profile.attributes.code', op: 'eq', value: '5812' })).toBe(true);
    expect(on({ attr: 'profile.attributes.region', op: 'eq', value: 'msk' })).toBe(false);
    expect(on({ attr: 'profile.attributes.region', op: 'ne', value: 'msk' })).toBe(true);
    expect(on({ attr: 'profile.attributes.region', op: 'missing' })).toBe(true);
  });

  it('refuses an operator the type has not, mixed types, and a nameless attribute, at compile time', () => {
    const compile = (rule: unknown) => () => compileCondition(rule, 'rule', env);
    expect(compile({ attr: 'profile.attributes.tier', op: 'gt', value: 'gold' })).toThrow(/"gt" does not apply to a text attribute/);
    expect(compile({ attr: 'profile.attributes.vip', op: 'lt', value: true })).toThrow(/"lt" does not apply to a boolean attribute/);
    expect(compile({ attr: 'profile.attributes.income', op: 'contains', value: 5 })).toThrow(/"contains" does not apply to a number attribute/);
    expect(compile({ attr: 'profile.attributes.income', op: 'in', value: [1, '2'] })).toThrow(/mixes types/);
    expect(compile({ attr: 'profile.attributes.', op: 'exists' })).toThrow(/profile\.attributes\.<name>/);
    expect(compile({ attr: 'profile.incomes', op: 'exists' })).toThrow(/attributes\.<name>/);
  });

  it('computes age from the birth date on the decision\'s local day (the profile\'s age without one)', () => {
    const rule = { attr: 'profile.age', op: 'gte', value: 56 };
    expect(on(rule, epochDay('2026-02-28'))).toBe(false);
    expect(on(rule, epochDay('2026-03-01'))).toBe(true);
    expect(on({ attr: 'profile.age', op: 'eq', value: 30 })).toBe(true);
  });
});
