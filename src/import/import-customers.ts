import type { ContactIdentifierKind } from '../../actors/index.js';
import type { SealedRecord } from '../store/keyring.js';
import type { CustomerRecord, Store } from '../store/store.js';
import type { ImportMapping } from './import-mapping.js';
import type { CustomerRow, RowReject } from './customer-from-row.js';
import { mergeRecord, plausibleBirthDate, sameRecord } from './customer-from-row.js';
import { IndexKeyFilter } from './index-key-filter.js';
import type { PreparedRow } from './prepare-row.js';
import { prepareRows } from './prepare-row.js';
import type { SourceRow } from './read-rows.js';

/**
 * The import run (docs/import.md): rows in file order, upserted in batches. Each batch is one
 * store transaction holding its rows and the run's resume point (the last line it covers, the
 * counts, the rejects file's length), so a run killed at any moment and started again with
 * `resume` goes on after the last committed row and imports no row twice. A row is applied
 * whole or rejected whole; a reject never stops the run.
 */

export const IMPORT_META_KEY = 'import.customers';

/**
 * The direct import's batch (`kairos import customers FILE`) for a file of `bytes`: larger than
 * the default's 5,000 in a large file, as a batch's identity keys land all over the index
 * (HMACs) and each commit writes every page it touched (docs/import.md, Speed); up to 50,000,
 * and a row per 2,000 bytes of the file, so that a batch stays within a tenth of a file of rows
 * up to 200 bytes (progress is told per committed batch, a line a tenth).
 */
export function directImportBatch(bytes: number): number {
  return Math.min(50_000, Math.max(5_000, Math.floor(bytes / 2_000)));
}

