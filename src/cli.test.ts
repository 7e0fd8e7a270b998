import type { ChildProcess } from 'node:child_process';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from './paths.js';
import { SNAPSHOT_VERSION } from './runtime/snapshot-migrations.js';
import { LmdbStore } from './store/lmdb-store.js';
import { tempDir } from './test-support/test-kairos.js';

/**
 * The `kairos` command as a process, built (npm test builds first): help, version, bad
 * input, refusing the uWS fallback, and a graceful SIGTERM that flushes to the data dir.
 */

const bin = join(packageRoot(), 'bin', 'kairos.js');
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function run(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []) {
  return spawnSync(process.execPath, [...nodeArgs, bin, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
}

describe('kairos command', () => {
  it('prints help and version', () => {
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('kairos [serve] [options]');
    expect(help.stdout).toContain('KAIROS_PORT');
    expect(help.stdout).toContain('demo-gateway');
    const version = run(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('refuses unknown flags and invalid configuration with exit code 2', () => {
    const flag = run(['--prot', '80']);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--prot'");
    const env = run([], { KAIROS_PORT: 'eighty' });
    expect(env.status).toBe(2);
    expect(env.stderr).toContain('KAIROS_PORT: must be a whole number');
  });

  it('refuses a catalog file that is missing, does not parse or does not compile with exit code 2 (systemd does not restart it)', () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const env = { KAIROS_DATA_DIR: dir.dir, KAIROS_PORT: '0', KAIROS_HOST: '127.0.0.1' };
    const missing = run([], { ...env, KAIROS_CATALOG_FILE: join(dir.dir, 'catalog.yaml') });
    expect(missing.status, missing.stderr).toBe(2);
    expect(missing.stderr).toBe(`kairos: invalid configuration:\n  KAIROS_CATALOG_FILE: ${join(dir.dir, 'catalog.yaml')}: cannot be read: ENOENT: no such file or directory, open '${join(dir.dir, 'catalog.yaml')}'\n`);
    const notYaml = join(dir.dir, 'not-yaml.yaml');
    writeFileSync(notYaml, 'campaigns: [\n');
    const parsed = run([], { ...env, KAIROS_CATALOG_FILE: notYaml });
    expect(parsed.status, parsed.stderr).toBe(2);
    expect(parsed.stderr).toMatch(/^kairos: invalid configuration:\n {2}KAIROS_CATALOG_FILE: .*not-yaml\.yaml:\d+:\d+: /);
    const broken = join(dir.dir, 'broken.yaml');
    writeFileSync(broken, readFileSync(join(packageRoot(), 'demo', 'catalog.yaml'), 'utf8').replace('offer: pension-deposit\n', 'offer: pension-depositt\n'));
    const compiled = run([], { ...env, KAIROS_CATALOG_FILE: broken, KAIROS_DEMO: 'false' });
    expect(compiled.status, compiled.stderr).toBe(2);
    expect(compiled.stderr).toContain(`KAIROS_CATALOG_FILE: ${broken}: campaigns[pension-deposit].offer: unknown offer "pension-depositt"`);
  });

  it('checks a catalog file: ok with a summary, or exit 1 naming the problem', () => {
    const ok = run(['catalog', 'check', join(packageRoot(), 'demo', 'catalog.yaml')]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^ok: .*catalog\.yaml: version 1; 16 features, 13 segments, 9 offers, 11 campaigns: atm-shortfall \(active\)/);
    const dir = tempDir();
    cleanups.push(dir.remove);
    const broken = join(dir.dir, 'broken.yaml');
    writeFileSync(broken, readFileSync(join(packageRoot(), 'demo', 'catalog.yaml'), 'utf8').replace('offer: pension-deposit\n', 'offer: pension-depositt\n'));
    const bad = run(['catalog', 'check', broken]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(`kairos: ${broken}: 1 problem:\n  campaigns[pension-deposit].offer: unknown offer "pension-depositt"\n`);
    // every problem, not only the first
    const two = join(dir.dir, 'two.yaml');
    writeFileSync(two, readFileSync(broken, 'utf8').replace('channels: [sms]\n', 'channels: [fax]\n'));
    const both = run(['catalog', 'check', two]);
    expect(both.status).toBe(1);
    expect(both.stderr).toMatch(/^kairos: .*two\.yaml: 2 problems:\n {2}campaigns\[atm-shortfall\]\.channels\[0\]: .*\n {2}campaigns\[pension-deposit\]\.offer: unknown offer "pension-depositt"\n$/);
    const syntax = join(dir.dir, 'syntax.yaml');
    writeFileSync(syntax, 'version: 1\nfeatures: [\n');
    expect(run(['catalog', 'check', syntax]).stderr).toMatch(new RegExp(`^kairos: ${syntax}:3:1: `));
    const bomb = join(dir.dir, 'bomb.yaml');
    const lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f'], ['h', 'g'], ['i', 'h']] as const) lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    writeFileSync(bomb, lines.join('\n'));
    expect(run(['catalog', 'check', bomb])).toMatchObject({ status: 1, stderr: `kairos: ${bomb}: its aliases expand to too many values\n` });
    const deep = join(dir.dir, 'deep.yaml');
    const deepRule = `${'{ not: '.repeat(40)}{ attr: stage, op: exists }${' }'.repeat(40)}`;
    writeFileSync(deep, readFileSync(join(packageRoot(), 'demo', 'catalog.yaml'), 'utf8').replace('segments:\n', `segments:\n  - { id: deep, name: Deep, rule: ${deepRule} }\n`));
    expect(run(['catalog', 'check', deep]).stderr).toBe(`kairos: ${deep}: 1 problem:\n  segments[deep].rule${'.not'.repeat(32)}: nests deeper than 32 levels of all, any and not\n`);
    expect(run(['catalog', 'check']).status).toBe(2);
  });

  it('gives every command the global help lists a --help of its own', async () => {
    const commands = ['serve', 'catalog', 'replay', 'scenario', 'seed', 'compact', 'backup', 'restore', 'audit', 'merge', 'import', 'segments', 'keys', 'run'];
    const helps = await Promise.all(
      commands.map(
        (command) =>
          new Promise<{ command: string; status: number | null; stdout: string; stderr: string }>((resolve) => {
            execFile(process.execPath, [bin, command, '--help'], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => resolve({ command, status: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr }));
          }),
      ),
    );
    for (const { command, status, stdout, stderr } of helps) {
      expect(status, `${command}: ${stderr}`).toBe(0);
      expect(stdout, command).toMatch(/^usage:/);
      expect(stdout, command).toContain(command === 'serve' ? 'kairos [serve]' : `kairos ${command}`);
    }
    // the admin-API commands find the server alike
    for (const command of ['merge', 'keys', 'run']) expect(helps.find((h) => h.command === command)!.stdout, command).toContain('--url URL        the server (default KAIROS_URL, else http://127.0.0.1:$KAIROS_PORT, else port 8080)');
  }, 120_000);

  it('gives each command its own help, refuses a flag that does not apply, and warns about an unknown KAIROS_ variable', () => {
    const seedHelp = run(['seed', '--help']);
    expect(seedHelp.status).toBe(0);
    expect(seedHelp.stdout).toMatch(/^usage: kairos seed --customers N/);
    expect(run(['audit', '--help']).stdout).toMatch(/^usage: kairos audit verify\|export/);
    expect(run(['--help']).stdout).toMatch(/^kairos: real-time next-best-offer/);
    const flag = run(['seed', '--customers', '5', '--port', '9']);
    expect(flag).toMatchObject({ status: 2, stderr: 'kairos: --port does not apply to kairos seed (see kairos seed --help)\n' });
    expect(run(['catalog', 'check', 'x.yaml', '--url', 'http://x']).stderr).toContain('--url does not apply to kairos catalog');
    // a misspelt setting, named with the one it is closest to (the start then fails on a bad port: no server)
    const warned = run(['serve', '--store', 'memory'], { KAIROS_POTR: '9000', KAIROS_PORT: 'not-a-port' });
    expect(warned.status).toBe(2);
    expect(warned.stderr).toContain('kairos: warning: KAIROS_POTR is not a Kairos variable and is ignored (did you mean KAIROS_PORT?)');
  });

  it('replays bank-full calls through the decision path: the lines for the settings rows, the rest, and last all of them', () => {
    // The first 400 calls (the whole data set is a measurement, in the README).
    const lines = readFileSync(join(packageRoot(), 'demo', 'bank-full.csv'), 'utf8').split('\n').slice(0, 401);
    const dir = tempDir('kairos-cli-replay-');
    const file = join(dir.dir, 'calls.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = run(['replay', file]);
    dir.remove();
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout.trim().split('\n');
    expect(out.at(-3)).toMatch(/^replay\(first 15000, for settings\): rows=400 /);
    expect(out.at(-2)).toMatch(/^replay\(the rest\): rows=0 /);
    expect(out.at(-1)).toMatch(/^replay: rows=400 auc=0\.\d{4} wm_auc=0\.\d{4} alift=0\.\d{4} top50=0\.\d{4}$/);
    expect(run(['replay']).status).toBe(2);
    expect(run(['replay', '/nonexistent.csv']).status).toBe(1);
  });

  it('refuses to start on the uWS fallback when it is forced', () => {
    const r = run(['--store', 'memory', '--no-demo', '--port', '0'], { UWS_USE_FALLBACK: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('refusing to start');
  });

  it('refuses to start when the native uWS binary silently fails to load', () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const preload = join(dir.dir, 'break-uws.cjs');
    // Make the native binary fail to load, as on a Node or glibc it was not built for.
    writeFileSync(
      preload,
      `const Module = require('node:module'); const load = Module._load;
       Module._load = function (request, ...rest) {
         if (/uws_.*\\.node$/.test(request)) throw new Error('simulated: not built for this platform');
         return load.call(this, request, ...rest);
       };`,
    );
    const r = run(['--store', 'memory', '--no-demo', '--port', '0'], {}, ['-r', preload]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('refusing to start: the native uWebSockets.js binary did not load');
    expect(r.stderr).toContain('simulated: not built for this platform');
  });

  it('logs a SIGTERM that comes while starting and exits 0; the next start completes the demo bank', async () => {
    const data = tempDir();
    cleanups.push(data.remove);
    const start = (until: (entry: Record<string, unknown>) => boolean) => {
      const child: ChildProcess = spawn(process.execPath, [bin, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', data.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      cleanups.push(() => child.kill('SIGKILL'));
      const lines: Array<Record<string, unknown>> = [];
      const reached = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not reached: ${JSON.stringify(lines)}`)), 60_000);
        createInterface({ input: child.stdout! }).on('line', (line) => {
          const entry = JSON.parse(line) as Record<string, unknown>;
          lines.push(entry);
          if (until(entry)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      return { child, lines, reached, exited };
    };
    // Stopped while the demo bank is being loaded (the catalog is seeded just before).
    const first = start((e) => e.msg === 'catalog seeded');
    await first.reached;
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.lines).toContainEqual(expect.objectContaining({ level: 40, signal: 'SIGTERM', msg: 'signal received while starting: exiting before the start is complete' }));
    expect(first.lines.map((l) => l.msg)).not.toContain('kairos listening');
    // The next start loads the whole demo bank (the rest of it, or all), never "already in the store" with a part.
    const second = start((e) => e.msg === 'kairos listening');
    await second.reached;
    expect(second.lines).toContainEqual(expect.objectContaining({ msg: expect.stringMatching(/^demo bank loaded/) as string, customers: 45_211 }));
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);

  it('serves, and on SIGTERM drains, flushes to the data dir and exits 0', async () => {
    const data = tempDir();
    cleanups.push(data.remove);
    const child: ChildProcess = spawn(process.execPath, [bin, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', data.dir], {
      env: { ...process.env, KAIROS_DURABILITY: 'write-behind', KAIROS_FLUSH_INTERVAL_MS: '60000', KAIROS_FLUSH_BATCH: '1000000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => child.kill('SIGKILL'));
    const lines: Array<Record<string, unknown>> = [];
    const listening = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('did not start')), 60_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        lines.push(entry);
        if (entry.msg === 'kairos listening') {
          clearTimeout(timer);
          resolve(entry.port as number);
        }
      });
    });
    const port = await listening;
    const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
      method: 'POST',
      headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: 'cli-1', type: 'atm.withdrawal.declined', customer: { card: 'card-19' }, data: { requested: 1000, balance: 800 } }),
    });
    const decision = (await res.json()) as { actions: Array<{ instance: string }> };
    expect(decision.actions).toHaveLength(1);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['signal received', 'shutting down', 'stopped']));

    // The flush interval was a minute: only the shutdown flush can have written this.
    const store = new LmdbStore(join(data.dir, 'lmdb'));
    try {
      const snap = (await store.getSnapshot('demo-19')) as { v: number; snapshot: { context: { contacts: Array<{ instance: string }> } } };
      expect(snap.v).toBe(SNAPSHOT_VERSION);
      expect(snap.snapshot.context.contacts.map((c) => c.instance)).toEqual([decision.actions[0]!.instance]);
      expect((await store.listOutbox('sms', 10)).map((r) => r.instance)).toEqual([decision.actions[0]!.instance]);
    } finally {
      await store.close();
    }
  });
});

describe('kairos seed', () => {
  it('writes a synthetic bank of N customers with a progress bar, and continues where it stopped', async () => {
    const data = tempDir();
    cleanups.push(data.remove);
    const r = run(['seed', '--customers', '50000', '--data-dir', data.dir]);
    expect(r.status).toBe(0);
    const [seeded, compacted, ...more] = r.stdout.trim().split('\n');
    expect(seeded).toMatch(/^seed: 50,000 customers written to .* in [\d.]+ s; the store holds demo-1 … demo-50000$/);
    // Then the store is rewritten with full pages: smaller, nothing lost (checked below).
    const sizes = /^compact: .*lmdb: (\d+) MB -> (\d+) MB \((\d[\d,]*) entries in \d+ tables\) in [\d.]+ s$/.exec(compacted ?? '');
    expect(sizes, compacted).not.toBeNull();
    expect(Number(sizes![2])).toBeLessThan(Number(sizes![1]) * 0.75);
    expect(more).toEqual([]);
    // Not a terminal here: one line per tenth, ending at 100 %.
    const bars = r.stderr.split('\n').filter((l) => l.startsWith('['));
    expect(bars.at(-1)).toMatch(/^\[#{30}\] 100% {2}50,000 \/ 50,000 /);
    const again = run(['seed', '--customers', '50010', '--data-dir', data.dir, '--no-compact']);
    expect(again.stdout).toContain('seed: 10 customers written');
    expect(again.stdout).not.toContain('compact:');
    const store = new LmdbStore(join(data.dir, 'lmdb'));
    try {
      expect(await store.countImported()).toBe(50_010);
      // Beyond the UCI rows, customers copy a row's attributes with their own identifiers.
      const last = await store.getCustomer('demo-50010');
      expect(last?.identifiers.card).toEqual(['card-50010']);
      expect(await store.lookupIdentity('card', 'card-50010')).toBe('demo-50010');
      expect(last?.profile.age).toBe((await store.getCustomer(`demo-${50_010 - 45_211}`))?.profile.age);
    } finally {
      await store.close();
    }
    expect(run(['seed', '--customers', 'many']).status).toBe(2);
    expect(run(['seed']).stderr).toContain('usage: kairos seed --customers N');
    // (50,000 customers written and compacted by a child process: ~10 s alone, three times that beside other heavy files)
  }, 90_000);
});
