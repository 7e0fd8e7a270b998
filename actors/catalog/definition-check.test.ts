import { describe, expect, it } from 'vitest';
import { BrainError } from '../brain-error.js';
import { testCatalogDef } from '../test-support/fixtures.js';
import { checkCatalogDefinition } from './definition-check.js';

function problem(mutate: (def: Record<string, any>) => void): string {
  const def = structuredClone(testCatalogDef()) as unknown as Record<string, any>;
  mutate(def);
  try {
    checkCatalogDefinition(def);
  } catch (err) {
    if (err instanceof BrainError && err.code === 'invalid') return err.message;
    throw err;
  }
  return 'fits';
}

describe('the structural check of a catalog definition', () => {
  it('passes the test catalog', () => {
    expect(problem(() => undefined)).toBe('fits');
  });

  it('names a misspelled field', () => {
    expect(problem((d) => void (d.campaigns[1].expiresin = '1d'))).toMatch(/^campaigns\[1\]\.expiresin: unknown field \(known: id, name, /);
    expect(problem((d) => void (d.offers[0].templates.fax = { text: 'x' }))).toMatch(/^offers\[0\]\.templates\.fax: unknown channel/);
  });

  it('names the first problem in the order the fields are declared, missing or not', () => {
    expect(problem((d) => void Object.assign(d.campaigns[0], { status: 'running', offer: undefined, trigger: undefined }))).toBe(
      'campaigns[0].status: must be one of draft, scheduled, active, paused, completed',
    );
    expect(problem((d) => void delete d.campaigns[0].offer)).toBe('campaigns[0].offer: must be non-empty text');
  });

  it('keeps the messages of the fields it checks', () => {
    expect(problem((d) => void (d.policy.maxActions = 0))).toBe('policy.maxActions: must be a number from 1 to 20');
    expect(problem((d) => void (d.features[0].id = 'Cafe'))).toMatch(/^features\[0\]\.id: must be an id/);
    expect(problem((d) => void (d.policy = 'strict'))).toBe('policy: must be the contact policy');
    expect(problem((d) => void (d.campaigns[0].vars = { gap: { from: 'event.data.x', tiers: [[1]] } }))).toBe('campaigns[0].vars.gap.tiers[0]: must be [threshold, value]');
  });

});
