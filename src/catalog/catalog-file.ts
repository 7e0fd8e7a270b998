import { readFileSync } from 'node:fs';
import { YAMLParseError, parse } from 'yaml';
import type { CatalogDef } from '../../actors/index.js';
import { CatalogError } from '../../actors/index.js';

/**
 * Catalog files: the catalog as YAML (or JSON, which is YAML), the form a marketer reads and
 * reviews. Syntax errors name the line; everything else is checked by compileCatalog.
 */
export function parseCatalogText(text: string, source: string): CatalogDef {
  let value: unknown;
  try {
    value = parse(text, { uniqueKeys: true, prettyErrors: true });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      throw new CatalogError(pos === undefined ? source : `${source}:${pos.line}:${pos.col}`, err.message.split('\n')[0] ?? 'not valid YAML');
    }
    throw err;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CatalogError(source, 'must hold one catalog (a map)');
  return value as CatalogDef;
}

export function loadCatalogFile(path: string): CatalogDef {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CatalogError(path, `cannot be read: ${(err as Error).message}`);
  }
  return parseCatalogText(text, path);
}
