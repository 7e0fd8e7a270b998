import { describe, expect, it } from 'vitest';
import type { CatalogDef } from '../../actors/index.js';
import { loadCatalogFile } from './catalog-file.js';
import { catalogProblems } from './catalog-problems.js';
import { demoCatalogPath } from '../paths.js';

/** `kairos catalog check` lists every problem of a catalog, not only the first. */
describe('catalog problems', () => {
  it('are none for the demo catalog', () => {
    expect(catalogProblems(loadCatalogFile(demoCatalogPath()))).toEqual([]);
  });

  it('are each failing item\'s, named by its id, and not those that only follow from one', () => {
    const def = loadCatalogFile(demoCatalogPath()) as unknown as { campaigns: Array<Record<string, unknown>>; offers: Array<Record<string, unknown>> };
    def.campaigns.find((c) => c.id === 'atm-shortfall')!.channels = ['fax'];
    def.campaigns.find((c) => c.id === 'lunch-restaurant')!.priority = -1;
    // an offer broken: the campaigns naming it are not reported again for naming it
    def.offers.find((o) => o.id === 'pension-deposit')!.value = 'much';
    const problems = catalogProblems(def as unknown as CatalogDef);
    expect(problems).toHaveLength(3);
    expect(problems.some((p) => p.startsWith('campaigns[atm-shortfall].channels'))).toBe(true);
    expect(problems.some((p) => p.startsWith('campaigns[lunch-restaurant].priority'))).toBe(true);
    expect(problems.some((p) => p.startsWith('offers[pension-deposit].value'))).toBe(true);
  });
});
