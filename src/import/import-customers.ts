import { csvField } from '../csv-field.js';
import type { ContactIdentifierKind } from '../../actors/index.js';
import type { LmdbImportEntry } from '../store/lmdb-store.js';
import type { CustomerRecord, ImportEntry, Store } from '../store/store.js';
import type { ImportMapping } from './import-mapping.js';
import type { CustomerRow, RowReject } from './customer-from-row.js';
import { mergeRecord, sameRecord, tooManyAttributes } from './customer-from-row.js';
import { IndexKeyFilter } from './index-key-filter.js';
import { importLockOf } from './import-lock.js';
import type { PreparedRow, SealedRow } from './prepare-row.js';
import { prepareRows, refuseDuplicate } from './prepare-row.js';
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
  /**
   * each committed batch's rows that changed a customer already imported, with the record
   * before; and (`before` undefined) those that gave a customer events made (a `p-…` prospect,
   * a `v-…` visitor: a state, no record) its first record, whose state is to be told too
   */
  onUpdated?: (changes: ReadonlyArray<ImportedChange>) => Promise<void>;
  /**
   * each batch's created and updated records just before they are written, and the updated
   * ones' records before (the direct import lays them over customers' stored snapshots:
   * refresh-snapshots.ts); awaited, so a batch is written only after it
   */
  beforeWrite?: (records: ReadonlyArray<{ id: string; record: CustomerRecord }>, updates: ReadonlyArray<{ id: string; before: CustomerRecord }>) => Promise<unknown>;
  /**
   * the store's identity index by index keys the run computes (the direct import's:
   * `prepared-rows.ts`): an identifier's owner looked up at once, each key computed once a row
   */
  identityIndex?: {
    indexKey(kind: ContactIdentifierKind, value: string): string;
    owner(kind: ContactIdentifierKind, value: string, indexKey: string): string | undefined;
    /**
     * the store holds no customer at all (`LmdbStore.holdsNoCustomers`), asked as the run
     * begins: then an id met for the first time in the run is new (not read from the store)
     */
    holdsNoCustomers?(): boolean;
    /** writes a batch holding rows sealed as new customers (`SealedRow`, only in a store that held none): `LmdbStore.importCustomers` */
    importCustomers?(entries: ReadonlyArray<LmdbImportEntry>, marker?: { key: string; value: unknown }): Promise<void>;
  };
  /**
   * the caller holds the store's import lock already (`withImportLock`) and gives it up when
   * done: the run neither takes it nor hands it over between batches
   */
  lockHeld?: boolean;
  /**
   * each committed batch's customers created or changed (after `onUpdated`): what the segment
   * pass after an import goes over (runtime/segment-sweep.ts, `SegmentSweep.afterImport`)
   */
  onCommitted?: (ids: readonly string[]) => Promise<void> | void;
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

export function rejectLine(line: number, column: string, reason: string, raw: string): string {
  return `${line},${csvField(column)},${csvField(reason)},${csvField(raw)}\n`;
}

/** The run's last line: `import: rows=N created=A updated=B unchanged=C rejected=D s=T`. */
export function summaryLine(c: ImportCounts, seconds: number): string {
  return `import: rows=${c.rows} created=${c.created} updated=${c.updated} unchanged=${c.unchanged} rejected=${c.rejected} s=${seconds.toFixed(1)}`;
}

export function importCustomerRows(store: Store, rows: AsyncIterable<SourceRow> | Iterable<SourceRow>, o: ImportOptions): Promise<ImportResult> {
  return importPreparedRows(store, prepareRows(rows, o.mapping, { now: o.now }), o);
}

/**
 * The run over rows already read, mapped and checked on their own (`prepare-row.ts`; the
 * direct import's file is prepared on a worker thread: `prepared-rows.ts`), one by one or in
 * chunks, in file order. A row is checked without a promise unless the store must be read
 * (an identifier's owner without the index keys, a customer of a store that holds some).
 */
