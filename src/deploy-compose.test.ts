import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configVariables } from './config.js';
import { packageRoot } from './paths.js';
import { isExecutable, toolPath } from './test-provision/tool-path.js';

/**
 * deploy/compose.yaml, offline (no Docker engine runs here): parsed, every reference checked
 * (the files it mounts, the build context, the ports, Kairos's variables, the services each
 * one names), then resolved by Debian's `docker-compose config` and its Prometheus
 * configuration by `promtool check config`.
 */

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  stop_grace_period?: string;
  stop_signal?: string;
  healthcheck?: { test: string[] };
}

const root = packageRoot();
const deployDir = join(root, 'deploy');
const composeFile = join(deployDir, 'compose.yaml');
const compose = parse(readFileSync(composeFile, 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const { kairos, redis, prometheus, grafana } = compose.services as Record<'kairos' | 'redis' | 'prometheus' | 'grafana', Service>;
const env = kairos.environment ?? {};
/** Secrets the file takes from the environment (`${VAR:?…}`), and values for them here. */
const secretsEnv = { KAIROS_GATEWAY_TOKENS: 'gw-token-east:sms', KAIROS_ADMIN_KEYS: 'admin-key-1', KAIROS_STOP_LIST_SECRET: 'stop-list-secret-0123', GRAFANA_ADMIN_PASSWORD: 'grafana-pass' };

/** A service's bind mounts (relative sources resolved against deploy/) and named volumes. */
function mounts(s: Service): Array<{ source: string; target: string; bind: boolean }> {
  return (s.volumes ?? []).map((v) => {
    const [source = '', target = ''] = v.split(':');
    const bind = source.startsWith('.') || source.startsWith('/');
    return { source: bind ? resolve(deployDir, source) : source, target, bind };
  });
}
const mountOf = (s: Service, target: string): string | undefined => mounts(s).find((m) => m.target === target)?.source;
const seconds = (d: string | undefined): number => Number(/^(\d+)s$/.exec(d ?? '')?.[1] ?? NaN);

describe('deploy/compose.yaml', () => {
  it('has Kairos, Redis, Prometheus and Grafana, each reference resolving', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['grafana', 'kairos', 'prometheus', 'redis']);
    expect(existsSync(join(resolve(deployDir, kairos.build!.context), kairos.build!.dockerfile))).toBe(true);
    for (const [name, s] of Object.entries(compose.services)) {
      for (const m of mounts(s)) {
        if (m.bind) expect(existsSync(m.source), `${name}: ${m.source}`).toBe(true);
        else expect(compose.volumes, `${name}: volume ${m.source}`).toHaveProperty(m.source);
      }
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const d of deps) expect(compose.services, `${name} depends on ${d}`).toHaveProperty(d);
    }
  });

  it('runs Kairos in production on Redis, with known variables, its port, secrets from the environment and time to drain', () => {
    const known = new Set(configVariables.map((v) => v.env));
    for (const name of Object.keys(env)) expect(known.has(name), name).toBe(true);
    expect(env).toMatchObject({ KAIROS_ENV: 'production', KAIROS_STORE: 'redis', KAIROS_DEMO: 'false' });
    // Redis by its service name and the port it listens on (its default: no --port).
    expect(env.KAIROS_REDIS_URL).toBe('redis://redis:6379');
    expect(redis.command).not.toContain('--port');
    expect(redis.depends_on).toBeUndefined();
    expect(kairos.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(kairos.ports).toEqual([`${env.KAIROS_PORT}:${env.KAIROS_PORT}`]);
    for (const secret of ['KAIROS_GATEWAY_TOKENS', 'KAIROS_ADMIN_KEYS', 'KAIROS_STOP_LIST_SECRET']) expect(env[secret]).toMatch(new RegExp(`^\\$\\{${secret}:\\?`));
    expect(kairos.stop_signal).toBe('SIGTERM');
    expect(seconds(kairos.stop_grace_period) * 1000).toBeGreaterThan(Number(env.KAIROS_DRAIN_MS) + Number(env.KAIROS_SHUTDOWN_TIMEOUT_MS));
    expect(Number(env.KAIROS_DRAIN_MS)).toBeGreaterThan(0);
  });

  it('runs Redis with the append-only file', () => {
    const args = redis.command!.join(' ');
    expect(args).toContain('--appendonly yes');
    expect(args).toContain('--appendfsync everysec');
    expect(mountOf(redis, '/data')).toBe('redis-data');
  });

  it('gives Prometheus the rules and a scrape config naming Kairos, and promtool takes it', () => {
    const configPath = /--config\.file=(\S+)/.exec(prometheus.command!.join(' '))?.[1];
    const configFile = mountOf(prometheus, configPath!);
    expect(configFile).toBe(join(deployDir, 'prometheus.yml'));
    const config = parse(readFileSync(configFile!, 'utf8')) as { rule_files: string[]; scrape_configs: Array<{ metrics_path: string; static_configs: Array<{ targets: string[] }> }> };
    expect(config.rule_files).toHaveLength(1);
    expect(mountOf(prometheus, config.rule_files[0]!)).toBe(join(root, 'prometheus', 'rules.yml'));
    expect(config.scrape_configs[0]!.metrics_path).toBe('/metrics');
    expect(config.scrape_configs[0]!.static_configs[0]!.targets).toEqual([`kairos:${env.KAIROS_PORT}`]);
    // promtool with the container's paths turned into the repository's files.
    const promtool = toolPath('promtool');
    if (!isExecutable(promtool)) throw new Error(`promtool is not installed at ${promtool}: npm test installs Debian's "prometheus" package`);
    const dir = mkdtempSync(join(tmpdir(), 'kairos-compose-'));
    try {
      const local = join(dir, 'prometheus.yml');
      writeFileSync(local, readFileSync(configFile!, 'utf8').replace(config.rule_files[0]!, join(root, 'prometheus', 'rules.yml')));
      const r = spawnSync(promtool, ['check', 'config', local], { encoding: 'utf8', timeout: 60_000 });
      expect(`${r.stdout}${r.stderr}`).toContain('SUCCESS');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives Grafana the provisioning, the dashboards where it looks for them, and the Prometheus service', () => {
    expect(mountOf(grafana, '/etc/grafana/provisioning')).toBe(join(root, 'grafana', 'provisioning'));
    const providers = parse(readFileSync(join(root, 'grafana', 'provisioning', 'dashboards', 'kairos.yml'), 'utf8')) as { providers: Array<{ options: { path: string } }> };
    const dashboards = mountOf(grafana, providers.providers[0]!.options.path);
    expect(dashboards).toBe(join(root, 'grafana', 'dashboards'));
    expect(existsSync(join(dashboards!, 'kairos-ops.json'))).toBe(true);
    const promPort = prometheus.ports![0]!.split(':')[1];
    expect(grafana.environment?.PROMETHEUS_URL).toBe(`http://prometheus:${promPort}`);
    expect(readFileSync(join(root, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')).toContain('${PROMETHEUS_URL');
    expect(grafana.environment?.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
  });

  it('is resolved by docker-compose config (offline), and refused without the secrets', () => {
    const dockerCompose = toolPath('docker-compose');
    if (!isExecutable(dockerCompose)) throw new Error(`docker-compose is not installed at ${dockerCompose}: npm test installs Debian's "docker-compose" package`);
    const run = (extra: Record<string, string>) => {
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in secretsEnv)));
      return spawnSync(dockerCompose, ['-f', composeFile, 'config'], { cwd: dirname(composeFile), env: { ...clean, ...extra }, encoding: 'utf8', timeout: 60_000 });
    };
    const ok = run(secretsEnv);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const resolved = parse(ok.stdout) as { services: Record<string, { environment: Record<string, string>; build: { context: string } }> };
    expect(resolved.services.kairos!.environment.KAIROS_ADMIN_KEYS).toBe('admin-key-1');
    expect(resolved.services.kairos!.build.context).toBe(root);
    const missing = run({});
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain("set the gateways' tokens");
  });
});
