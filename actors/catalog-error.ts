/**
 * An invalid catalog definition. `path` names the field (`campaigns[2].groups[0].when.attr`),
 * so the marketer (or the admin API's 400 answer) can see what to fix.
 */
export class CatalogError extends Error {
  override readonly name = 'CatalogError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}
