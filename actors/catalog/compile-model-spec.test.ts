import { describe, expect, it } from 'vitest';
import { BrainError } from '../brain-error.js';
import { testCatalogDef } from '../test-support/fixtures.js';
import { compileCatalog } from './compile-catalog.js';
import type { CatalogDef, ModelDefSchema } from './definition-schema.js';
import { checkCatalogDefinition } from './definition-check.js';
import type { Static } from '@sinclair/typebox';

type ModelDef = Static<typeof ModelDefSchema>;

/** The test catalog with a `model` on the deposit offer and on the senior-deposit campaign. */
function withModels(offer: ModelDef | undefined, campaign: ModelDef | undefined): CatalogDef {
  const def = testCatalogDef();
  if (offer !== undefined) def.offers.find((o) => o.id === 'deposit')!.model = offer;
  if (campaign !== undefined) def.campaigns.find((c) => c.id === 'senior-deposit')!.model = campaign;
  return def;
}

/** The problem the structural check, then the compiler, finds; 'fits' when none. */
function problem(def: CatalogDef): string {
  try {
    checkCatalogDefinition(def);
    compileCatalog(def);
  } catch (err) {
    if (err instanceof BrainError && err.code === 'invalid') return err.message;
    throw err;
  }
  return 'fits';
}

describe('a model section in the catalog', () => {
  it('merges the offer\'s with the campaign\'s: ignored by either, the campaign\'s binnings first, both crosses', () => {
    const c = compileCatalog(
      withModels(
        { ignore: ['cal.*', 'data.id'], bins: { 'data.amount': [1000, 5000], age: 'log2' }, crosses: [['data.contact', 'cal.month']] },
        { ignore: ['data.id', 'weekday'], bins: { 'data.amount': 'category', cafe_30d: [1, 3] }, crosses: [['job', 'segment', 'event']] },
      ),
    );
    const m = c.campaigns.find((x) => x.id === 'senior-deposit')!.model;
    expect(m.ignore).toEqual(['cal.*', 'data.id', 'weekday']);
    expect(Object.fromEntries(m.bins)).toEqual({ 'data.amount': { kind: 'category' }, age: { kind: 'log2' }, cafe_30d: { kind: 'steps', steps: [1, 3] } });
    expect(m.crosses).toEqual([['data.contact', 'cal.month'], ['job', 'segment', 'event']]);
    // a campaign without one reads all the defaults
    expect(c.campaigns.find((x) => x.id === 'shortfall')!.model).toEqual({ ignore: [], bins: new Map(), crosses: [] });
  });

  it('is optional, on either side', () => {
    expect(problem(withModels({ ignore: ['history.*'] }, undefined))).toBe('fits');
    expect(problem(withModels(undefined, { crosses: [['data.a', 'data.b']] }))).toBe('fits');
  });

  it('names an unknown input, a malformed binning and a cross of one', () => {
    expect(problem(withModels({ ignore: ['colour'] }, undefined))).toMatch(/^offers\[1\]\.model\.ignore\[0\]: unknown model input "colour" \(known: stage, age, /);
    expect(problem(withModels(undefined, { bins: { 'data.x': [5, 1] } }))).toBe('campaigns[1].model.bins.data.x[1]: steps must rise');
    expect(problem(withModels(undefined, { bins: { 'data.x': 'linear' as 'log2' } }))).toMatch(/^campaigns\[1\]\.model\.bins\.data\.x: must be "log2", "category" or rising steps/);
    expect(problem(withModels(undefined, { crosses: [['job']] }))).toBe('campaigns[1].model.crosses[0]: must cross 2 to 3 inputs');
    expect(problem(withModels(undefined, { crosses: [['job', 'nope']] }))).toMatch(/^campaigns\[1\]\.model\.crosses\[0\]\[1\]: unknown model input "nope"/);
    expect(problem(withModels(undefined, { weights: 1 } as ModelDef))).toMatch(/^campaigns\[1\]\.model\.weights: unknown field/);
  });

  it('knows the catalog\'s features as inputs', () => {
    expect(problem(withModels({ bins: { spend_7d: [100, 1000] }, crosses: [['cafe_30d', 'spend_7d']] }, undefined))).toBe('fits');
  });
});
