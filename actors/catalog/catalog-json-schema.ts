import { schemaOwnKeywords } from '../schema-problem.js';
import { CatalogDefSchema } from './definition-schema.js';

/** Where the generated document lives in the repository, and its `$id`. */
export const CATALOG_SCHEMA_PATH = 'schemas/catalog.schema.json';

/** A TypeBox schema as plain JSON Schema (draft 2020-12): its own keywords dropped (TypeBox's symbol keys are not enumerable). */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!schemaOwnKeywords.has(k)) out[k] = plain(v);
  // A tuple as draft 2020-12 writes it: `prefixItems`, and `items: false` for no more.
  if (Array.isArray(out.items)) {
    out.prefixItems = out.items;
    out.items = false;
    delete out.additionalItems;
  }
  return out;
}

/**
 * The JSON Schema (draft 2020-12) of a catalog YAML file, generated from `CatalogDefSchema`:
 * what yaml-language-server reads to complete and flag a marketer's fields. Written to
 * `schemas/catalog.schema.json` by `node dist/src/catalog/write-catalog-schema.js`.
 */
export function catalogJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://kairos.local/${CATALOG_SCHEMA_PATH}`,
    ...(plain(CatalogDefSchema) as Record<string, unknown>),
  };
}

/** The document as the checked-in file holds it: two-space JSON and a final newline. */
export function catalogJsonSchemaText(): string {
  return `${JSON.stringify(catalogJsonSchema(), null, 2)}\n`;
}
