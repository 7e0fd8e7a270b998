import { Readable } from 'node:stream';
import type { ImportResult } from '../import/import-customers.js';
import { importCustomerRows } from '../import/import-customers.js';
import { emptyMapping } from '../import/import-mapping.js';
import { readRows } from '../import/read-rows.js';
import { refreshSnapshots } from '../import/refresh-snapshots.js';
import type { Store } from '../store/store.js';

/**
 * A CSV (comma-separated, the columns' own names) imported directly into `store` at `now`, its
 * rejects dropped; with `refresh`, stored snapshots are brought up to the new records before
 * each batch is written, as the command does for customers who already have a state.
 */
export function importCsv(store: Store, csv: string, now: number, refresh = false): Promise<ImportResult> {
  return importCustomerRows(store, readRows(Readable.from([csv]), 'csv', ','), {
    source: 'bank.csv',
    mapping: emptyMapping,
    rejects: { append: () => undefined, size: () => 0, truncate: () => undefined },
    resume: false,
    keepMarker: false,
    now,
    ...(refresh ? { beforeWrite: (records, updates) => refreshSnapshots(store, records, now, updates) } : {}),
  });
}