export async function importPreparedRows(store: Store, rows: AsyncIterable<PreparedRow | readonly PreparedRow[]> | Iterable<PreparedRow | readonly PreparedRow[]>, o: ImportOptions): Promise<ImportResult> {
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
  let batch: Array<{ id: string; record: CustomerRecord; indexKeys?: IndexKeys; unlink?: ImportEntry['unlink'] }> = [];
  /** rows sealed as new customers (`SealedRow`): written by `identityIndex.importCustomers` */
  let sealedBatch: Array<{ id: string; sealed: SealedRow['sealed']; identifiers: SealedRow['identifiers']; indexKeys?: IndexKeys }> = [];
  let updates: Array<{ id: string; before: CustomerRecord; after: CustomerRecord }> = [];
  /** this batch's rows giving a customer events made their first record (`onUpdated`'s, not `beforeWrite`'s) */
  let firstRecords: ImportedChange[] = [];
  /**
   * the identifiers of the batch being checked, by index key where the rows bring them, else
   * `kind:value`: the customer a row gave one to, or the customer whose row dropped it (`Released`)
   */
  let pendingLinks = new Map<string, string | Released>();
  /** a row of this batch takes an identifier a row of the batch in flight released: that batch is committed before this one is written */
  let followsInFlight = false;
  let rejectsText = '';
  let lastLine = skipUntil;
  let bytes = 0;
  let inBatch = 0;

  /**
   * One batch's transaction is written while the next batch is checked (LMDB commits in
   * order, so the resume point never runs ahead of the rows): the identifiers of the batch
   * in flight stay claimed until it is committed.
   */
  let inFlight: { done: Promise<void>; links: Map<string, string | Released> } | undefined;
  const commit = async (done: boolean): Promise<void> => {
    // an identifier the batch in flight unlinks is linked by this one only once that is committed (in order, on every store)
    if (followsInFlight) await inFlight?.done;
    followsInFlight = false;
    if (batch.length > 0 && o.beforeWrite !== undefined) await o.beforeWrite(batch, updates);
    if (rejectsText !== '') o.rejects.append(rejectsText);
    // on a store several nodes share: not under another node's lease (this node's ran out: import-lock.ts)
    if (batch.length > 0 || sealedBatch.length > 0 || keepMarker) lock.check();
    const marker: ImportMarker = { source: o.source, line: lastLine, rejectsBytes: o.rejects.size(), counts: { ...counts }, done };
    const meta = keepMarker ? { key: IMPORT_META_KEY, value: marker } : undefined;
    const written =
      sealedBatch.length > 0
        ? writeSealed(o, [...batch, ...sealedBatch], meta)
        : batch.length > 0 || keepMarker
          ? store.importCustomers(batch, meta)
          : Promise.resolve();
    const changed: ImportedChange[] = firstRecords.length === 0 ? updates : [...updates, ...firstRecords];
    const committed = o.onCommitted === undefined ? [] : [...batch.map((e) => e.id), ...sealedBatch.map((e) => e.id)];
    const progress = { rows: counts.rows, bytes };
    const previous = inFlight;
    inFlight = {
      links: pendingLinks,
      done: (async () => {
        await previous?.done;
        await written;
        if (changed.length > 0) await o.onUpdated?.(changed);
        if (committed.length > 0) await o.onCommitted?.(committed);
        o.onProgress?.(progress);
      })(),
    };
    batch = [];
    sealedBatch = [];
    updates = [];
    firstRecords = [];
    pendingLinks = new Map();
    rejectsText = '';
    inBatch = 0;
    await previous?.done;
    if (done) await inFlight.done;
    else if (o.lockHeld !== true && lock.contended) {
      // another run waits to check its rows: this batch committed (its identifiers in the store), then its turn
      await inFlight.done;
      await giveLock();
      await takeLock();
    }
  };

  // One run at a time checks rows against the store and commits them (import-lock.ts; across
  // the nodes too on a store they share, a waiting run on another node counting as one here). A run
  // waiting for its next rows (a client sending its body slowly) does not keep the others
  // waiting: when one asks for the lock meanwhile, what this run checked is committed and the
  // lock handed over (`handOver`), taken back before its next rows are checked.
  const lock = importLockOf(store);
  /** this run holds the lock (taking it back after a handover may fail: then it is not given up again) */
  let holding = false;
  let waitingForRows = false;
  let handOver: Promise<void> | undefined;
  let handOverFailed: Error | undefined;
  const onContended = (): void => {
    if (!waitingForRows || handOver !== undefined) return;
    handOver = commit(false)
      .catch((err: unknown) => void (handOverFailed ??= err instanceof Error ? err : new Error(String(err))))
      .finally(() => (handOver = undefined));
  };
  const takeLock = async (): Promise<void> => {
    if (o.lockHeld === true) return;
    await lock.acquire();
    holding = true;
    lock.onContended = onContended;
  };
  const giveLock = async (): Promise<void> => {
    if (o.lockHeld === true || !holding) return;
    holding = false;
    lock.onContended = undefined;
    await lock.release();
  };

  /** an identifier's owner: at once from the batches not yet committed or the index keys, else a promise of the store's answer */
  const owner = (kind: ContactIdentifierKind, value: string, indexKey: string | undefined): string | undefined | Promise<string | undefined> => {
    // into a store that held none: an index key this run never claimed has no owner (most of them)
    if (indexKey !== undefined && written !== undefined && !written.mayHave(indexKey)) return undefined;
    const key = indexKey ?? `${kind}:${value}`;
    const here = pendingLinks.get(key);
    const pending = here ?? inFlight?.links.get(key);
    if (typeof pending === 'string') return pending;
    const stored = indexKey !== undefined && o.identityIndex !== undefined ? o.identityIndex.owner(kind, value, indexKey) : store.lookupIdentity(kind, value);
    if (pending === undefined) return stored;
    // Released by an earlier row of the run, not yet committed: free for this row if the index
    // still names the customer who released it (its unlink then lands first, in the same or the
    // batch before's transaction), else still its owner's.
    if (here === undefined) followsInFlight = true;
    const free = (who: string | undefined): string | undefined => (who === pending.releasedBy ? undefined : who);
    return stored instanceof Promise ? stored.then(free) : free(stored);
  };

  await takeLock();
  try {
    await applyRows();
  } catch (err) {
    // the batch already handed to the store is written (or fails) before the error is told
    await handOver;
    await inFlight?.done.catch(() => undefined);
    throw err;
  } finally {
    await giveLock();
  }
  return { ...counts, skipped };

  async function applyRows(): Promise<void> {
    const source = Symbol.asyncIterator in rows ? rows[Symbol.asyncIterator]() : rows[Symbol.iterator]();
    for (;;) {
      waitingForRows = true;
      const next = await source.next();
      waitingForRows = false;
      // the lock handed over while the rows were awaited: taken back first
      while (handOver !== undefined) await handOver;
      if (handOverFailed !== undefined) throw handOverFailed;
      if (next.done === true) break;
      const item = next.value;
      for (const src of isChunk(item) ? item : [item]) {
        await applyRow(src);
        if (inBatch >= batchSize) await commit(false);
      }
    }
    await commit(true);
  }

  /** One row checked against the others and the store, and batched or rejected: a promise only when the store is read. */
  function applyRow(src: PreparedRow): Promise<void> | undefined {
    bytes = src.bytes;
    const id = src.id;
    if (src.line <= skipUntil) {
      if (id !== '') seen.add(id);
      skipped++;
      return undefined;
    }
    counts.rows++;
    lastLine = src.line;
    inBatch++;
    const outcome = refuseDuplicate(src, seen);
    if ('reason' in outcome) return rejected(src, outcome);
    // the identifiers' owners: at once, unless one must be read from the store
    const asked: Array<string | undefined | Promise<string | undefined>> = [];
    const columns: string[] = [];
    const keys: IndexKeys | undefined = o.identityIndex !== undefined ? {} : undefined;
    for (const kind in outcome.identifiers) {
      const values = outcome.identifiers[kind as ContactIdentifierKind]!;
      const ofKind = keys !== undefined ? (keys[kind as ContactIdentifierKind] = values.map((v) => o.identityIndex!.indexKey(kind as ContactIdentifierKind, v))) : undefined;
      for (let i = 0; i < values.length; i++) {
        asked.push(owner(kind as ContactIdentifierKind, values[i]!, ofKind?.[i]));
        columns.push(src.sources[kind as ContactIdentifierKind] ?? kind);
      }
    }
    const decide = (owners: ReadonlyArray<string | undefined>): Promise<void> | undefined => {
      const taken = owners.findIndex((who) => who !== undefined && who !== outcome.id);
      if (taken >= 0) return rejected(src, { column: columns[taken]!, reason: 'identifier_taken' });
      return 'sealed' in outcome ? acceptSealed(src, outcome, keys) : accept(src, outcome, keys);
    };
    return asked.some((a) => a instanceof Promise) ? Promise.all(asked.map(async (a) => a)).then(decide) : decide(asked as Array<string | undefined>);
  }

  function rejected(src: PreparedRow, reject: RowReject): undefined {
    counts.rejected++;
    rejectsText += rejectLine(src.line, reject.column, reject.reason, src.raw);
    o.onRejected?.({ line: src.line, ...reject, raw: src.raw });
    return undefined;
  }

  /** The row's identifiers claimed by its customer until its batch is committed. */
  function claim(id: string, identifiers: CustomerRow['identifiers'], keys: IndexKeys | undefined): void {
    for (const kind in identifiers) {
      const values = identifiers[kind as ContactIdentifierKind]!;
      const ofKind = keys?.[kind as ContactIdentifierKind];
      for (let i = 0; i < values.length; i++) pendingLinks.set(ofKind?.[i] ?? `${kind}:${values[i]!}`, id);
      if (written !== undefined && ofKind !== undefined) for (const k of ofKind) written.add(k);
    }
  }

  /**
   * The identifiers a row dropped, free for the rows after it (docs/import.md, Reassigning
   * identifiers): unless a row not yet committed gave one to a customer (then that one's it stays).
   */
  function release(id: string, unlink: NonNullable<ImportEntry['unlink']>): void {
    for (const kind in unlink) {
      for (const v of unlink[kind as ContactIdentifierKind]!) {
        const key = o.identityIndex !== undefined ? o.identityIndex.indexKey(kind as ContactIdentifierKind, v) : `${kind}:${v}`;
        const pending = pendingLinks.get(key) ?? inFlight?.links.get(key);
        if (typeof pending !== 'string') pendingLinks.set(key, { releasedBy: id });
      }
    }
  }

  function acceptSealed(src: PreparedRow, row: SealedRow, keys: IndexKeys | undefined): undefined {
    if (!fresh) throw new Error(`line ${src.line}: a row sealed as a new customer, but the store held customers when the run began`);
    counts.created++;
    sealedBatch.push(keys !== undefined ? { id: row.id, sealed: row.sealed, identifiers: row.identifiers, indexKeys: keys } : { id: row.id, sealed: row.sealed, identifiers: row.identifiers });
    claim(row.id, row.identifiers, keys);
    return undefined;
  }

  function accept(src: PreparedRow, row: CustomerRow, keys: IndexKeys | undefined): Promise<void> | undefined {
    const apply = (existing: CustomerRecord | undefined, madeByEvents = false): undefined => {
      const record = mergeRecord(existing, row, o.now);
      // the row's attributes with those stored past the state's bound: refused whole
      if (existing !== undefined && tooManyAttributes(record)) return rejected(src, { column: '', reason: 'too_many_attributes' });
      if (existing !== undefined && sameRecord(existing, record)) {
        counts.unchanged++;
        return undefined;
      }
      if (existing === undefined) counts.created++;
      else counts.updated++;
      const entry: (typeof batch)[number] = keys !== undefined ? { id: row.id, record, indexKeys: keys } : { id: row.id, record };
      const unlink = existing === undefined ? undefined : droppedIdentifiers(existing, record);
      if (unlink !== undefined) {
        entry.unlink = unlink;
        release(row.id, unlink);
      }
      batch.push(entry);
      if (existing !== undefined) updates.push({ id: row.id, before: existing, after: record });
      else if (madeByEvents) firstRecords.push({ id: row.id, before: undefined, after: record });
      claim(row.id, row.identifiers, keys);
      return undefined;
    };
    if (fresh) return apply(undefined);
    // (a row with no record yet: whether events made the customer, when someone is to be told)
    if (o.onUpdated === undefined) return store.getCustomer(row.id).then((existing) => apply(existing));
    return store.getCustomer(row.id).then(async (existing) => apply(existing, existing === undefined && (await store.hasCustomer(row.id))));
  }
}

