import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../free-port.js';
import { packageRoot } from '../paths.js';
import { toolPath } from '../test-provision/tool-path.js';
import { until } from './test-kairos.js';

/**
 * Debian's Prometheus for the dashboard tests (`npm test` installs the package when missing):
 * started on a free port scraping the given Kairos targets every second, and the dashboards'
 * queries with their variables filled in as Grafana would (all nodes, all campaigns).
 */

export const promBin = toolPath('prometheus');
export const havePrometheus = existsSync(promBin);

export interface TestPrometheus {
  port: number;
  query: (expr: string) => Promise<PromResult>;
  /** what it printed, for a failure's message */
  output: () => string;
  close: () => void;
}

export interface PromResult {
  status: string;
  data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  error?: string;
}

export async function startPrometheus(targets: readonly string[], dir: string): Promise<TestPrometheus> {
  if (!havePrometheus) throw new Error(`Prometheus is not installed at ${promBin}: npm test installs Debian's "prometheus" package (or set KAIROS_PROMETHEUS_BIN)`);
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    ['global:', '  scrape_interval: 1s', '  evaluation_interval: 1s', 'scrape_configs:', '  - job_name: kairos', '    static_configs:', `      - targets: [${targets.map((t) => `"${t}"`).join(', ')}]`, ''].join('\n'),
  );
  let output = '';
  const prom: ChildProcess = spawn(promBin, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  prom.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  prom.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const query = async (expr: string): Promise<PromResult> => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await res.json()) as PromResult;
  };
  await until(
    'Prometheus ready',
    async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok ? true : undefined;
      } catch {
        return undefined;
      }
    },
    30_000,
  );
  return { port, query, output: () => output, close: () => void prom.kill('SIGTERM') };
}

interface Panel {
  title?: string;
  datasource?: unknown;
  targets?: Array<{ expr?: string; datasource?: unknown }>;
  panels?: Panel[];
}

export interface DashboardQuery {
  dashboard: string;
  panel: string;
  /** as written, with Grafana's variables */
  expr: string;
  datasources: unknown[];
}

export const dashboardFiles = ['kairos-ops.json', 'kairos-marketing.json'] as const;

/** A dashboard's JSON. */
export function dashboard(file: string): { panels: Panel[]; templating?: { list: Array<{ name: string; type: string; query?: unknown }> } } {
  return JSON.parse(readFileSync(join(packageRoot(), 'grafana', 'dashboards', file), 'utf8')) as { panels: Panel[]; templating?: { list: Array<{ name: string; type: string }> } };
}

/** Every (dashboard, panel, query) in grafana/dashboards. */
export function dashboardQueries(): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const file of dashboardFiles) {
    const walk = (panels: readonly Panel[]): void => {
      for (const p of panels) {
        for (const t of p.targets ?? []) if (typeof t.expr === 'string') out.push({ dashboard: file, panel: p.title ?? '?', expr: t.expr, datasources: [p.datasource, t.datasource] });
        walk(p.panels ?? []);
      }
    };
    walk(dashboard(file).panels);
  }
  return out;
}

/** A query as Grafana sends it with every node and every campaign chosen, the rate window `rateInterval`. */
export function expand(expr: string, rateInterval = '1m'): string {
  return expr.replaceAll('$__rate_interval', rateInterval).replaceAll('"$instance"', '".*"').replaceAll('"$campaign"', '".*"');
}
