import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { packageRoot } from '../paths.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { RedisStore } from '../store/redis-store.js';
import type { Store } from '../store/store.js';
import { runRedisTests, startRedis } from '../test-support/redis.js';
import { startTestKairos, tempDir } from '../test-support/test-kairos.js';
import { auditCommand } from '../cli/audit-command.js';
import type { AuditRecord } from './audit-chain.js';
import { GENESIS, canonicalJson, sealAudit, verifyChain } from './audit-chain.js';

/**
 * The audit trail's hash chain: it verifies as written, and an entry edited, deleted or moved
 * directly in the store (memory, LMDB, Redis) is named by its seq; two nodes appending on one
 * Redis at once keep one chain; `kairos audit verify|export` on a real data dir.
 */

const who = { name: 'ivanova', role: 'admin' as const };
const draft = (n: number) => ({ at: 1000 * n, who, action: 'clock.set', target: 'clock', before: { now: n - 1 }, after: { now: n } });

async function fill(store: Store, n: number): Promise<AuditRecord[]> {
  for (let i = 1; i <= n; i++) await store.appendAudit(draft(i));
  return store.listAudit(0, 1000);
}

describe('audit chain', () => {
  it('writes canonical JSON: keys sorted, undefined left out', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: undefined }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"f":2}]},"b":1}');
  });

  it('chains entries from the genesis hash and names the first broken link', () => {
    const chain: AuditRecord[] = [];
    for (let i = 1; i <= 5; i++) chain.push(sealAudit(chain.at(-1), draft(i)));
    expect(chain[0]!.prev).toBe(GENESIS);
    expect(verifyChain(chain)).toEqual({ ok: true, entries: 5, head: chain[4]!.hash });
    const edited = chain.map((e) => (e.seq === 3 ? { ...e, after: { now: 99 } } : e));
    expect(verifyChain(edited)).toMatchObject({ ok: false, brokenSeq: 3 });
    expect(verifyChain(chain.filter((e) => e.seq !== 2))).toMatchObject({ ok: false, brokenSeq: 2 });
    expect(verifyChain([chain[0]!, chain[1]!, chain[3]!, chain[2]!, chain[4]!])).toMatchObject({ ok: false, brokenSeq: 3 });
    // An entry rewritten whole, its hash recomputed: the next entry no longer names it.
    const forged = sealAudit(chain[1], { ...draft(3), after: { now: 99 } });
    expect(verifyChain([chain[0]!, chain[1]!, forged, chain[3]!, chain[4]!])).toMatchObject({ ok: false, brokenSeq: 4 });
  });

  it('shows an entry edited, deleted or moved in the memory store', async () => {
    const store = new MemoryStore();
    await fill(store, 4);
    expect(verifyChain(await store.listAudit(0, 100)).ok).toBe(true);
    store.auditEntries[1] = { ...store.auditEntries[1]!, who: { name: 'someone', role: 'admin' } };
    expect(verifyChain(await store.listAudit(0, 100))).toMatchObject({ ok: false, brokenSeq: 2 });
  });
});

describe('kairos audit on a real data dir', () => {
  const bin = join(packageRoot(), 'bin', 'kairos.js');
  const run = (args: string[]) => spawnSync(process.execPath, [bin, 'audit', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, KAIROS_ADMIN_KEYS: '' } });

  it('verifies the chain, exports a time range, and names the seq an edit, a deletion or a move in LMDB breaks', async () => {
    const data = tempDir();
    try {
      const dir = join(data.dir, 'lmdb');
      mkdirSync(dir, { recursive: true });
      const store = new LmdbStore(dir);
      const all = await fill(store, 6);
      await store.close();

      const ok = run(['verify', '--data-dir', data.dir]);
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(`6 entries, the chain holds; head ${all[5]!.hash}`);
      const some = run(['export', '--data-dir', data.dir, '--from', '2000', '--to', '4000']);
      expect(some.status, some.stderr).toBe(0);
      expect(some.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as AuditRecord)).toEqual(all.slice(1, 3));

      const tamper = (change: (db: ReturnType<ReturnType<typeof open>['openDB']>) => void): void => {
        const root = open({ path: dir });
        const db = root.openDB({ name: 'audit' });
        root.transactionSync(() => change(db));
        void root.close();
      };
      tamper((db) => void db.put(5, { ...all[4]!, target: 'elsewhere' }));
      const edited = run(['verify', '--data-dir', data.dir]);
      expect(edited.status).toBe(1);
      expect(edited.stdout).toContain('the chain breaks at seq 5');
      tamper((db) => {
        void db.put(5, all[4]);
        void db.put(3, all[3]);
        void db.put(4, all[2]);
      });
      expect(run(['verify', '--data-dir', data.dir]).stdout).toContain('the chain breaks at seq 3');
      tamper((db) => {
        void db.put(3, all[2]);
        void db.remove(4);
      });
      const deleted = run(['verify', '--data-dir', data.dir]);
      expect(deleted.status).toBe(1);
      expect(deleted.stdout).toContain('the chain breaks at seq 4');
    } finally {
      data.remove();
    }
  });

  it('refuses a data dir without a store', () => {
    const data = tempDir();
    try {
      const r = run(['verify', '--data-dir', data.dir]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('no LMDB store');
    } finally {
      data.remove();
    }
  });
});

