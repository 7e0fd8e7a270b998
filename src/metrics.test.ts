import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deliveryChannels } from '../actors/index.js';
import { channelLabel, createMetrics, outcomeLabel } from './metrics.js';
import { packageRoot } from './paths.js';

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
});
