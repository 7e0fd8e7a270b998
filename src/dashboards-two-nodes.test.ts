import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRedisTests, startRedis } from './test-support/redis.js';
import { nodeApi, startRedisNode } from './test-support/redis-node.js';
import { dashboardQueries, expand, havePrometheus, promBin, startPrometheus } from './test-support/prometheus.js';
import type { Frame } from './test-support/test-kairos.js';
import { tempDir, until } from './test-support/test-kairos.js';

/**
 * The dashboards on two nodes of one Redis store, scraped by one Prometheus (Debian's
 * `prometheus` and `redis-server`, which `npm test` installs): the totals the store keeps for
 * all nodes (the campaign funnel here), which each node reports alike, show once, not once per
 * node; per-node work (events) adds up over the nodes.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const ci = process.env.CI === 'true';

describe.runIf(runRedisTests && (havePrometheus || ci))('the dashboards on two nodes', () => {
  it('show a store-wide total once, and per-node work summed', async () => {
    if (!havePrometheus) throw new Error(`Prometheus is not installed at ${promBin}: npm test installs Debian's "prometheus" package`);
    const redis = await startRedis();
    cleanups.push(() => redis.close());
    const data = tempDir();
    cleanups.push(data.remove);
    const prefix = `dash-${process.pid}`;
    const start = (name: string) => startRedisNode({ name, redisUrl: redis.url, prefix, dataDir: join(data.dir, name), env: { KAIROS_REMINDER_POLL_MS: '200' } }, cleanups);
    const a = await start('node-a');
    const b = await start('node-b');
    const noon = Date.parse('2026-11-24T12:00:00+03:00');
    await Promise.all([a, b].map((n) => nodeApi(n, 'POST', '/v1/clock', { now: noon })));
    const prom = await startPrometheus([a.http, b.http].map((u) => u.replace(/^http:\/\//, '')), data.dir);
    cleanups.push(() => prom.close());

    // Seniors log in to the internet bank, half through each node: the pension deposit offered.
    let offered = 0;
    for (let i = 0; i < 40; i++) {
      const n = i % 2 === 0 ? a : b;
      const reply = await n.gw.request({ t: 'event', id: `dash-${i}`, type: 'ib.login', customer: { id: `demo-${28_901 + i}` }, channel: 'ib' } satisfies Frame);
      expect(reply.t).toBe('decision');
      offered += (reply.actions as Frame[]).filter((x) => x.campaign === 'pension-deposit').length;
    }
    expect(offered).toBeGreaterThan(2);

    // Both nodes report the store's total (each reads the others' counts every second), and Prometheus has scraped it.
    const funnelOf = async (n: typeof a): Promise<number> => {
      const r = await nodeApi(n, 'GET', '/v1/reports/funnel?campaign=pension-deposit');
      return (r.rows as Array<{ offered: number }>).reduce((s, x) => s + x.offered, 0);
    };
    await until('both nodes report every offer', async () => ((await funnelOf(a)) === offered && (await funnelOf(b)) === offered ? true : undefined), 30_000);
    const perNode = 'kairos_campaign_funnel{campaign="pension-deposit", stage="offered"}';
    await until(
      'Prometheus scraped both nodes after the offers',
      async () => {
        const r = await prom.query(perNode);
        const values = (r.data?.result ?? []).map((s) => Number(s.value[1]));
        return values.length === 2 && values.every((v) => v === offered) ? true : undefined;
      },
      30_000,
    );

    // The marketing dashboard's funnel panel, as Grafana asks it (all nodes, all campaigns): once.
    const panel = dashboardQueries().find((q) => q.dashboard === 'kairos-marketing.json' && q.panel.startsWith('Funnel by campaign'))!;
    const shown = await prom.query(expand(panel.expr));
    const series = (shown.data?.result ?? []).find((s) => s.metric.campaign === 'pension-deposit' && s.metric.stage === 'offered');
    expect(Number(series?.value[1]), `${panel.expr}\n${prom.output().slice(-1000)}`).toBe(offered);
    // (a sum over the nodes would have shown it twice)
    const naive = await prom.query(`sum(${perNode})`);
    expect(Number(naive.data?.result[0]?.value[1])).toBe(2 * offered);

    // Per-node work adds up: the events the two nodes received, 40 in all.
    const events = await prom.query('sum(kairos_events_total{instance=~".*"})');
    expect(Number(events.data?.result[0]?.value[1])).toBe(40);
  }, 180_000);
});
