import { createReadStream, ftruncateSync, fstatSync, openSync, statSync, writeSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { adminKeyOf } from './admin-client.js';
import { commandConfig } from './command-config.js';
import { localWho } from '../audit/audit-chain.js';
import { KairosError } from '../errors.js';
import { lmdbOptions } from '../host-parts.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { singleNodeStoreDir } from '../shards/shard-count.js';
import type { ImportMapping } from '../import/import-mapping.js';
import { ENCODING_HINT, emptyMapping, encodingName, loadMapping } from '../import/import-mapping.js';
import type { RejectSink } from '../import/import-customers.js';
import type { ImportResult } from '../import/import-customers.js';
import { directImportBatch, importPreparedRows, summaryLine } from '../import/import-customers.js';
import { prepareRows } from '../import/prepare-row.js';
import { identityIndexOf, preparedRowsFromFile } from '../import/prepared-rows.js';
import { importThroughServer } from '../import/import-through-server.js';
import { refreshSnapshots } from '../import/refresh-snapshots.js';
import { recordImportPass } from '../runtime/segment-sweep.js';
import type { ImportFormat } from '../import/read-rows.js';
import { formatOf, readRows } from '../import/read-rows.js';

/**
 * `kairos import customers FILE`: the bank's customers from a CSV or NDJSON file (or "-",
 * standard input) into the store of KAIROS_DATA_DIR, which no server may hold at the time
 * (the data-dir lock says so). docs/import.md.
 */

/** The direct import's snapshot refresh, bound to its store (customers with an actor state see the import). */
function refreshSnapshotsOf(store: LmdbStore, now: number): (records: Parameters<typeof refreshSnapshots>[1], updates: Parameters<typeof refreshSnapshots>[3]) => Promise<number> {
  return (records, updates) => refreshSnapshots(store, records, now, updates);
}

export const importUsage = `usage: kairos import customers FILE|- [options]
  --mapping FILE   YAML or JSON: column renames, types, date formats (docs/import.md)
  --rejects FILE   the rejected rows, CSV line,column,reason,raw (default FILE.rejects.csv; stdin: import-rejects.csv)
  --resume         go on after the last committed row of an import of the same FILE that was stopped
  --format F       csv or ndjson (default: by the file name, .ndjson/.jsonl or else csv)
  --encoding E     the file's text encoding: utf-8 (default), windows-1251, koi8-r, ibm866, … (else the mapping's "encoding")
  --data-dir DIR   KAIROS_DATA_DIR (the store written; no server may hold it)
  --url URL        through a running server's POST /v1/customers/import instead
  --key-file FILE  a file holding its admin key, role privacy or admin (default: the KAIROS_ADMIN_KEY variable)
  --key KEY        the admin key itself (every local user sees it in ps: prefer the others)`;

export interface ImportIo {
  env: Readonly<Record<string, string | undefined>>;
  stdin: Readable;
  out: (text: string) => void;
  err: (text: string) => void;
  /** whether err is a terminal: a progress bar; else a line per tenth */
  tty: boolean;
}

function fileSink(path: string): RejectSink {
  const fd = openSync(path, 'a+');
  let size = fstatSync(fd).size;
  return {
    append(text) {
      const b = Buffer.from(text);
      writeSync(fd, b);
      size += b.length;
    },
    size: () => size,
    truncate(bytes) {
      ftruncateSync(fd, bytes);
      size = bytes;
    },
  };
}

function bar(share: number, rows: number, elapsedMs: number, width = 30): string {
  const filled = Math.round(Math.min(1, share) * width);
  const rate = elapsedMs > 0 ? Math.round((rows / elapsedMs) * 1000) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(Math.min(1, share) * 100)).padStart(3)}%  rows=${rows}  ${rate}/s`;
}

/**
 * The progress line when a batch committed past a new tenth of the file (not a terminal): the
 * share of the file read, as it is (`import: 16% rows=31976`), not the tenth passed; undefined
 * when no new tenth was passed (or the file is read whole).
 */
export function tenthLine(bytes: number, total: number, rows: number, lastTenth: number): { tenth: number; text: string } | undefined {
  const share = Math.min(1, bytes / total);
  const tenth = Math.floor(share * 10);
  if (tenth <= lastTenth || tenth >= 10) return undefined;
  return { tenth, text: `import: ${Math.floor(share * 100)}% rows=${rows}\n` };
}

/** Runs the command; resolves with the exit code (0 the file was read, 1 it could not be, 2 usage). */
export async function importCommand(argv: readonly string[], io: ImportIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        mapping: { type: 'string' },
        rejects: { type: 'string' },
        resume: { type: 'boolean' },
        format: { type: 'string' },
        encoding: { type: 'string' },
        'data-dir': { type: 'string' },
        url: { type: 'string' },
        key: { type: 'string' },
        'key-file': { type: 'string' },
      },
    });
  } catch (err) {
    io.err(`kairos import: ${(err as Error).message}\n${importUsage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [what, file, ...more] = positionals;
  if (what !== 'customers' || file === undefined || more.length > 0 || (values.format !== undefined && values.format !== 'csv' && values.format !== 'ndjson')) {
    io.err(`${importUsage}\n`);
    return 2;
  }
  let mapping: ImportMapping = emptyMapping;
  try {
    if (values.mapping !== undefined) mapping = loadMapping(values.mapping);
  } catch (err) {
    io.err(`kairos import: ${(err as Error).message}\n`);
    return 2;
  }
  if (values.encoding !== undefined) {
    const encoding = encodingName(values.encoding);
    if (encoding === undefined) {
      io.err(`kairos import: --encoding is ${ENCODING_HINT}, got ${JSON.stringify(values.encoding)}\n`);
      return 2;
    }
    const { encoding: _mapped, ...rest } = mapping;
    mapping = encoding === 'utf-8' ? rest : { ...rest, encoding };
  }
  if (values.url === undefined && (values.key !== undefined || values['key-file'] !== undefined)) {
    io.err('kairos import: --key and --key-file are the server\'s admin key: they go with --url\n');
    return 2;
  }
  const key = values.url === undefined ? undefined : adminKeyOf('import', { key: values.key, 'key-file': values['key-file'] }, { env: io.env, err: (line) => io.err(`${line}\n`) });
  if (typeof key === 'number') return key;
  const config = commandConfig('import', io.env, values['data-dir'], io.err);
  if (config === undefined) return 2;
  const remote = values.url !== undefined && key !== undefined ? { url: values.url, key } : undefined;
  if (remote === undefined && config.store !== 'lmdb') {
    io.err('kairos import: writes the LMDB store of KAIROS_DATA_DIR (KAIROS_STORE=lmdb), or use --url\n');
    return 2;
  }
  const format: ImportFormat = values.format ?? formatOf(file);
  const stdin = file === '-';
  const source = stdin ? '-' : resolve(file);
  let total = 0;
  if (!stdin) {
    try {
      total = statSync(source).size;
    } catch (err) {
      io.err(`kairos import: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})\n`);
      return 1;
    }
  }
  let store: LmdbStore | undefined;
  try {
    if (remote === undefined) store = new LmdbStore(singleNodeStoreDir(config.dataDir, 'import'), { ...lmdbOptions(config), prefetch: false });
  } catch (err) {
    io.err(`kairos import: ${(err as Error).message}\n`);
    return 1;
  }
  const rejectsPath = values.rejects ?? (stdin ? 'import-rejects.csv' : `${file}.rejects.csv`);
  const started = performance.now();
  /** rows committed so far (the last batch's progress): what a stopped import's audit entry names */
  let committedRows = 0;
  let lastTenth = 0;
  let lastLineAt = 0;
  try {
    const sink = fileSink(rejectsPath);
    /** rows rejected as not valid UTF-8 (a file in another encoding): the run ends with a hint */
    let notUtf8 = 0;
    const rejects: RejectSink = {
      ...sink,
      append(text) {
        for (let at = text.indexOf(',invalid_encoding,'); at >= 0; at = text.indexOf(',invalid_encoding,', at + 1)) notUtf8++;
        sink.append(text);
      },
    };
    const onProgress = ({ rows, bytes }: { rows: number; bytes: number }): void => {
        committedRows = rows;
        const elapsed = performance.now() - started;
        if (io.tty) io.err(`\r${bar(total > 0 ? bytes / total : 0, rows, elapsed)}`);
        else if (total > 0) {
          const line = tenthLine(bytes, total, rows, lastTenth);
          if (line !== undefined) {
            lastTenth = line.tenth;
            io.err(line.text);
          }
        } else if (rows - lastLineAt >= 100_000) {
          lastLineAt = rows;
          io.err(`import: rows=${rows}\n`);
        }
    };
    // the direct import of a file reads it on a worker thread (prepared-rows.ts); standard input and the server's run here
    const rows = (): ReturnType<typeof readRows> => readRows(stdin ? io.stdin : createReadStream(source), format, mapping.delimiter, mapping.encoding);
    const resume = values.resume === true;
    const importedAt = Date.now();
    const index = store !== undefined && !stdin ? identityIndexOf(store) : undefined;
    const result: ImportResult =
      store !== undefined
        ? await importPreparedRows(store, stdin ? prepareRows(rows(), mapping, { now: importedAt }) : preparedRowsFromFile(source, format, mapping, { now: importedAt, seal: index?.empty === true }), {
            source,
            mapping,
            rejects,
            resume,
            now: importedAt,
            batchSize: directImportBatch(total),
            ...(index !== undefined ? { identityIndex: index.identityIndex } : {}),
            onProgress,
            // each batch's customers, for the next server's segment pass at its start (memberships, sizes, members)
            onCommitted: async (ids) => void (await recordImportPass(store, ids, importedAt)),
            // a store with no customer has no snapshot to refresh (and no one else writes it while the import holds it)
            ...(index?.empty === true ? {} : { beforeWrite: refreshSnapshotsOf(store, importedAt) }),
          })
        : await importThroughServer(rows(), { ...remote!, source, mapping, rejects, resume, statePath: `${rejectsPath}.state.json`, onProgress });
    if (store !== undefined) await auditDirectImport(store, importedAt, { rows: result.rows, created: result.created, updated: result.updated, unchanged: result.unchanged, rejected: result.rejected });
    if (io.tty) io.err('\n');
    if (result.skipped > 0) io.err(`import: resumed after ${result.skipped} rows already committed\n`);
    if (result.rejected > 0) io.err(`import: ${result.rejected} rows rejected, see ${rejectsPath}\n`);
    if (notUtf8 > 0) io.err(`import: ${notUtf8} rows rejected as invalid_encoding (text that is not ${mapping.encoding ?? 'UTF-8'}): if the file is in another encoding, name it with --encoding (e.g. --encoding windows-1251) or "encoding" in the mapping\n`);
    io.out(`${summaryLine(result, (performance.now() - started) / 1000)}\n`);
    return 0;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (store !== undefined && committedRows > 0) {
      await auditDirectImport(store, Date.now(), { rows: committedRows, stopped: err instanceof KairosError ? err.code : (code ?? 'error') }).catch((auditErr: unknown) =>
        io.err(`kairos import: the stopped import was not audited: ${(auditErr as Error).message}\n`),
      );
    }
    // the file's columns cannot be taken as they are (a header naming a column twice, or two columns giving one): a usage error, as a bad mapping
    if (code === 'invalid') {
      io.err(`kairos import: ${(err as Error).message}\n`);
      return 2;
    }
    io.err(err instanceof KairosError ? `kairos import: ${err.message}\n` : `kairos import: cannot read ${file}: ${code ?? (err as Error).message}\n`);
    return 1;
  } finally {
    await store?.close();
  }
}


/**
 * The direct import's entry in the data dir's audit trail (docs/audit.md), as the admin route
 * writes one (`customers.import`, its counts or the rows committed before it stopped): no key
 * made it, so it names the system user who ran the command (`localWho`).
 */
async function auditDirectImport(store: LmdbStore, at: number, outcome: Record<string, number | string>): Promise<void> {
  await store.appendAudit({ at, who: localWho(systemUser()), action: 'customers.import', target: 'customers', after: outcome });
}

/** The system user running the command (its uid where the system has no name for it: a container's). */
function systemUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? 'unknown'}`;
  }
}
