import type { Consent } from '../../actors/index.js';
import type { CustomerRecord } from '../store/store.js';

/** Channels whose consent moves: granted, or withdrawn. */
export interface ConsentMoves {
  granted: string[];
  revoked: string[];
}

/** The channels whose consent the master data answers otherwise after than before. */
export function consentChanges(before: CustomerRecord, after: CustomerRecord): ConsentMoves {
  const granted: string[] = [];
  const revoked: string[] = [];
  for (const [ch, c] of Object.entries(after.consents ?? {})) {
    if (before.consents?.[ch]?.granted === c.granted) continue;
    (c.granted ? granted : revoked).push(ch);
  }
  return { granted, revoked };
}

/**
 * What the direct import moves in a customer's state (`state`: the stored snapshot's consents)
 * when its master data goes from `before` (undefined: the customer's first record, for a
 * customer its events made) to `after`, by the rules the admin route follows: a withdrawal the
 * record changed to (or, for a first record, any the record states) reaches a state that does
 * not already answer no (one that grants the channel, or has no answer for it: the send check
 * refuses a channel outside `policy.consentRequired` only on an explicit no); a grant only when
 * the record changed its answer to yes and the state does not already grant it, and never over
 * a state's own answer for a first record (a customer who withdrew by an SMS reply before the
 * bank's record came is not re-granted by it).
 */
export function importedConsentMoves(before: CustomerRecord | undefined, after: CustomerRecord, state: Readonly<Record<string, Consent>>): ConsentMoves {
  const granted: string[] = [];
  const revoked: string[] = [];
  for (const [ch, c] of Object.entries(after.consents ?? {})) {
    if (before?.consents?.[ch]?.granted === c.granted) continue;
    const was = state[ch]?.granted;
    if (was === c.granted) continue;
    if (c.granted) {
      if (before === undefined && was !== undefined) continue;
      granted.push(ch);
    } else revoked.push(ch);
  }
  return { granted, revoked };
}
