import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { recordShardCount } from '../shards/shard-count.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { tempDir } from '../test-support/test-kairos.js';
import { auditCommand } from './audit-command.js';
import { backupCommand, restoreCommand } from './backup-command.js';
import { importCommand } from './import-command.js';
import { segmentsCommand } from './segments-command.js';

/**
 * The offline commands on a data dir spread over shards: those that work on a single node's
 * store refuse it, naming why, and leave nothing behind (a store made there would stop the
 * sharded node from starting); `kairos audit` reads the node's trail from the main thread's store.
 */

const data = tempDir();
afterAll(() => data.remove());

describe('the offline commands on a sharded data dir', () => {
  it('refuse what works on a single node\'s store, write nothing there, and read the node\'s audit trail', async () => {
    recordShardCount(data.dir, 2);
    const env = { KAIROS_DATA_DIR: data.dir };
    const errors: string[] = [];
    const io = { env, out: () => undefined, err: (t: string) => void errors.push(t) };
    const csv = join(data.dir, '..', `customers-${process.pid}.csv`);
    writeFileSync(csv, 'id,last_name\nc-1,Иванов\n');

    expect(await importCommand(['customers', csv], { ...io, stdin: Readable.from([]), tty: false })).not.toBe(0);
    expect(await segmentsCommand(['recount'], io)).not.toBe(0);
    expect(await backupCommand([join(data.dir, '..', `backup-${process.pid}`)], io)).not.toBe(0);
    expect(restoreCommand([join(data.dir, '..', `backup-${process.pid}`)], io)).not.toBe(0);
    expect(errors).toHaveLength(4);
    for (const e of errors) expect(e).toContain('spread over 2 shards');
    expect(existsSync(join(data.dir, 'lmdb'))).toBe(false);

    const node = new LmdbStore(join(data.dir, 'node'));
    await node.appendAudit({ at: Date.parse('2026-11-24T09:00:00Z'), who: { name: 'dpo', role: 'privacy' }, action: 'customer.erase', target: 'customer:c-1' });
    await node.close();
    const out: string[] = [];
    expect(await auditCommand('export', { dataDir: data.dir }, { out: (t) => void out.push(t), err: (t) => void errors.push(t) })).toBe(0);
    expect(out.join('')).toContain('"target":"customer:c-1"');
  });
});
