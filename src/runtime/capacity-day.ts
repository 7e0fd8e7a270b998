import type { Catalog } from '../../actors/index.js';
import { localTime } from '../../actors/index.js';

/** The day channel capacity counts in: the policy's default time zone's, by the server clock. */
export function capacityDay(catalog: Catalog, now: number): number {
  return localTime(now, catalog.policy.defaultTimezone).epochDay;
}
