import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isInvalidDefinition, compileCatalog } from '../../actors/index.js';
import { demoCatalogPath } from '../paths.js';
import { GatewayClient, adminHeaders, startTestKairos, tempDir } from '../test-support/test-kairos.js';
import { MAX_CATALOG_ALIASES, MAX_CATALOG_TEXT_LENGTH, loadCatalogFile, parseCatalogText } from './catalog-file.js';

const problem = (text: string): string => {
  try {
    parseCatalogText(text, 'f.yaml');
  } catch (err) {
    if (isInvalidDefinition(err)) return err.message;
    throw err;
  }
  return 'parsed';
};

/** Nine lists of nine aliases to the list before: 9^9 strings if expanded. */
function billionLaughs(): string {
  const lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  let prev = 'a';
  for (const name of 'bcdefghi') {
    lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    prev = name;
  }
  return `${lines.join('\n')}\n`;
}

describe('catalog files', () => {
  it('reads the demo catalog, which compiles', () => {
    const catalog = compileCatalog(loadCatalogFile(demoCatalogPath()));
    expect(catalog.campaigns.map((c) => c.id)).toEqual(['atm-shortfall', 'pension-deposit', 'pension-deposit-followup', 'pension-deposit-run', 'credit-card-calls', 'credit-card-warm-lead', 'lunch-restaurant', 'idle-balance-rate', 'warm-lead-callback', 'insurance-renewal', 'retention-cashback']);
    expect(catalog.scores.get('lead_score')?.terms).toHaveLength(5);
    expect(catalog.policy.caps).toHaveLength(2);
  });

  it('reads an offer\'s `model` from YAML, and names a mistaken one (docs/learning.md)', () => {
    const demo = readFileSync(demoCatalogPath(), 'utf8');
    const withModel = (model: string): string =>
      `${demo}\n`.replace(/^offers:\n/m, `offers:\n  - id: learning-test\n    name: Test\n    value: 1\n    templates: { sms: { text: "x" } }\n    model:\n${model}\n`);
    const yaml = withModel(['      ignore: [data.requestId, cal.*]', '      bins: { data.amount: [1000, 5000], data.code: category }', '      crosses:', '        - [data.contact, cal.month]'].join('\n'));
    const catalog = compileCatalog(parseCatalogText(yaml, 'f.yaml'));
    expect(catalog.offers.get('learning-test')?.model).toEqual({
      ignore: ['data.requestId', 'cal.*'],
      bins: new Map<string, unknown>([['data.amount', { kind: 'steps', steps: [1000, 5000] }], ['data.code', { kind: 'category' }]]),
      crosses: [['data.contact', 'cal.month']],
    });
    const mistaken = withModel('      crosses: [[data.contact, colour]]');
    expect(() => compileCatalog(parseCatalogText(mistaken, 'f.yaml'))).toThrow(/offers\[0\]\.model\.crosses\[0\]\[1\]: unknown model input "colour"/);
  });

  it('names the line of a syntax error, a duplicate key, or a file that is not a map', () => {
    expect(problem('version: 1\nversion: 2\n')).toMatch(/^f\.yaml:2:1: Map keys must be unique/);
    expect(problem('- a\n- b\n')).toBe('f.yaml: must hold one catalog (a map)');
    expect(problem('a: "unclosed\n')).toMatch(/^f\.yaml:\d+:\d+: /);
    expect(() => loadCatalogFile('/nonexistent/catalog.yaml')).toThrow(/cannot be read/);
  });

  it('refuses an alias bomb, too many aliases, and an alias to nothing, without expanding them', () => {
    expect(problem(billionLaughs())).toBe('f.yaml: its aliases expand to too many values');
    expect(problem(`a: &x 1\nb: [${Array(MAX_CATALOG_ALIASES + 1).fill('*x').join(', ')}]\n`)).toBe(`f.yaml:2:${5 + 4 * MAX_CATALOG_ALIASES}: uses more than ${MAX_CATALOG_ALIASES} aliases`);
    // Under the count, but each alias stands for aliases: the parser's own weighted count refuses it.
    expect(problem('a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n')).toBe(
      'f.yaml: its aliases expand to too many values',
    );
    expect(problem('a: *nowhere\n')).toBe('f.yaml:1:4: alias *nowhere names no anchor set before it');
    expect(problem('a: [*b]\nb: &b 1\n')).toBe('f.yaml:1:5: alias *b names no anchor set before it');
    // A few aliases are fine.
    expect(problem('a: &x [1, 2]\nb: *x\nc: *x\n')).toBe('parsed');
    // An alias inside the value it names makes a cycle: read, then refused as nesting without end.
    const cyclic = parseCatalogText('a: &x [1, *x]\n', 'f.yaml') as unknown as { a: unknown[] };
    expect(cyclic.a[1]).toBe(cyclic.a);
    expect(() => compileCatalog(cyclic as never)).toThrow(/^a\[1\]\[1\].*: nests deeper than 100 levels$/);
  });

  it('refuses deep nesting and over-long texts, and finds repeated keys among thousands in one pass', () => {
    for (const depth of [101, 150, 500, 800, 1000, 5000, 30_000]) {
      expect(problem(`a: ${'['.repeat(depth)}${']'.repeat(depth)}\n`), String(depth)).toMatch(/^f\.yaml(:\d+:\d+)?: nests deeper than 100 levels$/);
      expect(problem(`a: ${'{b: '.repeat(depth)}1${'}'.repeat(depth)}\n`), String(depth)).toMatch(/^f\.yaml(:\d+:\d+)?: nests deeper than 100 levels$/);
    }
    expect(problem(`a: ${'['.repeat(98)}${']'.repeat(98)}\n`)).toBe('parsed');
    let block = 'a:\n';
    for (let i = 1; i <= 120; i++) block += `${' '.repeat(i)}- \n`;
    expect(problem(block)).toMatch(/^f\.yaml:\d+:\d+: nests deeper than 100 levels$/);
    const keys = Array.from({ length: 8000 }, (_, i) => `k${i}: 1`);
    expect(problem(`${keys.join('\n')}\n`)).toBe('parsed');
    expect(problem(`${keys.join('\n')}\nk17: 2\n`)).toBe('f.yaml:8001:1: Map keys must be unique: "k17" is repeated');
    expect(problem('a: {x: 1, "x": 2}\n')).toBe('f.yaml:1:11: Map keys must be unique: "x" is repeated');
    expect(problem(`a: "${'x'.repeat(MAX_CATALOG_TEXT_LENGTH)}"\n`)).toBe(`f.yaml: is ${MAX_CATALOG_TEXT_LENGTH + 6} characters long; a catalog may be at most ${MAX_CATALOG_TEXT_LENGTH}`);
  });

  it('seeds an empty store from a catalog file given in the configuration', async () => {
    const dir = tempDir();
    const file = join(dir.dir, 'catalog.yaml');
    writeFileSync(
      file,
      `version: 7
features: []
segments: []
offers:
  - id: hello
    name: Hello
    value: 1
    templates: { web: { title: "Здравствуйте", text: "Рады вас видеть." } }
campaigns:
  - { id: greet, name: Greet, status: active, offer: hello, channels: [web], trigger: { passive: true }, groups: [{ id: all, when: { attr: stage, op: eq, value: visitor }, responsePercent: 50 }] }
partners: []
places: []
policy:
  defaultTimezone: Asia/Yekaterinburg
  caps: [{ channel: "*", max: 5, window: 1d }]
  minResponsePercent: 1
  maxActions: 1
  expiresIn: 1h
  consentRequired: [sms]
  quietHours: { channels: [sms], weekdays: { from: "09:00", to: "21:00" }, weekends: { from: "10:00", to: "20:00" } }
  recency: { sameOfferDays: 0, sameCampaignDays: 0, afterDeclineDays: 0 }
  sessionExempt: []
`,
    );
    const k = await startTestKairos({ config: { store: 'memory', demo: false, catalogFile: file } });
    try {
      expect(k.logs).toContainEqual(expect.objectContaining({ msg: 'catalog seeded', version: 7, source: file }));
      const gw = await GatewayClient.connect(k.wsUrl);
      const d = await gw.request({ t: 'event', id: 'w-1', type: 'web.pageview', customer: { cookie: 'ck-1' }, channel: 'web' });
      expect(d.actions).toEqual([expect.objectContaining({ campaign: 'greet', content: { title: 'Здравствуйте', text: 'Рады вас видеть.', buttons: [] } })]);
      gw.close();
      const status = (await (await fetch(`${k.httpUrl}/v1/status`, { headers: adminHeaders })).json()) as Record<string, unknown>;
      expect(status.catalogVersion).toBe(7);
    } finally {
      await k.close();
      dir.remove();
    }
  });
});
