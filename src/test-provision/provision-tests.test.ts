import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The provisioning runner for real, as `npm test` runs it (the build's JavaScript), on a PATH
 * of our making and as a user that is not root: it must refuse at once, naming the command.
 * Nothing here installs anything (no root, no sudo on that PATH).
 */

const runner = fileURLToPath(new URL('../../dist/src/test-provision/provision-tests.js', import.meta.url));
const nobody = 65534;
const dirs: string[] = [];

/** A directory readable by everyone, holding these links (name -> target). */
function pathDir(links: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kairos-path-'));
  dirs.push(dir);
  chmodSync(dir, 0o755);
  for (const [name, target] of Object.entries(links)) symlinkSync(target, join(dir, name));
  return dir;
}

/**
 * The runner's built files copied where everyone may read them: the checkout may sit in a
 * directory only its owner can enter (a clean clone in `mktemp -d`, mode 0700), and nobody must
 * still run it. The runner imports only its own folder.
 */
function readableRunner(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kairos-runner-'));
  dirs.push(dir);
  chmodSync(dir, 0o755);
  const built = dirname(runner);
  for (const f of readdirSync(built).filter((n) => n.endsWith('.js') && !n.endsWith('.test.js'))) {
    copyFileSync(join(built, f), join(dir, f));
    chmodSync(join(dir, f), 0o644);
  }
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  chmodSync(join(dir, 'package.json'), 0o644);
  return join(dir, 'provision-tests.js');
}

/** Runs the runner with only this environment, as nobody when we are root (as ourselves otherwise: not root either). */
function runAsNonRoot(env: Record<string, string>): { status: number | null; stderr: string; stdout: string } {
  const asRoot = process.getuid?.() === 0;
  const [cmd, args] = asRoot ? ['setpriv', [`--reuid=${nobody}`, `--regid=${nobody}`, '--clear-groups', process.execPath, readableRunner()]] : [process.execPath, [runner]];
  const r = spawnSync(asRoot ? '/usr/bin/setpriv' : cmd, args, { env, encoding: 'utf8', cwd: tmpdir() });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('npm test provisioning (the runner)', () => {
  it('is built (npm test builds first; run npm run build before this file alone)', () => {
    expect(existsSync(runner)).toBe(true);
  });

  it('stops at once, non-zero, naming the sudo command, when the programs are missing and it may not install', () => {
    // apt-get is there; root and sudo are not.
    const path = pathDir({ 'apt-get': '/usr/bin/apt-get' });
    const r = runAsNonRoot({ PATH: path, HOME: '/nonexistent' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('sudo apt-get install -y --no-install-recommends redis-server redis-tools prometheus chromium python3-msgpack python3-websockets docker-compose systemd');
    expect(r.stderr).toContain('installing needs root or passwordless sudo');
    expect(r.stderr).not.toContain('npm test: installing');
    expect(r.stdout).toBe('');
  });

  it('stops naming the command when opted out', () => {
    const path = pathDir({ 'apt-get': '/usr/bin/apt-get', 'redis-server': '/bin/true', 'redis-cli': '/bin/true', chromium: '/bin/true' });
    const r = runAsNonRoot({ PATH: path, KAIROS_TEST_PROVISION: '0' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('KAIROS_TEST_PROVISION=0 says not to install them');
    expect(r.stderr).toContain('sudo apt-get install -y --no-install-recommends prometheus python3-msgpack python3-websockets docker-compose systemd');
    expect(r.stderr).not.toContain('redis-tools');
  });

  it('lets the tests run when every program is found, through PATH or its variable', () => {
    // /bin/true stands in for a python3 that imports msgpack (it exits 0 whatever it is asked).
    const path = pathDir({ 'redis-server': '/bin/true', 'redis-cli': '/bin/true', promtool: '/bin/true', python3: '/bin/true', 'docker-compose': '/bin/true', 'systemd-analyze': '/bin/true' });
    const r = runAsNonRoot({ PATH: path, KAIROS_PROMETHEUS_BIN: '/bin/true', KAIROS_CHROMIUM_BIN: '/bin/true', KAIROS_TEST_PROVISION: '0' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  // As root it installs. Here the apt-get on PATH is a stand-in script (the real one would change
  // this machine, where other tests run): it logs its arguments, fails the first install (stale
  // package lists), and after `update` "installs" by linking the programs into its directory.
  it.skipIf(process.getuid?.() !== 0)('as root installs the missing packages, updating the lists and trying again when the install fails', () => {
    const path = pathDir({ env: '/usr/bin/env', sh: '/bin/sh', ln: '/bin/ln', touch: '/usr/bin/touch' });
    const log = join(path, 'apt.log');
    writeFileSync(
      join(path, 'apt-get'),
      [
        '#!/bin/sh',
        `here=${path}`,
        'echo "$DEBIAN_FRONTEND $*" >> "$here/apt.log"',
        'if [ "$1" = update ]; then touch "$here/updated"; exit 0; fi',
        '[ -e "$here/updated" ] || exit 100',
        'for p in "$@"; do case "$p" in redis-server) ln -s /bin/true "$here/redis-server";; redis-tools) ln -s /bin/true "$here/redis-cli";; prometheus) ln -s /bin/true "$here/prometheus"; ln -s /bin/true "$here/promtool";; chromium) ln -s /bin/true "$here/chromium";; python3-msgpack|python3-websockets) ln -sf /bin/true "$here/python3";; docker-compose) ln -s /bin/true "$here/docker-compose";; systemd) ln -s /bin/true "$here/systemd-analyze";; esac; done',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const r = spawnSync(process.execPath, [runner], { env: { PATH: path }, encoding: 'utf8', cwd: tmpdir() });
    expect(r.stderr).toContain('npm test: installing redis-server, redis-tools, prometheus, chromium, python3-msgpack, python3-websockets, docker-compose, systemd');
    expect(r.stderr).toContain('updating the package lists and trying again');
    expect(r.status).toBe(0);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
      'noninteractive install -y --no-install-recommends redis-server redis-tools prometheus chromium python3-msgpack python3-websockets docker-compose systemd',
      'noninteractive update',
      'noninteractive install -y --no-install-recommends redis-server redis-tools prometheus chromium python3-msgpack python3-websockets docker-compose systemd',
    ]);
    // Nothing missing any more: the next run lets the tests start without installing.
    const again = spawnSync(process.execPath, [runner], { env: { PATH: path }, encoding: 'utf8', cwd: tmpdir() });
    expect(again.status).toBe(0);
    expect(again.stderr).toBe('');
  });

  it.skipIf(process.getuid?.() !== 0)('as root stops non-zero when the install fails even after an update', () => {
    const path = pathDir({ env: '/usr/bin/env', sh: '/bin/sh' });
    writeFileSync(join(path, 'apt-get'), '#!/bin/sh\n[ "$1" = update ] && exit 0\nexit 100\n', { mode: 0o755 });
    const r = spawnSync(process.execPath, [runner], { env: { PATH: path }, encoding: 'utf8', cwd: tmpdir() });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('installing redis-server, redis-tools, prometheus, chromium, python3-msgpack, python3-websockets, docker-compose, systemd failed');
  });
});
