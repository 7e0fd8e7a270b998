import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { benchArgs } from './bench-args.js';
import { open } from 'lmdb';
import { pack } from 'msgpackr';
import { emptyMapping } from '../src/import/import-mapping.js';
import { directImportBatch, importPreparedRows } from '../src/import/import-customers.js';
import { identityIndexOf, preparedRowsFromFile } from '../src/import/prepared-rows.js';
import { customerFromRow, mergeRecord } from '../src/import/customer-from-row.js';
import type { CustomerRow } from '../src/import/customer-from-row.js';
import { mapRow } from '../src/import/map-row.js';
import { readRows } from '../src/import/read-rows.js';
import { LmdbStore } from '../src/store/lmdb-store.js';

/**
 * The customer import's speed (issue 29): the bench writes a CSV of N customers (the
 * canonical columns and two attributes), imports it with `importCustomerRows` into a fresh
 * LMDB store (what `kairos import customers` runs), and measures the floor in the same run:
 * the same customers' records packed and written with bare batched LMDB puts (10,000 a
 * transaction), nothing checked, no identity index.
 *
 *   npm run bench:import [-- --rows 1000000] [--batch-size N (the import's, default `kairos import customers FILE`'s: 50,000 here)]
 *
 * Last line: `import: rows=N s=T floor_s=F ratio=T/F`.
 */

async function writeCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('id,last_name,first_name,patronymic,gender,birth_date,city,timezone,phone,email,card,consent_sms,consent_email,stage,income,tier\n');
  for (let i = 1; i <= rows; i++) {
    const line = `b-${i},Иванов,Пётр,Сергеевич,m,19${String(40 + (i % 60)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10},Москва,Europe/Moscow,+7916${String(i).padStart(7, '0')},p${i}@example.ru,4276${String(i).padStart(12, '0')},true,${i % 2 === 0},client,${30000 + (i % 1000) * 100},${i % 3 === 0 ? 'gold' : 'silver'}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function main(): Promise<void> {
  const { values } = benchArgs({
    command: 'npm run bench:import -- [options]',
    summary: 'The customer import\'s speed against bare batched LMDB puts of the same customers, in the same run.',
    lastLine: 'import: rows=N s=T floor_s=F ratio=T/F',
    options: { rows: { type: 'string', default: '1000000', describe: 'customers in the CSV' }, 'batch-size': { type: 'string', describe: 'the import\'s batch size (that of `kairos import customers` by default)' } },
  });
  const given = values['batch-size'] !== undefined ? Number(values['batch-size']) : undefined;
  const rows = Number(values.rows);
  if (!Number.isInteger(rows) || rows < 1) throw new Error('--rows N, a whole number');
  const dir = mkdtempSync(join(tmpdir(), 'kairos-import-bench-'));
  try {
    const csv = join(dir, 'customers.csv');
    await writeCsv(csv, rows);
    const batchSize = given ?? directImportBatch(statSync(csv).size);
    const now = Date.now();

    // The floor: the same records, packed and put in batches of 10,000, nothing else.
    const db = open({ path: join(dir, 'floor'), compression: false });
    let floorMs = 0;
    let batch: Array<[string, Buffer]> = [];
    const put = async (): Promise<void> => {
      const t = performance.now();
      await db.transaction(() => {
        for (const [k, v] of batch) void db.put(k, v);
      });
      floorMs += performance.now() - t;
      batch = [];
    };
    for await (const r of readRows(createReadStream(csv), 'csv')) {
      const row = customerFromRow(mapRow(r.fields, emptyMapping), emptyMapping) as CustomerRow;
      const record = mergeRecord(undefined, row, now);
      const t = performance.now();
      batch.push([row.id, pack(record)]);
      floorMs += performance.now() - t;
      if (batch.length >= 10_000) await put();
    }
    if (batch.length > 0) await put();
    await db.close();

    // as `kairos import customers` opens it: reads on the main thread (a bulk job, no events to keep moving)
    const store = new LmdbStore(join(dir, 'lmdb'), { prefetch: false });
    const index = identityIndexOf(store);
    const started = performance.now();
    let lastTenth = 0;
    // as `kairos import customers FILE` reads it: on a worker thread (prepared-rows.ts)
    const r = await importPreparedRows(store, preparedRowsFromFile(csv, 'csv', emptyMapping, { now, seal: index.empty }), {
      identityIndex: index.identityIndex,
      source: csv,
      mapping: emptyMapping,
      rejects: { append: () => undefined, size: () => 0, truncate: () => undefined },
      resume: false,
      now,
      batchSize,
      onProgress: (p) => {
        const tenth = Math.floor((p.rows / rows) * 10);
        if (tenth > lastTenth) {
          lastTenth = tenth;
          process.stderr.write(`import: ${tenth * 10}% ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
        }
      },
    });
    const s = (performance.now() - started) / 1000;
    await store.close();
    if (r.created !== rows) throw new Error(`created ${r.created} of ${rows} (rejected ${r.rejected})`);
    const floorS = floorMs / 1000;
    process.stdout.write(`import: rows=${rows} s=${s.toFixed(1)} floor_s=${floorS.toFixed(1)} ratio=${(s / floorS).toFixed(2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
