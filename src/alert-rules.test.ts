import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from './metrics.js';
import { packageRoot } from './paths.js';
import { GatewayClient, startTestKairos, uid } from './test-support/test-kairos.js';
import { isExecutable, toolPath } from './test-provision/tool-path.js';

/**
 * The Prometheus rules (prometheus/rules.yml) with Debian's promtool (`npm test` installs the
 * `prometheus` package when it is missing): they load (`promtool check rules`), each alert
 * fires on its unit test's series and not on the healthy ones (`promtool test rules`), each
 * names a runbook that exists, and every metric they read is one Kairos exports; and a real
 * scrape of a running Kairos passes `promtool check metrics` (Prometheus's naming rules).
 */

const root = packageRoot();
const rulesFile = join(root, 'prometheus', 'rules.yml');
const testsFile = join(root, 'prometheus', 'rules.test.yml');
const promtool = toolPath('promtool');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  annotations?: Record<string, string>;
}
const groups = (parse(readFileSync(rulesFile, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> }).groups;
const rules = groups.flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert !== undefined);

/** promtool run with `args` (and `input` on its stdin); a missing promtool fails, never skips. */
function run(args: string[], input?: string): { status: number | null; out: string } {
  if (!isExecutable(promtool)) throw new Error(`promtool is not installed at ${promtool}: npm test installs Debian's "prometheus" package`);
  const r = spawnSync(promtool, args, { cwd: join(root, 'prometheus'), encoding: 'utf8', timeout: 60_000, ...(input === undefined ? {} : { input }) });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('the Prometheus rules', () => {
  it('load, and each alert fires on its series and stays silent on healthy ones (promtool)', () => {
    const check = run(['check', 'rules', rulesFile]);
    expect(check.status, check.out).toBe(0);
    expect(check.out).toContain(`SUCCESS: ${rules.length} rules found`);
    const tests = run(['test', 'rules', testsFile]);
    expect(tests.status, tests.out).toBe(0);
    expect(tests.out).toContain('SUCCESS');
  });

  it('test every alert, each with a runbook that exists', () => {
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    const tested = readFileSync(testsFile, 'utf8');
    const index = readFileSync(join(root, 'docs', 'runbooks', 'README.md'), 'utf8');
    for (const a of alerts) {
      expect(tested, `${a.alert} has no promtool test`).toContain(`alertname: ${a.alert}`);
      // absolute, under the documented base a deployer replaces (docs/operations.md#alerts, docs/deploy.md)
      const url = a.annotations?.runbook_url ?? '';
      expect(url, a.alert).toMatch(/^https:\/\/kairos\.invalid\/docs\/runbooks\/[A-Za-z]+\.md$/);
      const file = join(root, new URL(url).pathname);
      expect(existsSync(file), `${a.alert}: ${url}`).toBe(true);
      expect(readFileSync(file, 'utf8')).toContain(a.alert!);
      expect(index).toContain(a.alert!);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
    }
    for (const doc of ['operations.md', 'deploy.md']) expect(readFileSync(join(root, 'docs', doc), 'utf8'), doc).toContain('https://kairos.invalid');
  });

  it('read only metrics Kairos exports', async () => {
    const declared = new Set((await createMetrics().registry.getMetricsAsJSON()).map((x) => x.name));
    const recorded = new Set(rules.flatMap((r) => (r.record === undefined ? [] : [r.record])));
    for (const r of rules) {
      for (const name of r.expr.match(/\bkairos_[a-z_]+/g) ?? []) {
        const base = name.replace(/_(bucket|count|sum)$/, '');
        expect(declared.has(name) || declared.has(base), `${r.alert ?? r.record}: ${name}`).toBe(true);
      }
      for (const name of r.expr.match(/\bkairos:[a-z_:0-9]+/g) ?? []) expect(recorded.has(name), `${r.alert ?? r.record}: ${name}`).toBe(true);
    }
  });

  it("a real scrape passes promtool check metrics (no gauge named _total, every counter's _total)", async () => {
    const k = await startTestKairos({ config: { store: 'memory', logLevel: 'warn' } });
    try {
      // A decision over WebSocket and one over HTTP, an error: the labelled series are there too.
      const gw = await GatewayClient.connect(k.wsUrl);
      await gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { card: 'card-19' }, channel: 'atm', data: { requested: 1000, balance: 800 } });
      await gw.request({ t: 'event', id: uid(), type: 42 });
      gw.close();
      const http = await fetch(`${k.httpUrl}/v1/events`, { method: 'POST', headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json' }, body: JSON.stringify({ id: uid(), type: 'ib.login', customer: { id: 'demo-20' }, channel: 'ib' }) });
      expect(http.status).toBe(200);
      const scrape = await (await fetch(`${k.httpUrl}/metrics`)).text();
      expect(scrape).toMatch(/^kairos_decision_duration_seconds_count\{kind="http"\} 1$/m);
      const check = run(['check', 'metrics'], scrape);
      expect(check.status, check.out).toBe(0);
    } finally {
      await k.close();
    }
  });
});