/** A committed row's change for `onUpdated`: `before` undefined for a customer events made, given their first record. */
export interface ImportedChange {
  id: string;
  before: CustomerRecord | undefined;
  after: CustomerRecord;
}

/** The identifiers `before` lists and `after` no longer does (the row replaced their kind's list); undefined when none. */
export function droppedIdentifiers(before: CustomerRecord, after: CustomerRecord): ImportEntry['unlink'] {
  let out: ImportEntry['unlink'];
  for (const kind in before.identifiers) {
    const now = after.identifiers[kind as ContactIdentifierKind] ?? [];
    const gone = before.identifiers[kind as ContactIdentifierKind]!.filter((v) => !now.includes(v));
    if (gone.length > 0) (out ??= {})[kind as ContactIdentifierKind] = gone;
  }
  return out;
}

/** an identifier a row of the run dropped from its customer's record, not yet committed */
interface Released {
  releasedBy: string;
}

/** a row's identifiers' index keys, by kind, in the order of its identifiers */
type IndexKeys = Partial<Record<ContactIdentifierKind, string[]>>;

function isChunk(item: PreparedRow | readonly PreparedRow[]): item is readonly PreparedRow[] {
  return Array.isArray(item);
}

/** A batch with rows sealed as new customers written: by the direct import's writer (`identityIndex.importCustomers`). */
function writeSealed(o: ImportOptions, entries: ReadonlyArray<LmdbImportEntry>, marker: { key: string; value: unknown } | undefined): Promise<void> {
  if (o.identityIndex?.importCustomers === undefined) throw new Error('rows sealed as new customers need a store that writes them (identityIndex.importCustomers)');
  return o.identityIndex.importCustomers(entries, marker);
}
