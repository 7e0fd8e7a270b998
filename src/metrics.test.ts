import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deliveryChannels } from '../actors/index.js';
import { RUN_STAGES } from './admin/outbound-routes.js';
import { errorCatalog } from './errors.js';
import { channelLabel, createMetrics, outcomeLabel } from './metrics.js';
import { packageRoot } from './paths.js';
import { FUNNEL_STAGES } from './runtime/funnel-ledger.js';
import type { RunState } from './runtime/outbound-runs.js';

describe('metrics', () => {
  it('declares every name with the kairos_ prefix', async () => {
    const m = createMetrics();
    const names = (await m.registry.getMetricsAsJSON()).map((x) => x.name);
    expect(names.length).toBeGreaterThan(20);
    expect(names.every((n) => /^kairos_[a-z0-9_]+$/.test(n))).toBe(true);
  });

  it('keeps labels bounded', () => {
    expect(channelLabel('atm')).toBe('atm');
    expect(channelLabel(undefined)).toBe('none');
    expect(channelLabel('some-new-gateway-42')).toBe('other');
    // every channel the catalog and the outbox know is a label of its own (the back office too)
    for (const c of deliveryChannels) expect(channelLabel(c)).toBe(c);
    expect(outcomeLabel('accepted')).toBe('accepted');
    expect(outcomeLabel('maybe-later')).toBe('other');
  });

  it('counts the time the event loop is busy, not the time it waits', async () => {
    const m = createMetrics();
    const busy = async (): Promise<number> => (await m.eventLoopBusy.get()).values[0]?.value ?? 0;
    const b0 = await busy();
    // 300 ms waiting on a timer: hardly busy.
    await new Promise((r) => setTimeout(r, 300));
    const b1 = await busy();
    expect(b1 - b0).toBeLessThan(0.15);
    // 300 ms of work on the loop: busy for (about) all of it.
    const until = performance.now() + 300;
    while (performance.now() < until);
    await new Promise((r) => setImmediate(r));
    const b2 = await busy();
    expect(b2 - b1).toBeGreaterThan(0.25);
    expect(b2 - b1).toBeLessThan(1);
  });

  it('dashboards query only metrics Kairos declares', async () => {
    const declared = new Set((await createMetrics().registry.getMetricsAsJSON()).map((x) => x.name));
    const dir = join(packageRoot(), 'grafana', 'dashboards');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const dash = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
      for (const panel of dash.panels) {
        expect(panel.targets.length, panel.title).toBeGreaterThan(0);
        for (const t of panel.targets) {
          const used = t.expr.match(/kairos_[a-z0-9_]+/g) ?? [];
          expect(used.length, `${f}: ${panel.title}`).toBeGreaterThan(0);
          for (const name of used) {
            const base = name.replace(/_(bucket|sum|count)$/, '');
            expect(declared.has(name) || declared.has(base), `${f}: "${panel.title}" uses ${name}`).toBe(true);
          }
        }
      }
    }
  });

  it('dashboards and alert rules select only label values Kairos exports', () => {
    const { registry } = createMetrics();
    const channel = (v: string): boolean => channelLabel(v) === v || v === 'other';
    const outcome = (v: string): boolean => outcomeLabel(v) === v || v === 'other';
    const among =
      (...values: readonly string[]) =>
      (v: string): boolean =>
        values.includes(v);
    const states: Record<RunState, true> = { running: true, paused: true, waiting: true, done: true, cancelled: true };
    // The fixed values each bounded label takes where the code sets it (a label a query selects
    // that is missing here fails: add its values). `le`: the histogram's bucket bounds.
    const known: Record<string, Record<string, (v: string) => boolean>> = {
      kairos_events_total: { channel },
      kairos_contacts_total: { channel },
      kairos_outbox_queued_total: { channel },
      kairos_outbox_pending: { channel },
      kairos_outbox_lag_seconds: { channel },
      kairos_deliveries_total: { channel, result: among('pushed', 'delivered', 'failed', 'retry', 'dead', 'suppressed') },
      kairos_responses_total: { outcome },
      kairos_decisions_total: { outcome: among('offer', 'silent', 'duplicate') },
      // websocket-gateway.ts (event, response frames), events-route.ts (POST /v1/events)
      kairos_decision_duration_seconds: { kind: among('event', 'response', 'http') },
      kairos_errors_total: { code: among(...Object.keys(errorCatalog)) },
      kairos_actor_activations_total: { source: among('snapshot', 'profile', 'new') },
      kairos_actor_activation_seconds: { source: among('snapshot', 'profile', 'new') },
      kairos_actor_passivations_total: { reason: among('lru', 'idle', 'memory') },
      kairos_reminders_fired_total: { kind: among('expiry', 'followup', 'catalog', 'deferred', 'callback', 'lead', 'segments') },
      kairos_store_conflicts_total: { kind: among('refused', 'reloaded') },
      kairos_campaign_funnel: { stage: among(...FUNNEL_STAGES) },
      kairos_outbound_run: { stage: among('selected', ...RUN_STAGES) },
      kairos_outbound_run_state: { state: among(...Object.keys(states)) },
      kairos_campaign_uplift_contacts: { group: among('treated', 'control') },
      kairos_campaign_uplift_conversions: { group: among('treated', 'control') },
      kairos_model_outcomes: { arm: among('model', 'random'), label: among('positive', 'negative') },
      kairos_model_campaign_lift: { bound: among('estimate', 'low', 'high') },
    };
    const queries: Array<{ where: string; expr: string }> = [];
    const dir = join(packageRoot(), 'grafana', 'dashboards');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
      const dash = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
      for (const panel of dash.panels) for (const t of panel.targets) queries.push({ where: `${f}: "${panel.title}"`, expr: t.expr });
    }
    const rules = (parse(readFileSync(join(packageRoot(), 'prometheus', 'rules.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }> }).groups.flatMap((g) => g.rules);
    for (const r of rules) queries.push({ where: `rules.yml: ${r.alert ?? r.record}`, expr: r.expr });
    let checked = 0;
    for (const { where, expr } of queries) {
      for (const [, name, matchers] of expr.matchAll(/\b(kairos_[a-z0-9_]+)\{([^}]*)\}/g)) {
        const bucket = name!.endsWith('_bucket');
        const base = name!.replace(/_(bucket|sum|count)$/, '');
        const metric = registry.getSingleMetric(name!) ?? registry.getSingleMetric(base);
        expect(metric, `${where}: ${name}`).toBeDefined();
        const labelNames = (metric as unknown as { labelNames: string[] }).labelNames;
        for (const [, label, op, value] of matchers!.matchAll(/([a-z_]+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
          if (label === 'instance' || label === 'job') continue;
          const at = `${where}: ${name}{${label}${op}"${value}"}`;
          if (label === 'le') {
            expect(bucket, at).toBe(true);
            expect((metric as unknown as { upperBounds: number[] }).upperBounds.map(String), at).toContain(value);
            continue;
          }
          expect(labelNames, at).toContain(label);
          // (a Grafana variable, `$campaign`, is whatever the series hold)
          const values = (op === '=~' || op === '!~' ? value!.split('|') : [value!]).filter((v) => /^[A-Za-z0-9_.-]+$/.test(v));
          if (values.length === 0) continue;
          const ok = known[base]?.[label!];
          expect(ok, `${at}: the values of ${base}'s "${label}" are not listed in this test`).toBeDefined();
          for (const v of values) {
            expect(ok!(v), `${at}: "${v}" is never exported`).toBe(true);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it("the ops dashboard's latency shows every kind of request: WebSocket events and responses, POST /v1/events", () => {
    const dash = JSON.parse(readFileSync(join(packageRoot(), 'grafana', 'dashboards', 'kairos-ops.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const latency = dash.panels.flatMap((p) => p.targets.filter((t) => t.expr.includes('kairos_decision_duration_seconds')).map((t) => ({ title: p.title, expr: t.expr })));
    expect(latency.length).toBeGreaterThan(0);
    for (const t of latency) {
      expect(t.expr, t.title).not.toMatch(/\bkind\s*=/);
      expect(t.expr, t.title).toMatch(/by \(le, kind\)/);
    }
  });

  it("docs/operations.md's metrics table lists every metric Kairos declares, with its labels", async () => {
    const { registry } = createMetrics();
    const doc = readFileSync(join(packageRoot(), 'docs', 'operations.md'), 'utf8');
    const rows = new Map<string, { type: string; labels: string }>();
    for (const [, name, type, labels] of doc.matchAll(/^\| `(kairos_[a-z0-9_]+)` \|\s*([a-z]*)\s*\|([^|]*)\|/gm)) rows.set(name!, { type: type!, labels: labels! });
    let checked = 0;
    for (const x of await registry.getMetricsAsJSON()) {
      // (prom-client's process and Node.js metrics: one row for them all)
      if (x.name.startsWith('kairos_process_') || x.name.startsWith('kairos_nodejs_')) continue;
      const row = rows.get(x.name);
      expect(row, `${x.name} has no row in docs/operations.md's metrics table`).toBeDefined();
      expect(row!.type, x.name).toBe(x.type);
      const documented = [...row!.labels.trim().matchAll(/(?:^|[,;] )`([a-z]+)`/g)].map((m) => m[1]);
      for (const label of (registry.getSingleMetric(x.name) as unknown as { labelNames: string[] }).labelNames) expect(documented, `${x.name}'s label "${label}"`).toContain(label);
      checked++;
    }
    expect(checked).toBeGreaterThan(40);
    for (const name of rows.keys()) expect(registry.getSingleMetric(name), `docs/operations.md documents ${name}, which Kairos does not declare`).toBeDefined();
  });

  it('documents every funnel stage and reminder kind in the metrics table', () => {
    const doc = readFileSync(join(packageRoot(), 'docs', 'operations.md'), 'utf8');
    const row = (name: string): string => doc.split('\n').find((l) => l.startsWith(`| \`${name}\` |`)) ?? '';
    for (const stage of FUNNEL_STAGES) expect(row('kairos_campaign_funnel'), stage).toContain(`\`${stage}\``);
    for (const stage of RUN_STAGES) expect(row('kairos_outbound_run'), stage).toContain(`\`${stage}\``);
  });
});
