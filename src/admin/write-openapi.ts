import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { packageRoot, packageVersion } from '../paths.js';
import { openApiDocument } from './openapi.js';

/**
 * The OpenAPI document as checked-in files, made from the declared operations without a
 * running server: `schemas/openapi.json`, and the console's typed client's types
 * (`console/src/api/schema.d.ts`, by openapi-typescript), so the console stops type-checking
 * when the API changes. `npm run build` and `npm run schemas` run it; a test keeps both current.
 */

export const OPENAPI_FILE = 'schemas/openapi.json';
export const CONSOLE_SCHEMA_FILE = 'console/src/api/schema.d.ts';

/** The document's text, as `GET /v1/openapi.json` serves it (without a public URL). */
export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(packageVersion()), null, 2)}\n`;
}

/** The console's API types, generated from the document. */
export async function consoleSchemaText(documentText = openApiText()): Promise<string> {
  const ast = await openapiTS(JSON.parse(documentText) as Parameters<typeof openapiTS>[0]);
  return `// Generated from the OpenAPI document by src/admin/write-openapi.ts (npm run schemas): do not edit.\n\n${astToString(ast)}`;
}

/** Writes both files under the package root; their paths. */
export async function writeOpenApi(root = packageRoot()): Promise<string[]> {
  const text = openApiText();
  writeFileSync(join(root, OPENAPI_FILE), text);
  writeFileSync(join(root, CONSOLE_SCHEMA_FILE), await consoleSchemaText(text));
  return [OPENAPI_FILE, CONSOLE_SCHEMA_FILE];
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const file of await writeOpenApi()) process.stdout.write(`wrote ${file}\n`);
}
