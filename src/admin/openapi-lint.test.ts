import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestKairos } from '../test-support/test-kairos.js';
import { startTestKairos } from '../test-support/test-kairos.js';

/** The served document passes a real linter: Redocly's recommended rules (redocly.yaml at the root), no errors. */

const root = resolve(import.meta.dirname, '../..');

let k: TestKairos;
const dir = mkdtempSync(join(tmpdir(), 'kairos-openapi-'));
beforeAll(async () => {
  k = await startTestKairos({ config: { store: 'memory', publicUrl: 'https://kairos.bank.test' } });
});
afterAll(async () => {
  await k.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the served OpenAPI document', () => {
  it('lints clean with redocly lint', async () => {
    const res = await fetch(`${k.httpUrl}/v1/openapi.json`);
    expect(res.status).toBe(200);
    const file = join(dir, 'openapi.json');
    writeFileSync(file, await res.text());
    const r = spawnSync(join(root, 'node_modules/.bin/redocly'), ['lint', '--config', join(root, 'redocly.yaml'), '--format', 'json', file], {
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });
    const report = JSON.parse(r.stdout) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string; severity: string }> };
    expect(report.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals.errors).toBe(0);
    expect(r.status).toBe(0);
  }, 120_000);
});
