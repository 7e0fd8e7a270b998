import { withImportedProfile } from '../../actors/index.js';
import type { PersistedCustomer } from '../runtime/live-customer.js';
import { migrateSnapshot, SNAPSHOT_VERSION } from '../runtime/snapshot-migrations.js';
import type { CustomerRecord, StoredSnapshot, Store } from '../store/store.js';
import { importedProfile } from './imported-profile.js';

/**
 * The direct import's care for customers who already have an actor state (docs/import.md): a
 * batch's records about to be written, laid over the stored snapshots of those customers by
 * the pure brain (`withImportedProfile`: the profile, birth date and attributes as imported;
 * the next decision evaluates every segment again), so the card and the next decision see the
 * new profile. Customers without a snapshot start from the master data when first activated.
 * Idempotent: a batch refreshed again (a run resumed before its rows were committed) writes
 * nothing more. Returns how many snapshots it rewrote.
 */
export async function refreshSnapshots(store: Store, batch: ReadonlyArray<{ id: string; record: CustomerRecord }>): Promise<number> {
  const snapshots: Array<{ id: string; value: StoredSnapshot; expectRevision?: number }> = [];
  for (const { id, record } of batch) {
    const stored = await store.getSnapshot(id);
    if (stored === undefined) continue;
    const persisted = migrateSnapshot(stored) as PersistedCustomer;
    const context = withImportedProfile(persisted.context, importedProfile(record));
    if (context === persisted.context) continue;
    const value: StoredSnapshot = { v: SNAPSHOT_VERSION, snapshot: { value: persisted.value, context } satisfies PersistedCustomer };
    snapshots.push(stored.rev !== undefined ? { id, value, expectRevision: stored.rev } : { id, value });
  }
  if (snapshots.length > 0) await store.commit({ snapshots, identities: [], outbox: [] });
  return snapshots.length;
}
