import { stageMoveEvent, withImportedConsents, withImportedProfile, withMasterIdentifiers } from '../../actors/index.js';
import type { PersistedCustomer } from '../runtime/live-customer.js';
import { migrateSnapshot, SNAPSHOT_VERSION } from '../runtime/snapshot-migrations.js';
import type { CustomerRecord, ImportEntry, ReminderRecord, StoredSnapshot, Store } from '../store/store.js';
import { reminderKey } from '../store/store.js';
import { importedConsentMoves } from './consent-changes.js';
import { importedProfile, profileEventData } from './imported-profile.js';

/** The names of the direct import's reminders to a customer (one of each at most: a later import moves it). */
export const IMPORT_PROFILE_REMINDER = 'import:profile';
export const IMPORT_STAGE_REMINDER = 'import:stage';
export const IMPORT_REVOKED_REMINDER = 'import:consent-revoked';
export const IMPORT_GRANTED_REMINDER = 'import:consent-granted';

/**
 * The direct import's care for customers who already have an actor state (docs/import.md): a
 * batch's records about to be written, laid over the stored snapshots of those customers by
 * the pure brain (`withImportedProfile`: the profile, birth date and attributes as imported;
 * the next decision evaluates every segment again), so the card and the next decision see the
 * new profile. Customers without a snapshot start from the master data when first activated.
 *
 * The actor is told as the admin route tells a live one, through durable reminders due at the
 * import's time `now`, written in the same transaction as the snapshots: `import:profile`
 * firing `profile.updated` (the new profile in `data`) for a changed profile, `import:stage`
 * firing `client.churned` for a move to `former_client`, `import:consent-revoked` and
 * `import:consent-granted` firing `consent.revoked` and `consent.granted` (`data.channels`) for
 * moved consents (campaigns triggered by them answer them as they would the admin route's). The reminder poller of the next
 * server delivers them. Idempotent: a batch refreshed again (a run resumed before its rows
 * were committed) writes nothing more, or the same reminders under the same names. `updates`: the
 * records before of the batch's customers already imported (the consents compare with them).
 * Returns how many customers it wrote for (a snapshot, a reminder or both).
 */
export async function refreshSnapshots(store: Store, batch: ReadonlyArray<ImportEntry>, now: number, updates: ReadonlyArray<{ id: string; before: CustomerRecord }> = []): Promise<number> {
  const recordBefore = new Map(updates.map((u) => [u.id, u.before]));
  const snapshots: Array<{ id: string; value: StoredSnapshot; expectRevision?: number }> = [];
  const reminders: ReminderRecord[] = [];
  let told = 0;
  for (const { id, record, unlink } of batch) {
    const stored = await store.getSnapshot(id);
    if (stored === undefined) continue;
    const persisted = migrateSnapshot(stored) as PersistedCustomer;
    // the profile, and the identifiers (the record's first: the first phone is where SMS go)
    const profiled = withMasterIdentifiers(withImportedProfile(persisted.context, importedProfile(record)), record.identifiers, unlink);
    const moves = importedConsentMoves(recordBefore.get(id), record, persisted.context.consents);
    const context = withImportedConsents(profiled, moves, now);
    // The record's stage, when it moved it (or it is the first record of a customer events
    // made), from the stage the stored state has: told as an event's move would be.
    const before = recordBefore.get(id);
    const stageMove = before === undefined || before.stage !== record.stage ? stageMoveEvent(persisted.context.stage, record.stage) : undefined;
    if (context === persisted.context && stageMove === undefined) continue;
    told++;
    if (context !== persisted.context) {
      const value: StoredSnapshot = { v: SNAPSHOT_VERSION, snapshot: { value: persisted.value, context } satisfies PersistedCustomer };
      snapshots.push(stored.rev !== undefined ? { id, value, expectRevision: stored.rev } : { id, value });
    }
    const remind = (name: string, event: string, data: Record<string, unknown>): void => void reminders.push({ key: reminderKey(id, name), customer: id, due: now, event, data });
    if (profiled !== persisted.context) remind(IMPORT_PROFILE_REMINDER, 'profile.updated', profileEventData(record));
    if (moves.revoked.length > 0) remind(IMPORT_REVOKED_REMINDER, 'consent.revoked', { channels: moves.revoked, source: 'import' });
    if (moves.granted.length > 0) remind(IMPORT_GRANTED_REMINDER, 'consent.granted', { channels: moves.granted, source: 'import' });
    if (stageMove !== undefined) remind(IMPORT_STAGE_REMINDER, stageMove.type, stageMove.data);
  }
  if (told > 0) await store.commit({ snapshots, identities: [], outbox: [], reminders: { set: reminders, remove: [] } });
  return told;
}
