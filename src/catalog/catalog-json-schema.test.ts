import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { catalogJsonSchema, catalogJsonSchemaText } from '../../actors/index.js';
import { demoCatalogPath } from '../paths.js';
import { catalogSchemaFile } from './write-catalog-schema.js';
import { WarmLeadsDefSchema } from '../../actors/catalog/definition-schema.js';

/** ajv, a validator independent of TypeBox, on the checked-in document. */
function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  return ajv.compile(JSON.parse(readFileSync(catalogSchemaFile(), 'utf8')) as object);
}

const demo = (): Record<string, any> => parse(readFileSync(demoCatalogPath(), 'utf8')) as Record<string, any>;

describe('catalog JSON Schema', () => {
  it('is the checked-in schemas/catalog.schema.json', () => {
    expect(readFileSync(catalogSchemaFile(), 'utf8'), 'schemas/catalog.schema.json is stale: run `npm run schemas`').toBe(
      catalogJsonSchemaText(),
    );
    expect(catalogJsonSchema()).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' });
  });

  it('is what demo/catalog.yaml names for editors', () => {
    expect(readFileSync(demoCatalogPath(), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/catalog.schema.json');
  });

  it('validates demo/catalog.yaml with ajv', () => {
    const validate = validator();
    expect(validate(demo()), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects a misspelled field, naming where', () => {
    const validate = validator();
    const def = demo();
    def.campaigns[0].expiresin = def.campaigns[0].expiresIn ?? '1d';
    expect(validate(def)).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath: '/campaigns/0', keyword: 'additionalProperties', params: { additionalProperty: 'expiresin' } }));
  });

  it('rejects a wrong type and an unknown channel, naming the path', () => {
    const validate = validator();
    const def = demo();
    def.offers[1].value = 'a lot';
    def.campaigns[1].channels = ['fax'];
    expect(validate(def)).toBe(false);
    const paths = validate.errors?.map((e) => e.instancePath);
    expect(paths).toContain('/offers/1/value');
    expect(paths).toContain('/campaigns/1/channels/0');
  });
});

describe("a waves campaign's warm-lead threshold", () => {
  it('has the bounds docs/outbound.md gives it: 1 to 100 (0 would make every call a warm lead)', () => {
    const row = readFileSync(new URL('../../docs/outbound.md', import.meta.url), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('| `waves.warmLeads.threshold` |'));
    const documented = /\((\d+) to (\d+)\)/.exec(row ?? '');
    expect(documented, row).not.toBeNull();
    const { minimum, maximum, description } = WarmLeadsDefSchema.properties.threshold;
    expect([Number(documented![1]), Number(documented![2])]).toEqual([minimum, maximum]);
    expect([minimum, maximum]).toEqual([1, 100]);
    expect(description).toContain(`(${minimum}..${maximum})`);
    // and the checked-in JSON Schema an editor reads says the same
    const validate = validator();
    for (const [threshold, ok] of [[0, false], [1, true], [100, true], [101, false]] as const) {
      const def = demo();
      const calls = def.campaigns.find((c: any) => c.outbound?.waves?.warmLeads !== undefined);
      calls.outbound.waves.warmLeads.threshold = threshold;
      expect(validate(def), String(threshold)).toBe(ok);
    }
  });
});
