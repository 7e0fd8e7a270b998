import { describe, expect, it } from 'vitest';
import type { ProvisionFacts } from './provision-plan.js';
import { installCommand, optedOut, packagesFor, planProvision } from './provision-plan.js';
import type { TestTool } from './test-tools.js';
import { locate, pathDirs, testTools } from './test-tools.js';

const tool = (binary: string): TestTool => {
  const t = testTools.find((x) => x.binary === binary);
  expect(t, binary).toBeDefined();
  return t!;
};
const missing = (...binaries: string[]): ProvisionFacts['missing'] => binaries.map((b) => ({ tool: tool(b), fromEnv: false }));
const facts = (over: Partial<ProvisionFacts>): ProvisionFacts => ({ missing: [], optedOut: false, root: false, aptGet: true, sudo: false, ...over });

describe('the tools the tests need', () => {
  it("are Redis (server and cli), Prometheus (server and promtool), Chromium, Python's msgpack and websockets, docker-compose and systemd-analyze, each with its Debian package", () => {
    expect(testTools.map((t) => [t.binary, t.debianPackage])).toEqual([
      ['redis-server', 'redis-server'],
      ['redis-cli', 'redis-tools'],
      ['prometheus', 'prometheus'],
      ['promtool', 'prometheus'],
      ['chromium', 'chromium'],
      ['python3', 'python3-msgpack'],
      ['python3', 'python3-websockets'],
      ['docker-compose', 'docker-compose'],
      ['systemd-analyze', 'systemd'],
    ]);
  });

  it('name a Python module with its interpreter in messages', () => {
    const plan = planProvision(facts({ missing: missing('prometheus', 'python3') }));
    expect(plan).toMatchObject({ kind: 'stop', command: 'sudo apt-get install -y --no-install-recommends prometheus python3-msgpack' });
    expect(plan.kind === 'stop' && plan.message).toContain('  python3 with the msgpack module (Debian package python3-msgpack, or KAIROS_PYTHON3_BIN=its path), for src/transport/wire-integers.test.ts');
  });

  it('are found through their variable when set, else on PATH, in order', () => {
    const files = new Set(['/opt/redis/bin/redis-server', '/usr/local/bin/redis-server', '/usr/bin/redis-server']);
    const exists = (p: string): boolean => files.has(p);
    expect(locate('redis-server', { PATH: '/nope::/usr/local/bin:/usr/bin' }, exists, 'KAIROS_REDIS_SERVER_BIN')).toEqual({ path: '/usr/local/bin/redis-server', fromEnv: false });
    expect(locate('redis-server', { PATH: '/usr/bin', KAIROS_REDIS_SERVER_BIN: '/opt/redis/bin/redis-server' }, exists, 'KAIROS_REDIS_SERVER_BIN')).toEqual({ path: '/opt/redis/bin/redis-server', fromEnv: true });
    // A variable naming nothing does not fall back to PATH: the tests would use what it names.
    expect(locate('redis-server', { PATH: '/usr/bin', KAIROS_REDIS_SERVER_BIN: '/opt/none' }, exists, 'KAIROS_REDIS_SERVER_BIN')).toEqual({ path: undefined, fromEnv: true });
    expect(locate('redis-server', { KAIROS_REDIS_SERVER_BIN: '' , PATH: '/usr/bin' }, exists, 'KAIROS_REDIS_SERVER_BIN')).toEqual({ path: '/usr/bin/redis-server', fromEnv: false });
    expect(locate('prometheus', {}, exists)).toEqual({ path: undefined, fromEnv: false });
    expect(pathDirs('/a::/b:')).toEqual(['/a', '/b']);
  });
});

describe('planProvision', () => {
  it('runs the tests when nothing is missing, whoever runs them', () => {
    expect(planProvision(facts({}))).toEqual({ kind: 'ready' });
    expect(planProvision(facts({ optedOut: true, aptGet: false }))).toEqual({ kind: 'ready' });
  });

  it('installs the missing packages with apt-get as root, without prompts, updating only if needed', () => {
    expect(planProvision(facts({ root: true, missing: missing('redis-server', 'redis-cli', 'prometheus') }))).toEqual({
      kind: 'install',
      packages: ['redis-server', 'redis-tools', 'prometheus'],
      install: ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '--no-install-recommends', 'redis-server', 'redis-tools', 'prometheus'],
      update: ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update'],
    });
  });

  it('installs through passwordless sudo when not root, only what is missing', () => {
    const plan = planProvision(facts({ sudo: true, missing: missing('prometheus') }));
    expect(plan).toEqual({
      kind: 'install',
      packages: ['prometheus'],
      install: ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '--no-install-recommends', 'prometheus'],
      update: ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update'],
    });
  });

  it('stops naming the sudo command when installing is not permitted', () => {
    const plan = planProvision(facts({ missing: missing('redis-server', 'prometheus') }));
    expect(plan.kind).toBe('stop');
    if (plan.kind !== 'stop') return;
    expect(plan.command).toBe('sudo apt-get install -y --no-install-recommends redis-server prometheus');
    expect(plan.message).toContain(plan.command);
    expect(plan.message).toContain('needs root or passwordless sudo');
    expect(plan.message).toContain('redis-server (Debian package redis-server, or KAIROS_REDIS_SERVER_BIN=its path), for the Redis and Redis Cluster store tests');
  });

  it('stops when opted out, even as root, naming the command root would run', () => {
    const plan = planProvision(facts({ root: true, optedOut: true, missing: missing('redis-cli') }));
    expect(plan).toMatchObject({ kind: 'stop', command: 'apt-get install -y --no-install-recommends redis-tools' });
    expect(plan.kind === 'stop' && plan.message).toContain('KAIROS_TEST_PROVISION=0');
  });

  it('stops without apt-get, still naming the Debian command', () => {
    const plan = planProvision(facts({ root: true, aptGet: false, missing: missing('prometheus') }));
    expect(plan).toMatchObject({ kind: 'stop', command: 'apt-get install -y --no-install-recommends prometheus' });
    expect(plan.kind === 'stop' && plan.message).toContain('no apt-get');
  });

  it('does not install when a variable names a program that is not there', () => {
    const plan = planProvision(facts({ root: true, missing: [{ tool: tool('redis-server'), fromEnv: true }] }));
    expect(plan.kind).toBe('stop');
    expect(plan.kind === 'stop' && plan.message).toContain('KAIROS_REDIS_SERVER_BIN names no executable redis-server');
  });

  it('names each package once and reads the opt-out variable', () => {
    const twice = [...missing('redis-server'), { tool: { ...tool('redis-server'), binary: 'redis-benchmark' }, fromEnv: false }];
    expect(packagesFor(twice)).toEqual(['redis-server']);
    expect(installCommand(['a', 'b'], false)).toBe('sudo apt-get install -y --no-install-recommends a b');
    for (const v of ['0', 'false', 'no', 'off', ' OFF ']) expect(optedOut(v)).toBe(true);
    for (const v of [undefined, '', '1', 'yes']) expect(optedOut(v)).toBe(false);
  });
});
