import type { ContactIdentifierKind } from '../../actors/index.js';
import { contactIdentifierKinds, defaultLimits } from '../../actors/index.js';
import type { SealedRecord } from '../store/keyring.js';
import type { CustomerRow, RowReject } from './customer-from-row.js';
import { customerFromRow, plausibleBirthDate } from './customer-from-row.js';
import type { ImportMapping } from './import-mapping.js';
import { mapRow } from './map-row.js';
import { sealNewRecord } from './seal-new-record.js';
import type { SourceRow } from './read-rows.js';

/**
 * A source row read, mapped and checked on its own (what needs no store and no other row):
 * the part of the import a worker thread can do (`row-worker.ts`). The run
 * (`import-customers.ts`) then checks it against the other rows and the store, in file order.
 */
export interface PreparedRow {
  line: number;
  raw: string;
  bytes: number;
  /** the id cell, trimmed ('' when none) */
  id: string;
  /** the file's names of the id and identifier columns, for the rejects file */
  sources: Partial<Record<'id' | 'birth_date' | ContactIdentifierKind, string>>;
  /**
   * the row as a customer; or, prepared with `seal`, as a new customer sealed already
   * (`SealedRow`); or why it is rejected (an unreadable row: `unreadable_row`)
   */
  outcome: CustomerRow | SealedRow | RowReject;
}

/**
 * A row prepared as a new customer of a store that held none (`PrepareOptions.seal`): its
 * record packed and sealed (`seal-new-record.ts`), and of the row only what the run checks
 * against the other rows (its id and identifiers): the rest would only cross threads.
 */
export interface SealedRow {
  id: string;
  identifiers: CustomerRow['identifiers'];
  sealed: SealedRecord;
}

export interface PrepareOptions {
  /** the import time: consents' default time, age from the birth date; a birth date after it or over 150 years before it is rejected */
  now: number;
  /** the store held no customer (`LmdbStore.holdsNoCustomers`): each row comes as a new customer, sealed (`SealedRow`) */
  seal?: boolean;
}

const sourced = ['id', 'phone', 'email', 'card', 'birth_date'] as const;

export function prepareRow(src: SourceRow, mapping: ImportMapping, o: PrepareOptions): PreparedRow {
  const cells = mapRow(src.fields, mapping, src.cleared);
  const sources: PreparedRow['sources'] = {};
  for (const name of sourced) {
    const cell = cells.get(name);
    if (cell !== undefined) sources[name] = cell.source;
  }
  const id = cells.get('id')?.value.trim() ?? '';
  let outcome: PreparedRow['outcome'] = src.problem !== undefined ? { column: '', reason: 'unreadable_row' } : (badEncoding(src) ?? customerFromRow(cells, mapping));
  // A far-off birth date (in the future, or over 150 years back) reads as a date but is none a customer has.
  if (!('reason' in outcome) && outcome.birthDate !== undefined && !plausibleBirthDate(outcome.birthDate, o.now)) outcome = { column: sources.birth_date ?? 'birth_date', reason: 'invalid_date' };
  // A consent given in the future (past the clock skew the gateway allows an event's `at`) is none yet: the send check would read a time to come.
  if (!('reason' in outcome)) {
    for (const ch in outcome.consents) {
      const at = outcome.consents[ch]!.at;
      if (at !== undefined && at > o.now + defaultLimits.maxClockSkewMs) {
        outcome = { column: cells.get(`consent_${ch}_at`)?.source ?? `consent_${ch}_at`, reason: 'invalid_date' };
        break;
      }
    }
  }
  const row: PreparedRow = { line: src.line, raw: src.raw, bytes: src.bytes, id, sources, outcome };
  if (!('reason' in outcome) && o.seal === true) row.outcome = { id: outcome.id, identifiers: outcome.identifiers, sealed: sealNewRecord(outcome, o.now) };
  return row;
}

/**
 * A row holding text that is not text: U+FFFD, what bytes that are not valid UTF-8 are read as
 * (a file in windows-1251 read as UTF-8: `--encoding`), or a lone surrogate escape in NDJSON.
 * Rejected `invalid_encoding`, naming the first column (the file's name) holding it, rather than
 * stored as garbage that SMS and letters would print. One scan of the raw line for most rows.
 */
export function badEncoding(src: SourceRow): RowReject | undefined {
  if (src.badText !== undefined) return { column: src.badText, reason: 'invalid_encoding' };
  if (src.badValue !== undefined) return { column: src.badValue, reason: 'invalid_value' };
  if (!src.raw.includes('\uFFFD')) return undefined;
  for (const name in src.fields) if (name.includes('\uFFFD') || src.fields[name]!.includes('\uFFFD')) return { column: name, reason: 'invalid_encoding' };
  return { column: '', reason: 'invalid_encoding' };
}

/**
 * The row's outcome against the ids the run met before it (`seen`): a readable row naming an
 * id met already is a duplicate (`duplicate_id`); its id counts as met from now on either way.
 */
export function refuseDuplicate(row: PreparedRow, seen: Set<string>): PreparedRow['outcome'] {
  const unreadable = 'reason' in row.outcome && row.outcome.reason === 'unreadable_row';
  const outcome = !unreadable && row.id !== '' && seen.has(row.id) ? { column: row.sources.id ?? 'id', reason: 'duplicate_id' } : row.outcome;
  if (row.id !== '') seen.add(row.id);
  return outcome;
}

/** The phones, e-mails and cards a customer's row names, each with the file's column it came from. */
export function rowIdentifiers(row: Pick<PreparedRow, 'sources'>, outcome: CustomerRow | SealedRow): Array<{ kind: ContactIdentifierKind; value: string; field: string }> {
  const out: Array<{ kind: ContactIdentifierKind; value: string; field: string }> = [];
  for (const kind of contactIdentifierKinds) for (const value of outcome.identifiers[kind] ?? []) out.push({ kind, value, field: row.sources[kind as 'phone'] ?? kind });
  return out;
}

/** Chunks of source rows prepared, chunk by chunk. */
export async function* prepareRowChunks(chunks: AsyncIterable<readonly SourceRow[]> | Iterable<readonly SourceRow[]>, mapping: ImportMapping, o: PrepareOptions): AsyncGenerator<PreparedRow[]> {
  for await (const chunk of chunks) yield chunk.map((src) => prepareRow(src, mapping, o));
}

/** Source rows prepared one by one. */
export async function* prepareRows(rows: AsyncIterable<SourceRow> | Iterable<SourceRow>, mapping: ImportMapping, o: PrepareOptions): AsyncGenerator<PreparedRow> {
  for await (const src of rows) yield prepareRow(src, mapping, o);
}
