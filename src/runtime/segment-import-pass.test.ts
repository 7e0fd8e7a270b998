import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { importCommand } from '../cli/import-command.js';
import { packageRoot } from '../paths.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { adminHeaders, startTestKairos, tempDir } from '../test-support/test-kairos.js';
import { IMPORT_PASS_PREFIX, SWEEP_META_KEY } from './segment-sweep.js';

/**
 * Segment memberships, sizes and members after an import, on a real server and LMDB store,
 * without the daily sweep (`segmentSweepMs` 0 in tests): through the import route once its
 * batches commit, for `PUT`/`PATCH` of one customer at once, and for the direct import into a
 * data dir already swept at the next start (the pass over the customers the import left named).
 */

const catalogFile = join(packageRoot(), 'demo', 'catalog.yaml');
const year = new Date().getUTCFullYear();
const sixtyTwo = `${year - 62}-01-01`;
const servers: TestKairos[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const k of servers.splice(0)) await k.close();
  for (const c of cleanups.splice(0)) c();
});

async function start(dataDir: string): Promise<TestKairos> {
  const k = await startTestKairos({ dataDir, keepDataDir: true, config: { demo: false, catalogFile } });
  servers.push(k);
  return k;
}

async function api(k: TestKairos, method: string, path: string, body?: string, headers: Record<string, string> = adminHeaders): Promise<any> {
  const res = await fetch(`${k.httpUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json();
}

const size = async (k: TestKairos): Promise<number> => (await api(k, 'GET', '/v1/segments/clients_60_plus')).size as number;
const members = async (k: TestKairos): Promise<string[]> => (await api(k, 'GET', '/v1/segments/clients_60_plus/members?limit=1000')).members as string[];

/** `size` reaching `want` within 10 s (the write-behind commits what the pass checked), else its last value. */
async function sizeReaches(k: TestKairos, want: number): Promise<number> {
  let last = await size(k);
  for (let i = 0; i < 200 && last !== want; i++) {
    await sleep(50);
    last = await size(k);
  }
  return last;
}

const rows = (prefix: string, n: number): string => Array.from({ length: n }, (_, i) => JSON.stringify({ id: `${prefix}-${i}`, birth_date: sixtyTwo, stage: 'client' })).join('\n');

describe('segments after an import', () => {
  it('through the route: the imported customers are in the segments, sizes and members, once the run ends; PUT and PATCH move them at once', async () => {
    const data = tempDir('kairos-segpass-');
    cleanups.push(data.remove);
    const k = await start(data.dir);
    // a store already swept: no pass at a start would come
    await k.kairos.segmentSweep.run();
    expect(await size(k)).toBe(0);
    const reply = await api(k, 'POST', '/v1/customers/import', rows('IR', 1200), { ...adminHeaders, 'Content-Type': 'application/x-ndjson' });
    expect(reply).toMatchObject({ created: 1200 });
    await k.kairos.segmentSweep.importsDone();
    expect(await sizeReaches(k, 1200)).toBe(1200);
    expect((await members(k)).filter((m) => m.startsWith('IR-'))).toHaveLength(1000);
    expect((await k.kairos.store.listMeta(IMPORT_PASS_PREFIX, 100)).length).toBe(0);

    // one customer put: counted at once
    expect((await api(k, 'PUT', '/v1/customers/ONE', JSON.stringify({ birth_date: sixtyTwo }))).outcome).toBe('created');
    expect(await size(k)).toBe(1201);
    // its birth date corrected: out at once, and back
    expect((await api(k, 'PATCH', '/v1/customers/ONE', JSON.stringify({ birth_date: `${year - 30}-01-01` }))).outcome).toBe('updated');
    expect(await size(k)).toBe(1200);
    expect((await api(k, 'PATCH', '/v1/customers/IR-7', JSON.stringify({ birth_date: `${year - 30}-01-01` }))).outcome).toBe('updated');
    expect(await size(k)).toBe(1199);
    expect(await members(k)).not.toContain('IR-7');
  });

  it('the direct import into a data dir already swept: the next start brings its customers in (sizes, members), and a restart keeps them', async () => {
    const data = tempDir('kairos-segpass-');
    cleanups.push(data.remove);
    let k = await start(data.dir);
    await api(k, 'PUT', '/v1/customers/OLD', JSON.stringify({ birth_date: sixtyTwo }));
    await k.kairos.segmentSweep.run();
    expect(await k.kairos.store.getMeta(SWEEP_META_KEY)).toMatchObject({ finishedAt: expect.any(Number) });
    expect(await size(k)).toBe(1);
    await k.close();
    servers.length = 0;

    const file = join(data.dir, 'bank.ndjson');
    writeFileSync(file, `${rows('DI', 300)}\n${JSON.stringify({ id: 'OLD', birth_date: `${year - 30}-01-01` })}\n`);
    const out: string[] = [];
    const code = await importCommand(['customers', file, '--data-dir', data.dir], { env: { KAIROS_STORE: 'lmdb' }, stdin: new PassThrough(), out: (t) => out.push(t), err: (t) => out.push(t), tty: false });
    expect(code, out.join('')).toBe(0);
    expect(out.join('')).toContain('created=300 updated=1');

    k = await start(data.dir);
    // the pass runs at the start, over the 301 customers the import named, not the daily sweep
    await sleep(10);
    await k.kairos.segmentSweep.importsDone();
    expect(await sizeReaches(k, 300)).toBe(300);
    const listed = await members(k);
    expect(listed.filter((m) => m.startsWith('DI-'))).toHaveLength(300);
    expect(listed).not.toContain('OLD');
    expect((await k.kairos.store.listMeta(IMPORT_PASS_PREFIX, 100)).length).toBe(0);
    await k.close();
    servers.length = 0;
    k = await start(data.dir);
    expect(await size(k)).toBe(300);
  });
});
