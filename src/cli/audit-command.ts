import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditRecord } from '../audit/audit-chain.js';
import { verifyChain } from '../audit/audit-chain.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { recordedShardCount } from '../shards/shard-count.js';
import { adminKeyOf } from './admin-client.js';

/**
 * `kairos audit verify` and `kairos audit export`: the audit trail read from the data dir's
 * LMDB store (the server stopped: the store's lock refuses while it runs) or from a running
 * server's admin API (`--url`, with an admin key). Exit codes: 0 fine, 1 a broken chain or an
 * error reading, 2 bad usage (the caller's).
 */

export interface AuditCommandOptions {
  /** the data dir (its `lmdb` store), when no url is given */
  dataDir: string;
  url?: string | undefined;
  /** the admin key for `url`, on the command line (visible in `ps`: `keyFile` or KAIROS_ADMIN_KEY preferred) */
  key?: string | undefined;
  /** a file holding the admin key for `url` */
  keyFile?: string | undefined;
  /** the environment: KAIROS_ADMIN_KEY, the admin key for `url` when neither of the above is given */
  env?: Readonly<Record<string, string | undefined>>;
  /** export: entries at or after, and before, these times (ms) */
  from?: number | undefined;
  to?: number | undefined;
}

export interface AuditOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The whole trail in stored order: from the API's NDJSON export (with `key`), or from the LMDB store a page at a time. */
async function* readTrail(o: AuditCommandOptions, key: string | undefined): AsyncGenerator<AuditRecord> {
  if (o.url !== undefined) {
    const res = await fetch(new URL('/v1/audit/export', o.url), { headers: key === undefined ? {} : { Authorization: `Bearer ${key}` } });
    if (!res.ok) throw new Error(`GET /v1/audit/export: ${res.status} ${await res.text()}`);
    for (const line of (await res.text()).split('\n')) if (line.trim() !== '') yield JSON.parse(line) as AuditRecord;
    return;
  }
  // (a data dir spread over shards keeps the node's trail in the main thread's store)
  const dir = join(o.dataDir, recordedShardCount(o.dataDir) === undefined ? 'lmdb' : 'node');
  if (!existsSync(join(dir, 'data.mdb'))) throw new Error(`no LMDB store in ${dir}`);
  const store = new LmdbStore(dir, { prefetch: false, syncIntervalMs: 0 });
  try {
    for (let after = 0; ; ) {
      const page = await store.listAudit(after, 1000);
      yield* page;
      if (page.length < 1000) return;
      after = page.at(-1)!.seq;
    }
  } finally {
    await store.close();
  }
}

/** Runs `kairos audit <sub>`; resolves the exit code. */
export async function auditCommand(sub: 'verify' | 'export', o: AuditCommandOptions, io: AuditOutput): Promise<number> {
  let key: string | undefined;
  if (o.url !== undefined) {
    const found = adminKeyOf(`audit ${sub}`, { key: o.key, 'key-file': o.keyFile }, { env: o.env ?? {}, err: (line) => io.err(`${line}\n`) });
    if (typeof found === 'number') return found;
    key = found;
  }
  try {
    if (sub === 'export') {
      for await (const e of readTrail(o, key)) {
        if ((o.from !== undefined && e.at < o.from) || (o.to !== undefined && e.at >= o.to)) continue;
        io.out(`${JSON.stringify(e)}\n`);
      }
      return 0;
    }
    const entries: AuditRecord[] = [];
    for await (const e of readTrail(o, key)) entries.push(e);
    const check = verifyChain(entries);
    if (check.ok) {
      io.out(`audit: ${check.entries} entries, the chain holds; head ${check.head}\n`);
      return 0;
    }
    io.out(`audit: the chain breaks at seq ${check.brokenSeq}: ${check.problem}\n`);
    return 1;
  } catch (err) {
    io.err(`kairos: audit ${sub}: ${(err as Error).message}\n`);
    return 1;
  }
}
