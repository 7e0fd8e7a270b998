import type { CatalogDef } from '../actors/index.js';
import { defaultPolicy } from '../actors/index.js';

/** The catalog in force with no demo and no catalog file: no campaigns (Kairos stays silent), the default policy. */
export const emptyCatalog: CatalogDef = {
  version: 1,
  features: [],
  segments: [],
  offers: [],
  campaigns: [],
  partners: [],
  places: [],
  policy: defaultPolicy,
};
