import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import { CONSOLE_SCHEMA_FILE, OPENAPI_FILE, consoleSchemaText, openApiText } from './write-openapi.js';

/** The checked-in OpenAPI document and the console's types made from it are those the operations make now. */
describe('the OpenAPI files', () => {
  it('schemas/openapi.json is the document the operations make', () => {
    expect(readFileSync(join(packageRoot(), OPENAPI_FILE), 'utf8'), `${OPENAPI_FILE} is stale: run npm run schemas`).toBe(openApiText());
  });

  it("console/src/api/schema.d.ts is openapi-typescript's output for it", async () => {
    expect(readFileSync(join(packageRoot(), CONSOLE_SCHEMA_FILE), 'utf8'), `${CONSOLE_SCHEMA_FILE} is stale: run npm run schemas`).toBe(await consoleSchemaText());
  });
});
