import type { CatalogDef } from '../../actors/index.js';
import { compileCatalog, isInvalidDefinition } from '../../actors/index.js';
import { namePaths } from './catalog-service.js';

const ITEMS = /^(features|segments|offers|campaigns|partners|places|reminders)\[(\d+)\]/;

/**
 * Every problem of a catalog, not only the first (`kairos catalog check`): the catalog is
 * compiled, and each time an item fails (a campaign, an offer…) its problem is noted, the item
 * set aside and the rest compiled again, until it compiles or a problem outside the items (the
 * policy, the file's frame) stops the walk. A problem that only follows from an item set aside
 * (a campaign naming an offer that failed) is not noted again. At most `max` problems.
 */
export function catalogProblems(def: CatalogDef, max = 100): string[] {
  const problems: string[] = [];
  const setAside = new Set<string>();
  const d = structuredClone(def) as Record<string, unknown>;
  while (problems.length < max) {
    try {
      compileCatalog(d as CatalogDef);
      return problems;
    } catch (err) {
      if (!isInvalidDefinition(err)) throw err;
      const follows = [...setAside].some((id) => err.problem.includes(`"${id}"`));
      if (!follows) problems.push(`${namePaths(d as CatalogDef, err.path)}: ${err.problem}`);
      const m = ITEMS.exec(err.path);
      const list = m === null ? undefined : d[m[1]!];
      if (m === null || !Array.isArray(list)) return problems;
      const [item] = list.splice(Number(m[2]), 1) as Array<{ id?: unknown } | undefined>;
      if (typeof item?.id === 'string') setAside.add(item.id);
    }
  }
  return problems;
}
