import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { tempDir } from '../test-support/test-kairos.js';

/**
 * `kairos import customers` (built) on input a bank's files hold: windows-1251 text, bytes that
 * are not UTF-8, mappings and headers naming a column twice, on a real LMDB data dir.
 */

const bin = join(packageRoot(), 'bin', 'kairos.js');
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function dir(): string {
  const d = tempDir('kairos-import-input-');
  cleanups.push(d.remove);
  return d.dir;
}

function run(args: string[]) {
  return spawnSync(process.execPath, [bin, 'import', ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, KAIROS_STORE: 'lmdb' } });
}

const lastLine = (text: string): string => text.trim().split('\n').at(-1) ?? '';

async function profileOf(dataDir: string, id: string) {
  const store = new LmdbStore(join(dataDir, 'lmdb'));
  try {
    return (await store.getCustomer(id))?.profile;
  } finally {
    await store.close();
  }
}

/** `Иванов;Пётр` in windows-1251 */
const CP1251_ROW = Buffer.from([0xc8, 0xe2, 0xe0, 0xed, 0xee, 0xe2, 0x3b, 0xcf, 0xb8, 0xf2, 0xf0]);

describe('kairos import customers: encodings', () => {
  it('rejects windows-1251 rows read as UTF-8 with a hint, and reads them with --encoding windows-1251', async () => {
    const d = dir();
    const file = join(d, 'cp1251.csv');
    writeFileSync(file, Buffer.concat([Buffer.from('id;last_name;first_name\nW1;'), CP1251_ROW, Buffer.from('\n')]));
    const mapping = join(d, 'semi.yaml');
    writeFileSync(mapping, 'delimiter: ";"\n');
    const data = join(d, 'data');
    const first = run(['customers', file, '--mapping', mapping, '--data-dir', data]);
    expect(first.status, first.stderr).toBe(0);
    expect(lastLine(first.stdout)).toContain('rows=1 created=0 updated=0 unchanged=0 rejected=1');
    expect(readFileSync(`${file}.rejects.csv`, 'utf8').split('\n')[1]).toMatch(/^2,last_name,invalid_encoding,/);
    expect(first.stderr).toContain('--encoding windows-1251');
    const second = run(['customers', file, '--mapping', mapping, '--encoding', 'windows-1251', '--data-dir', data]);
    expect(second.status, second.stderr).toBe(0);
    expect(lastLine(second.stdout)).toContain('rows=1 created=1');
    expect(await profileOf(data, 'W1')).toMatchObject({ lastName: 'Иванов', firstName: 'Пётр' });
    const bad = run(['customers', file, '--encoding', 'klingon', '--data-dir', data]);
    expect([bad.status, bad.stderr]).toEqual([2, 'kairos import: --encoding is an encoding name: utf-8 (the default), windows-1251, koi8-r, ibm866, …, got "klingon"\n']);
  });
});

describe('kairos import customers: one column a target', () => {
  it('exits 2 naming the columns for a mapping giving two columns one target, or a header naming one twice', () => {
    const d = dir();
    const file = join(d, 'two.csv');
    writeFileSync(file, 'A;B;F1;F2\nX1;Y1;Иванов;Петров\n');
    const mapping = join(d, 'two.yaml');
    writeFileSync(mapping, 'delimiter: ";"\ncolumns:\n  A: id\n  B: id\n  F1: last_name\n  F2: last_name\n');
    const data = join(d, 'data');
    const r = run(['customers', file, '--mapping', mapping, '--data-dir', data]);
    expect([r.status, r.stderr]).toEqual([2, 'kairos import: mapping: columns "A" and "B" both map to "id": map each column to a column of its own\n']);
    const dup = join(d, 'dup.csv');
    writeFileSync(dup, 'id,phone,phone\nD1,+79161234567,+79167654321\n');
    const h = run(['customers', dup, '--data-dir', data]);
    expect([h.status, h.stderr]).toEqual([2, 'kairos import: the header names the column "phone" twice: give each column a name of its own\n']);
  });
});
