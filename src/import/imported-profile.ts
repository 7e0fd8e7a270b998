import type { Profile } from '../../actors/index.js';
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
