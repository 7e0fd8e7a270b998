import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CATALOG_SCHEMA_PATH, catalogJsonSchemaText } from '../../actors/index.js';
import { packageRoot } from '../paths.js';

/** The repository's copy of the catalog JSON Schema. */
export function catalogSchemaFile(): string {
  return join(packageRoot(), CATALOG_SCHEMA_PATH);
}

/** Regenerates schemas/catalog.schema.json from the TypeBox definitions: `npm run build && node dist/src/catalog/write-catalog-schema.js`. */
export function writeCatalogSchema(file = catalogSchemaFile()): string {
  writeFileSync(file, catalogJsonSchemaText());
  return file;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`wrote ${writeCatalogSchema()}\n`);
}
