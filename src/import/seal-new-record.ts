import { Packr } from 'msgpackr';
import type { SealedRecord } from '../store/keyring.js';
import { newCustomerKey, seal } from '../store/keyring.js';
import type { CustomerRow } from './customer-from-row.js';
import { mergeRecord } from './customer-from-row.js';

/** Packs as the LMDB store packs a customer record (`recordPackr` in lmdb-store.ts: plain MessagePack). */
const packr = new Packr({ useRecords: false });

/**
 * A row's record as a new customer (`mergeRecord` with none stored), packed and sealed as the
 * LMDB store writes it, under a new key of its own (docs/privacy.md): done on the import's
 * worker thread (`prepare-row.ts`) so that a store that held no customer when the run began
 * only writes it (`LmdbStore.importCustomers`' `sealed`). Read back through the store as any
 * record it sealed itself (seal-new-record.test.ts).
 */
export function sealNewRecord(row: CustomerRow, now: number): SealedRecord {
  const key = newCustomerKey();
  return { key, bytes: seal(key, row.id, packr.pack(mergeRecord(undefined, row, now))) };
}
