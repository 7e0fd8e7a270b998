import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CatalogError, compileCatalog } from '../../actors/index.js';
import { demoCatalogPath } from '../paths.js';
import { GatewayClient, adminHeaders, startTestKairos, tempDir } from '../test-support/test-kairos.js';
import { loadCatalogFile, parseCatalogText } from './catalog-file.js';

describe('catalog files', () => {
  it('reads the demo catalog, which compiles', () => {
    const catalog = compileCatalog(loadCatalogFile(demoCatalogPath()));
    expect(catalog.campaigns.map((c) => c.id)).toEqual(['atm-shortfall', 'pension-deposit', 'pension-deposit-followup', 'lunch-restaurant', 'idle-balance-rate', 'warm-lead-callback', 'insurance-renewal']);
    expect(catalog.scores.get('lead_score')?.terms).toHaveLength(5);
    expect(catalog.policy.caps).toHaveLength(2);
  });

  it('names the line of a syntax error, a duplicate key, or a file that is not a map', () => {
    const problem = (text: string): string => {
      try {
        parseCatalogText(text, 'f.yaml');
      } catch (err) {
        if (err instanceof CatalogError) return err.message;
        throw err;
      }
      return 'parsed';
    };
    expect(problem('version: 1\nversion: 2\n')).toMatch(/^f\.yaml:2:1: Map keys must be unique/);
    expect(problem('- a\n- b\n')).toBe('f.yaml: must hold one catalog (a map)');
    expect(problem('a: "unclosed\n')).toMatch(/^f\.yaml:\d+:\d+: /);
    expect(() => loadCatalogFile('/nonexistent/catalog.yaml')).toThrow(/cannot be read/);
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