describe('kairos audit against a running server', () => {
  /** Runs `kairos audit …` (the built CLI) without blocking this process, where the server runs. */
  const runAsync = (args: string[], env: Record<string, string | undefined>): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'kairos.js'), 'audit', ...args], { env: { ...process.env, KAIROS_ADMIN_KEY: undefined, ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });

  it('takes the admin key from --key-file or KAIROS_ADMIN_KEY, off the command line; --key still works, with a warning', async () => {
    const k = await startTestKairos({ config: { store: 'memory', demo: false } });
    const data = tempDir();
    try {
      await fetch(`${k.httpUrl}/v1/stop-list`, { method: 'POST', headers: { Authorization: 'Bearer demo-admin', 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'phone', value: '+7 916 555-00-12' }) });
      const keyFile = join(data.dir, 'admin-key');
      writeFileSync(keyFile, 'demo-admin\n', { mode: 0o600 });
      const fromFile = await runAsync(['verify', '--url', k.httpUrl, '--key-file', keyFile], {});
      expect([fromFile.status, fromFile.stdout, fromFile.stderr]).toEqual([0, expect.stringContaining('1 entries, the chain holds') as unknown, '']);
      const fromEnv = await runAsync(['export', '--url', k.httpUrl], { KAIROS_ADMIN_KEY: 'demo-admin' });
      expect([fromEnv.status, fromEnv.stderr]).toEqual([0, '']);
      expect(fromEnv.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as AuditRecord).action)).toEqual(['stop-list.add']);
      // in-process, the same: --key works, and says it is seen by every local user
      const err: string[] = [];
      const out: string[] = [];
      const io = { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) };
      expect(await auditCommand('verify', { dataDir: data.dir, url: k.httpUrl, key: 'demo-admin', env: {} }, io)).toBe(0);
      expect(err).toEqual([expect.stringContaining('warning: --key shows the key to every local user') as unknown]);
      // no key at all, or two ways at once: told, exit 2, nothing asked of the server
      err.length = 0;
      expect(await auditCommand('verify', { dataDir: data.dir, url: k.httpUrl, env: {} }, io)).toBe(2);
      expect(await auditCommand('verify', { dataDir: data.dir, url: k.httpUrl, key: 'demo-admin', keyFile, env: {} }, io)).toBe(2);
      expect(err).toEqual([
        'kairos audit verify: an admin key is needed: set KAIROS_ADMIN_KEY or pass --key-file FILE\n',
        'kairos audit verify: give --key-file or --key, not both\n',
      ]);
    } finally {
      await k.close();
      data.remove();
    }
  }, 60_000);
});

describe.runIf(runRedisTests)('audit chain on Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  afterAll(async () => {
    await redis?.close();
  });

  it('keeps one chain while two nodes append at once, and names the seq an edit or a deletion breaks', async () => {
    redis ??= await startRedis();
    const prefix = `audit${process.pid}`;
    const a = await new RedisStore({ url: redis.url, prefix }).open();
    const b = await new RedisStore({ url: redis.url, prefix }).open();
    const raw = new Redis(redis.url);
    try {
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).appendAudit({ ...draft(i + 1), who: { name: i % 2 === 0 ? 'node-a' : 'node-b', role: 'admin' } })));
      const all = await a.listAudit(0, 1000);
      expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(verifyChain(all)).toMatchObject({ ok: true, entries: 40 });
      expect(await b.listAudit(0, 1000)).toEqual(all);

      const key = `${prefix}:{audit}:e`;
      await raw.hset(key, '7', JSON.stringify({ ...all[6]!, action: 'nothing' }));
      expect(verifyChain(await a.listAudit(0, 1000))).toMatchObject({ ok: false, brokenSeq: 7 });
      await raw.hset(key, '7', JSON.stringify(all[6]));
      await raw.hdel(key, '12');
      expect(verifyChain(await a.listAudit(0, 1000))).toMatchObject({ ok: false, brokenSeq: 12 });
    } finally {
      raw.disconnect();
      await a.close();
      await b.close();
    }
  });
});
