import type { Profile, ProfileScalarField } from '../../actors/index.js';
import { profileFieldTypes } from '../../actors/index.js';
import type { CustomerRecord } from '../store/store.js';

/**
 * The profile a customer's actor holds from its master data: the record's profile with its
 * birth date and typed attributes (the record keeps them beside the profile), so rules read
 * `profile.attributes.<name>` and an age that follows from the birth date (docs/catalog.md).
 */
export function importedProfile(r: Pick<CustomerRecord, 'profile' | 'birthDate' | 'attributes'>): Profile {
  if (r.birthDate === undefined && r.attributes === undefined) return r.profile;
  const p: Profile = { ...r.profile };
  if (r.birthDate !== undefined) p.birthDate = r.birthDate;
  if (r.attributes !== undefined) p.attributes = { ...r.attributes };
  return p;
}

/**
 * What a `profile.updated` event carries in `data` for a record: its profile's scalar fields, the
 * birth date and the attributes (what the admin route sends a live customer; the direct import's
 * reminders carry the same, `refresh-snapshots.ts`).
 */
export function profileEventData(r: Pick<CustomerRecord, 'profile' | 'birthDate' | 'attributes'>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(profileFieldTypes) as ProfileScalarField[]) {
    const v = r.profile[key];
    if (v !== undefined) out[key] = v;
  }
  if (r.birthDate !== undefined) out.birthDate = r.birthDate;
  if (r.attributes !== undefined) out.attributes = r.attributes;
  return out;
}
