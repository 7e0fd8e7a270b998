import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRODUCTION_DRAIN_MS, configVariables, loadConfig } from './config.js';
import { packageRoot } from './paths.js';
import { isExecutable, toolPath } from './test-provision/tool-path.js';

/**
 * deploy/kairos.service: parsed for what the stop and the hardening need (a user, the settings
 * file, restart on failure, SIGTERM with time for the drain and the shutdown), its example
 * settings file loaded by Kairos, and the unit checked by `systemd-analyze verify`.
 */

const root = packageRoot();
const unitFile = join(root, 'deploy', 'kairos.service');
const unitText = readFileSync(unitFile, 'utf8');

/** Each section's settings, a key's values in order (systemd keys may repeat). */
function sections(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section !== null) {
      current = new Map();
      out.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    current!.set(key, [...(current!.get(key) ?? []), line.slice(eq + 1)]);
  }
  return out;
}
const unit = sections(unitText);
const service = unit.get('Service')!;
const value = (key: string): string | undefined => service.get(key)?.at(-1);

/** The example settings file as an environment, with the unit's own Environment= over it. */
function exampleEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(root, 'deploy', 'kairos.env.example'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m !== null) env[m[1]!] = m[2]!;
  }
  for (const pair of value('Environment')!.split(/\s+/)) {
    const [k, v] = pair.split('=');
    env[k!] = v!;
  }
  return env;
}

describe('deploy/kairos.service', () => {
  it('runs bin/kairos.js serve as its own user with the settings file, restarting on failure but not on a bad configuration', () => {
    expect(value('User')).toBe('kairos');
    expect(value('EnvironmentFile')).toBe('/etc/kairos/kairos.env');
    expect(value('ExecStart')).toMatch(/^\/usr\/bin\/node \/opt\/kairos\/bin\/kairos\.js serve$/);
    expect(value('WorkingDirectory')).toBe('/opt/kairos');
    expect(value('Restart')).toBe('on-failure');
    expect(value('RestartPreventExitStatus')).toBe('2');
    expect(value('StateDirectory')).toBe('kairos');
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('stops with SIGTERM to Kairos alone, with more time than the drain and the shutdown timeout', () => {
    expect(value('KillSignal')).toBe('SIGTERM');
    expect(value('KillMode')).toBe('mixed');
    const env = exampleEnv();
    expect(env.KAIROS_DATA_DIR).toBe(`/var/lib/${value('StateDirectory')}`);
    const known = new Set(configVariables.map((v) => v.env));
    for (const name of Object.keys(env).filter((k) => k.startsWith('KAIROS_'))) expect(known.has(name), name).toBe(true);
    // Kairos loads the settings once the keys and a catalog are filled in.
    const dir = mkdtempSync(join(tmpdir(), 'kairos-unit-'));
    try {
      const catalog = join(dir, 'catalog.yaml');
      writeFileSync(catalog, readFileSync(join(root, 'demo', 'catalog.yaml')));
      const config = loadConfig({ ...env, KAIROS_CATALOG_FILE: catalog, KAIROS_GATEWAY_TOKENS: 'gw-east-secret:sms', KAIROS_ADMIN_KEYS: 'admin-key-0001', KAIROS_STOP_LIST_SECRET: 'stop-list-secret-0001' });
      expect(config).toMatchObject({ env: 'production', demo: false, drainMs: DEFAULT_PRODUCTION_DRAIN_MS });
      expect(Number(value('TimeoutStopSec')) * 1000).toBeGreaterThan(config.drainMs + config.shutdownTimeoutMs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is hardened, short of what V8 needs', () => {
    expect(service.get('CapabilityBoundingSet')).toEqual(['']);
    for (const [key, v] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['PrivateDevices', 'yes'],
      ['ProtectKernelTunables', 'yes'],
      ['ProtectKernelModules', 'yes'],
      ['ProtectControlGroups', 'yes'],
      ['RestrictNamespaces', 'yes'],
      ['RestrictSUIDSGID', 'yes'],
      ['SystemCallFilter', '@system-service'],
      ['UMask', '0077'],
    ] as const) {
      expect(value(key), key).toBe(v);
    }
    // The JIT maps memory writable and executable: this would stop Node at start.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
  });

  it('passes systemd-analyze verify, which names a misspelt key', () => {
    const analyze = toolPath('systemd-analyze');
    if (!isExecutable(analyze)) throw new Error(`systemd-analyze is not installed at ${analyze}: npm test installs Debian's "systemd" package`);
    const dir = mkdtempSync(join(tmpdir(), 'kairos-unit-'));
    try {
      // The unit as installed names /usr/bin/node; verify checks the program exists, so it is pointed at this Node.
      const verify = (text: string) => {
        const file = join(dir, 'kairos.service');
        writeFileSync(file, text.replace('/usr/bin/node', process.execPath));
        return spawnSync(analyze, ['verify', file], { encoding: 'utf8', timeout: 60_000 });
      };
      const ok = verify(unitText);
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      expect(verify(unitText.replace('KillMode=mixed', 'KillMod=mixed')).stderr).toContain("Unknown key 'KillMod' in section [Service]");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
