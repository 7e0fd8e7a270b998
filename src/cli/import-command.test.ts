import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { adminHeaders, serverForFile, tempDir, yesterdayMsk } from '../test-support/test-kairos.js';

/**
 * `kairos import customers` as a process (built: npm test builds first) on a real LMDB data
 * dir: the summary line and exit codes, the data-dir lock, and `--resume` after `kill -9`.
 */

const bin = join(packageRoot(), 'bin', 'kairos.js');
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function dataDir(): string {
  const d = tempDir('kairos-import-');
  cleanups.push(d.remove);
  return d.dir;
}

function run(args: string[]) {
  return spawnSync(process.execPath, [bin, 'import', ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, KAIROS_STORE: 'lmdb' } });
}

const SUMMARY = /^import: rows=(\d+) created=(\d+) updated=(\d+) unchanged=(\d+) rejected=(\d+) s=\d+\.\d$/;

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

describe('kairos import customers', () => {
  it('imports a file into the data dir, prints the summary last, is idempotent, and audits each run', async () => {
    const dir = dataDir();
    const file = join(dir, 'bank.csv');
    writeFileSync(file, 'id,first_name,phone\nb-1,Анна,+79162222222\nb-2,Борис,не телефон\n');
    const first = run(['customers', file, '--data-dir', join(dir, 'data')]);
    expect(first.status).toBe(0);
    expect(lastLine(first.stdout)).toMatch(SUMMARY);
    expect(lastLine(first.stdout)).toContain('rows=2 created=1 updated=0 unchanged=0 rejected=1');
    expect(readFileSync(`${file}.rejects.csv`, 'utf8')).toBe('line,column,reason,raw\n3,phone,invalid_phone,"b-2,Борис,не телефон"\n');
    const again = run(['customers', file, '--data-dir', join(dir, 'data')]);
    expect(lastLine(again.stdout)).toContain('rows=2 created=0 updated=0 unchanged=1 rejected=1');
    // each run is in the data dir's audit trail, naming the system user who ran it (no key made it)
    const store = new LmdbStore(join(dir, 'data', 'lmdb'));
    try {
      const trail = await store.listAudit(0, 10);
      expect(trail.map((e) => [e.action, e.target, e.who.role, e.after])).toEqual([
        ['customers.import', 'customers', 'local', { rows: 2, created: 1, updated: 0, unchanged: 0, rejected: 1 }],
        ['customers.import', 'customers', 'local', { rows: 2, created: 0, updated: 0, unchanged: 1, rejected: 1 }],
      ]);
      expect(trail[0]!.who.name).toBe(userInfo().username);
    } finally {
      await store.close();
    }
  });

  it('rejects a row with a stray or unclosed quote and imports the rest (exit 0)', () => {
    const dir = dataDir();
    const file = join(dir, 'quotes.csv');
    writeFileSync(file, 'id,first_name,phone\r\nq-1,Iv"an,+79161234501\r\nq-2,"Pe"tr,+79161234502\r\nq-3,"Unclosed,+79161234503\r\nq-4,Анна,+79161234504\r\n');
    const r = run(['customers', file, '--data-dir', join(dir, 'data')]);
    expect(r.status, r.stderr).toBe(0);
    expect(lastLine(r.stdout)).toContain('rows=4 created=2 updated=0 unchanged=0 rejected=2');
    expect(readFileSync(`${file}.rejects.csv`, 'utf8').trim().split('\n').map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['line,column,reason', '3,,unreadable_row', '4,,unreadable_row']);
  });

  it('exits 1 when the file cannot be read, or when a server holds the data dir; 2 on a bad mapping', () => {
    const dir = dataDir();
    const missing = run(['customers', join(dir, 'nope.csv'), '--data-dir', join(dir, 'data')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('cannot read');
    const file = join(dir, 'bank.csv');
    writeFileSync(file, 'id\nb-1\n');
    writeFileSync(join(dir, 'map.yaml'), 'columns:\n  ID: { type: colour }\n');
    const badMap = run(['customers', file, '--mapping', join(dir, 'map.yaml'), '--data-dir', join(dir, 'data')]);
    expect(badMap.status).toBe(2);
    expect(badMap.stderr).toContain('type is one of');
    const held = new LmdbStore(join(dir, 'data', 'lmdb'));
    try {
      const locked = run(['customers', file, '--data-dir', join(dir, 'data')]);
      expect(locked.status).toBe(1);
      expect(locked.stderr).toContain('in use by process');
    } finally {
      void held.close();
    }
  });

  it('--resume after kill -9 goes on from the last committed row and imports no row twice', async () => {
    const dir = dataDir();
    const file = join(dir, 'big.csv');
    const n = 100_000;
    const lines = ['id,phone,email,segment'];
    for (let i = 1; i <= n; i++) lines.push(`r-${i},+7916${String(i).padStart(7, '0')},${i % 1000 === 0 ? 'bad' : `r${i}@example.ru`},s${i % 7}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const data = join(dir, 'data');
    const child = spawn(process.execPath, [bin, 'import', 'customers', file, '--data-dir', data], { env: { ...process.env, KAIROS_STORE: 'lmdb' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    // killed at its first progress line: at least a tenth is committed, the rest is not read yet
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (b: Buffer) => {
        if (/import: \d+% rows=/.test(b.toString())) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    const exit = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    expect(exit).toBe('SIGKILL');
    expect(stdout).toBe('');
    const resumed = run(['customers', file, '--data-dir', data, '--resume']);
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toMatch(/resumed after \d+ rows already committed/);
    const m = SUMMARY.exec(lastLine(resumed.stdout));
    expect(m).not.toBeNull();
    // every row counted once over both runs: none re-applied (that would show as unchanged)
    expect(m!.slice(1, 6).map(Number)).toEqual([n, n - 100, 0, 0, 100]);
    const rejects = readFileSync(`${file}.rejects.csv`, 'utf8').trim().split('\n');
    expect(rejects).toHaveLength(101);
    expect(new Set(rejects).size).toBe(101);
    const store = new LmdbStore(join(data, 'lmdb'));
    try {
      expect(await store.countImported()).toBe(n - 100);
    } finally {
      await store.close();
    }
  }, 120_000);
});

describe('kairos import customers --url', () => {
  const server = serverForFile({ config: { clock: 'manual' }, manualClockStart: yesterdayMsk('12:00') });

  function runAsync(args: string[], adminKey: string | undefined = 'demo-admin'): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const { KAIROS_ADMIN_KEY: _inherited, ...env } = process.env;
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, 'import', ...args], { env: adminKey === undefined ? env : { ...env, KAIROS_ADMIN_KEY: adminKey }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('exit', (status) => resolve({ status, stdout, stderr }));
    });
  }

  it("imports a file in the bank's own column names through a running server, the same as into the store", async () => {
    const dir = dataDir();
    const file = join(dir, 'clients.csv');
    writeFileSync(join(dir, 'map.yaml'), 'delimiter: ";"\ndateFormat: DD.MM.YYYY\ncolumns:\n  KOD: id\n  IMYA: first_name\n  DR: birth_date\n  TEL: phone\n  DOHOD: { to: income, type: number }\n');
    writeFileSync(file, 'KOD;IMYA;DR;TEL;DOHOD\nu-1;Анна;15.03.1961;+79167770001;120000\nu-2;Борис;31.02.1980;;\nu-1;Анна;;;\nu-3;Вера;;8 916 777-00-01;\n');
    const args = ['customers', file, '--mapping', join(dir, 'map.yaml'), '--url', server.k.httpUrl];
    const first = await runAsync(args);
    expect(first.status, first.stderr).toBe(0);
    expect(lastLine(first.stdout)).toMatch(/^import: rows=4 created=1 updated=0 unchanged=0 rejected=3 s=/);
    expect(readFileSync(`${file}.rejects.csv`, 'utf8').trim().split('\n').map((l) => l.split(',').slice(0, 3).join(','))).toEqual([
      'line,column,reason',
      '3,DR,invalid_date',
      '4,KOD,duplicate_id',
      '5,TEL,identifier_taken',
    ]);
    const card = (await (await fetch(`${server.k.httpUrl}/v1/customers/u-1`, { headers: adminHeaders })).json()) as { profile: { firstName: string }; identifiers: { phone: string[] } };
    expect(card).toMatchObject({ profile: { firstName: 'Анна' }, identifiers: { phone: ['+79167770001'] } });
    // the admin key from a file (never on the command line, where ps shows it), the variable unset
    writeFileSync(join(dir, 'admin.key'), 'demo-admin\n', { mode: 0o600 });
    const again = await runAsync([...args, '--key-file', join(dir, 'admin.key')], undefined);
    expect(again.stderr).not.toContain('warning');
    expect(lastLine(again.stdout)).toMatch(/^import: rows=4 created=0 updated=0 unchanged=1 rejected=3 s=/);
    const unread = await runAsync([...args, '--key-file', join(dir, 'no-such.key')], undefined);
    expect({ status: unread.status, stderr: unread.stderr }).toEqual({ status: 2, stderr: 'kairos import: cannot read --key-file (ENOENT)\n' });
    const onTheLine = await runAsync([...args, '--key', 'demo-admin'], undefined);
    expect(onTheLine.status).toBe(0);
    expect(onTheLine.stderr).toContain('warning: --key shows the key to every local user');
  });
  it('through a server too: a number an earlier row releases goes to a later row, and a list given empty in NDJSON or as | in CSV is cleared', async () => {
    const dir = dataDir();
    const owner = async (phone: string): Promise<string[]> =>
      ((await (await fetch(`${server.k.httpUrl}/v1/customers?phone=${encodeURIComponent(phone)}`, { headers: adminHeaders })).json()) as { customers: Array<{ id: string }> }).customers.map((c) => c.id);
    const csv = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    expect((await runAsync(['customers', csv('mv1.csv', 'id,phone\nw-1,+79167780101\nw-2,+79167780102\nw-3,+79167780104\n'), '--url', server.k.httpUrl])).status).toBe(0);
    const second = await runAsync(['customers', csv('mv2.csv', 'id,phone\nw-1,+79167780103\nw-2,+79167780101\nw-3,|\n'), '--url', server.k.httpUrl]);
    expect(lastLine(second.stdout)).toMatch(/^import: rows=3 created=0 updated=3 unchanged=0 rejected=0 s=/);
    expect(await owner('+79167780101')).toEqual(['w-2']);
    expect(await owner('+79167780104')).toEqual([]);
    writeFileSync(join(dir, 'clear.ndjson'), '{"id":"w-2","phone":[]}\n{"id":"w-4","phone":"+79167780101"}\n');
    const third = await runAsync(['customers', join(dir, 'clear.ndjson'), '--url', server.k.httpUrl]);
    expect(lastLine(third.stdout)).toMatch(/^import: rows=2 created=1 updated=1 unchanged=0 rejected=0 s=/);
    expect(await owner('+79167780101')).toEqual(['w-4']);
  });
});
