import type { ContactIdentifierKind } from '../../actors/index.js';
import type { SealedRecord } from '../store/keyring.js';
import { hashedIdentityKey } from '../store/keyring.js';
import type { CustomerRow, RowReject } from './customer-from-row.js';
import { customerFromRow } from './customer-from-row.js';
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
  /** the row as a customer, or why it is rejected (an unreadable row: `unreadable_row`) */
  outcome: CustomerRow | RowReject;
  /** with the store's index secret: each identifier's index key, in the order of `outcome.identifiers` */
  identityKeys?: Partial<Record<ContactIdentifierKind, string[]>>;
  /** with the import time `sealAt`: the row's record as a new customer, packed and sealed (`seal-new-record.ts`) */
  sealed?: SealedRecord;
}

const sourced = ['id', 'phone', 'email', 'card', 'birth_date'] as const;

export function prepareRow(src: SourceRow, mapping: ImportMapping, indexSecret?: Buffer, sealAt?: number): PreparedRow {
  const cells = mapRow(src.fields, mapping);
  const sources: PreparedRow['sources'] = {};
  for (const name of sourced) {
    const cell = cells.get(name);
    if (cell !== undefined) sources[name] = cell.source;
  }
  const id = cells.get('id')?.value.trim() ?? '';
  const outcome: CustomerRow | RowReject = src.problem !== undefined ? { column: '', reason: 'unreadable_row' } : customerFromRow(cells, mapping);
  const row: PreparedRow = { line: src.line, raw: src.raw, bytes: src.bytes, id, sources, outcome };
  if (indexSecret !== undefined && !('reason' in outcome)) {
    const keys: PreparedRow['identityKeys'] = {};
    for (const [kind, values] of Object.entries(outcome.identifiers) as Array<[ContactIdentifierKind, string[]]>) keys[kind] = values.map((v) => hashedIdentityKey(indexSecret, kind, v));
    row.identityKeys = keys;
  }
  if (sealAt !== undefined && !('reason' in outcome)) row.sealed = sealNewRecord(outcome, sealAt);
  return row;
}

export async function* prepareRows(rows: AsyncIterable<SourceRow> | Iterable<SourceRow>, mapping: ImportMapping, indexSecret?: Buffer, sealAt?: number): AsyncGenerator<PreparedRow> {
  for await (const src of rows) yield prepareRow(src, mapping, indexSecret, sealAt);
}
