import type { CatalogDef } from '../actors/index.js';
import { demoCatalog } from './demo/demo-catalog.js';

/**
 * The catalog in force when the demo is off and no catalog is defined: no campaigns (Kairos
 * stays silent), and the default contact policy: Moscow time, at most one marketing
 * contact per customer per channel per day.
 */
export const emptyCatalog: CatalogDef = {
  version: 0,
  features: [],
  segments: [],
  offers: [],
  campaigns: [],
  partners: [],
  places: [],
  policy: demoCatalog.policy,
};