export interface ImportCounts {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

/** The resume point, kept in the store's meta under IMPORT_META_KEY. */
export interface ImportMarker {
  source: string;
  line: number;
  rejectsBytes: number;
  counts: ImportCounts;
  done: boolean;
}

/** Where rejected rows go: CSV text appended, its length, cut back to a length on resume. */
export interface RejectSink {
  append(text: string): void;
  size(): number;
  truncate(bytes: number): void;
}

export interface ImportOptions {
  /** names the file for the resume point (its resolved path, or "-") */
  source: string;
  mapping: ImportMapping;
  rejects: RejectSink;
  resume: boolean;
  /** the import time: consents' default time, age from the birth date */
  now: number;
  batchSize?: number;
  onProgress?: (p: { rows: number; bytes: number }) => void;
  /** false: no resume point is kept (the admin route: each request is whole) */
  keepMarker?: boolean;
  /** each committed batch's rows that changed a customer already imported, with the record before */
  onUpdated?: (changes: ReadonlyArray<{ id: string; before: CustomerRecord; after: CustomerRecord }>) => Promise<void>;
  /**
   * each batch's created and updated records just before they are written (the direct import
   * lays them over customers' stored snapshots: refresh-snapshots.ts); awaited, so a batch is
   * written only after it
   */
  beforeWrite?: (records: ReadonlyArray<{ id: string; record: CustomerRecord }>) => Promise<unknown>;
  /**
   * the store's identity index by the rows' own index keys (`PreparedRow.identityKeys`, the
   * direct import's: `prepared-rows.ts`): an identifier's owner looked up without hashing it here
   */
  identityIndex?: {
    owner(kind: ContactIdentifierKind, value: string, indexKey: string): string | undefined;
    /**
     * the store holds no customer at all (`LmdbStore.holdsNoCustomers`), asked as the run
     * begins: then an id met for the first time in the run is new (not read from the store),
     * and the rows' own sealed records (`PreparedRow.sealed`, sealed at the run's `now`) are written as they are
     */
    holdsNoCustomers?(): boolean;
  };
  /** each rejected row, as the rejects file has it */
  onRejected?: (r: { line: number; column: string; reason: string; raw: string }) => void;
}

export interface ImportResult extends ImportCounts {
  /** rows skipped as already committed by the run resumed */
  skipped: number;
}

export const REJECTS_HEADER = 'line,column,reason,raw\n';

/**
 * Where a run starts: from the resume point it continues (its counts, the line after its last
 * committed row, the rejects file cut back to what was committed), or from the top with a
 * fresh rejects file. The direct import and the import through a server keep the point in
 * different places (the store, a file) but start alike.
 */
export function startRun(resumed: ImportMarker | undefined, rejects: RejectSink): { counts: ImportCounts; skipUntil: number; done: boolean } {
  if (resumed !== undefined) {
    if (resumed.done !== true) rejects.truncate(resumed.rejectsBytes);
    return { counts: { ...resumed.counts }, skipUntil: resumed.line, done: resumed.done === true };
  }
  rejects.truncate(0);
  rejects.append(REJECTS_HEADER);
  return { counts: { rows: 0, created: 0, updated: 0, unchanged: 0, rejected: 0 }, skipUntil: 0, done: false };
}

function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

export function rejectLine(line: number, column: string, reason: string, raw: string): string {
  return `${line},${csvCell(column)},${csvCell(reason)},${csvCell(raw)}\n`;
}

/** The run's last line: `import: rows=N created=A updated=B unchanged=C rejected=D s=T`. */
export function summaryLine(c: ImportCounts, seconds: number): string {
  return `import: rows=${c.rows} created=${c.created} updated=${c.updated} unchanged=${c.unchanged} rejected=${c.rejected} s=${seconds.toFixed(1)}`;
}

export function importCustomerRows(store: Store, rows: AsyncIterable<SourceRow> | Iterable<SourceRow>, o: ImportOptions): Promise<ImportResult> {
  return importPreparedRows(store, prepareRows(rows, o.mapping), o);
}

/**
 * The run over rows already read, mapped and checked on their own (`prepare-row.ts`; the
 * direct import's file is prepared on a worker thread: `prepared-rows.ts`).
 */
export async function importPreparedRows(store: Store, rows: AsyncIterable<PreparedRow> | Iterable<PreparedRow>, o: ImportOptions): Promise<ImportResult> {
  const batchSize = o.batchSize ?? 5000;
  const keepMarker = o.keepMarker ?? true;
  const previous = keepMarker ? ((await store.getMeta(IMPORT_META_KEY)) as ImportMarker | undefined) : undefined;
  const resumed = o.resume && previous !== undefined && previous.source === o.source ? previous : undefined;
  const { counts, skipUntil, done: finished } = startRun(resumed, o.rejects);
  if (finished) return { ...counts, skipped: counts.rows };
  /** ids met so far: the first row naming an id claims it, a later one is a duplicate */
  const seen = new Set<string>();
  /** a store with no customer when the run began: each row's id, first met here, is new */
  const fresh = o.identityIndex?.holdsNoCustomers?.() === true;
  /** there, the index keys this run has written: an identifier whose key is not among them has no owner */
  const written = fresh ? new IndexKeyFilter() : undefined;
  let skipped = 0;
  /** `indexKeys`: the row's identity index keys, for a store that takes them (`LmdbStore.importCustomers`) */
  let batch: Array<{ id: string; record: CustomerRecord; indexKeys?: Partial<Record<ContactIdentifierKind, readonly string[]>>; sealed?: SealedRecord }> = [];
  let updates: Array<{ id: string; before: CustomerRecord; after: CustomerRecord }> = [];
  let pendingLinks = new Map<string, string>();
  let rejectsText = '';
  let lastLine = skipUntil;
  let bytes = 0;
  let inBatch = 0;

  /**
   * One batch's transaction is written while the next batch is checked (LMDB commits in
   * order, so the resume point never runs ahead of the rows): the identifiers of the batch
   * in flight stay claimed until it is committed.
   */
  let inFlight: { done: Promise<void>; links: Map<string, string> } | undefined;
  const commit = async (done: boolean): Promise<void> => {
    if (batch.length > 0 && o.beforeWrite !== undefined) await o.beforeWrite(batch);
    if (rejectsText !== '') o.rejects.append(rejectsText);
    const marker: ImportMarker = { source: o.source, line: lastLine, rejectsBytes: o.rejects.size(), counts: { ...counts }, done };
    const written = batch.length > 0 || keepMarker ? store.importCustomers(batch, keepMarker ? { key: IMPORT_META_KEY, value: marker } : undefined) : Promise.resolve();
    const changed = updates;
    const progress = { rows: counts.rows, bytes };
    const previous = inFlight;
    inFlight = {
      links: pendingLinks,
      done: (async () => {
        await previous?.done;
        await written;
        if (changed.length > 0) await o.onUpdated?.(changed);
        o.onProgress?.(progress);
      })(),
    };
    batch = [];
    updates = [];
    pendingLinks = new Map();
    rejectsText = '';
    inBatch = 0;
    await previous?.done;
    if (done) await inFlight.done;
  };

  const owner = async (kind: ContactIdentifierKind, value: string, indexKey: string | undefined): Promise<string | undefined> => {
    const key = `${kind}:${value}`;
    const pending = pendingLinks.get(key) ?? inFlight?.links.get(key);
    if (pending !== undefined) return pending;
    if (indexKey !== undefined && written !== undefined && !written.mayHave(indexKey)) return undefined;
    return indexKey !== undefined && o.identityIndex !== undefined ? o.identityIndex.owner(kind, value, indexKey) : await store.lookupIdentity(kind, value);
  };

  try {
    await applyRows();
  } catch (err) {
    // the batch already handed to the store is written (or fails) before the error is told
    await inFlight?.done.catch(() => undefined);
    throw err;
  }
  return { ...counts, skipped };

  async function applyRows(): Promise<void> {
    for await (const src of rows) {
      bytes = src.bytes;
      const id = src.id;
      if (src.line <= skipUntil) {
        if (id !== '') seen.add(id);
        skipped++;
        continue;
      }
      counts.rows++;
      lastLine = src.line;
      inBatch++;
      const unreadable = 'reason' in src.outcome && src.outcome.reason === 'unreadable_row';
      const outcome: CustomerRow | RowReject = !unreadable && id !== '' && seen.has(id) ? { column: src.sources.id!, reason: 'duplicate_id' } : src.outcome;
      if (id !== '') seen.add(id);
      let reject: RowReject | undefined = 'reason' in outcome ? outcome : undefined;
      // A far-off birth date (in the future, or over 150 years back) reads as a date but is none a customer has.
      const born = reject === undefined ? (outcome as CustomerRow).birthDate : undefined;
      if (born !== undefined && !plausibleBirthDate(born, o.now)) reject = { column: src.sources.birth_date ?? 'birth_date', reason: 'invalid_date' };
      if (reject === undefined) {
        const row = outcome as CustomerRow;
        for (const [kind, values] of Object.entries(row.identifiers) as Array<[ContactIdentifierKind, string[]]>) {
          const keys = src.identityKeys?.[kind];
          for (let i = 0; i < values.length; i++) {
            const v = values[i]!;
            const who = await owner(kind, v, keys?.[i]);
            if (who !== undefined && who !== row.id) reject = { column: src.sources[kind] ?? kind, reason: 'identifier_taken' };
          }
        }
        if (reject === undefined) {
          const existing = fresh ? undefined : await store.getCustomer(row.id);
          const record = mergeRecord(existing, row, o.now);
          if (existing !== undefined && sameRecord(existing, record)) counts.unchanged++;
          else {
            if (existing === undefined) counts.created++;
            else counts.updated++;
            const entry: (typeof batch)[number] = src.identityKeys !== undefined && o.identityIndex !== undefined ? { id: row.id, record, indexKeys: src.identityKeys } : { id: row.id, record };
            if (fresh && src.sealed !== undefined) entry.sealed = src.sealed;
            batch.push(entry);
            if (existing !== undefined) updates.push({ id: row.id, before: existing, after: record });
            for (const [kind, values] of Object.entries(row.identifiers) as Array<[ContactIdentifierKind, string[]]>) for (const v of values) pendingLinks.set(`${kind}:${v}`, row.id);
            if (written !== undefined) for (const keys of Object.values(src.identityKeys ?? {})) for (const k of keys) written.add(k);
          }
        }
      }
      if (reject !== undefined) {
        counts.rejected++;
        rejectsText += rejectLine(src.line, reject.column, reject.reason, src.raw);
        o.onRejected?.({ line: src.line, ...reject, raw: src.raw });
      }
      if (inBatch >= batchSize) await commit(false);
    }
    await commit(true);
  }
}
