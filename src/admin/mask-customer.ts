import { MASKED, defaultPolicy, localTime, maskName, profileAge } from '../../actors/index.js';
import type { CustomerView } from '../schema/http/customer-schemas.js';
import type { StopKind } from '../store/store.js';
import { maskIdentifier } from '../stop-list.js';

/**
 * A customer's card with its personal data masked, for keys whose role may read cards but
 * not who the customer is (analyst; docs/security.md "Masked card"). What stays is what an
 * analyst counts with: the age, gender, job, marital status, education, city, time zone,
 * balance and loans, segments, features, the stage and lifecycle, consents, and the contact,
 * offer and response history with its catalog ids, channels and outcomes. What goes:
 * - the first name, patronymic and last name keep their first letter (`И***`, as a masked
 *   customer's texts show them, actors/decision/masked-render.ts);
 * - the phone, e-mail, card and cookie their masked form (maskIdentifier), other identifiers `***`;
 * - the birth date: dropped, the age on the card's day in its place (the age is what rules read);
 * - each imported attribute that is text or a date `***` (a passport, an address), as the
 *   marketer's masked texts show every attribute; numbers and booleans (an income, a score) stay,
 *   but for a whole number of ten digits or more (an INN or a SNILS the import typed a number);
 * - free text the customer's answers or the catalog's variables carried in: each string of a
 *   response's `data` and of an open offer's `vars` `***` (numbers and booleans stay, as for
 *   attributes), whatever it holds: a name declined, a phone written otherwise are not found by
 *   looking for them;
 * - and, in every other text of the card (a request id, an outcome), each exact copy of a name
 *   or an identifier replaced by its mask.
 */

/** A name as a masked card shows it: its first letter (as a masked customer's texts show it, actors/decision/masked-render.ts). */
export { maskName };

/**
 * The smallest whole number a masked card does not show: ten digits and more are an identifier
 * written as digits (an INN, a SNILS, a passport's series and number, a phone, a card, an
 * account: the import types such a column a number), not a sum or a score.
 */
export const IDENTIFIER_DIGITS_MIN = 1_000_000_000;

/** A record with each string value `***`, and each whole number of ten digits or more: keys, other numbers and booleans stay. */
function maskTexts<T extends Record<string, unknown>>(values: T): T {
  const masked = (v: unknown): unknown => (typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) >= IDENTIFIER_DIGITS_MIN) ? MASKED : v);
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, masked(v)])) as T;
}

/**
 * The customer's local day at `now` (their time zone, else the default policy's), as rules read
 * the age on it; undefined for a time zone the runtime does not know.
 */
export function cardDay(view: CustomerView, now: number): number | undefined {
  try {
    return localTime(now, view.profile.timezone ?? defaultPolicy.defaultTimezone).epochDay;
  } catch {
    return undefined;
  }
}

/** The card masked (above); `today`, the customer's local day (cardDay), gives the age of a birth date. */
export function maskCustomer(view: CustomerView, today?: number): CustomerView {
  const replacements: Array<[string, string]> = [];
  const { firstName, patronymic, lastName, birthDate, attributes, ...fields } = view.profile;
  const names: Pick<CustomerView['profile'], 'firstName' | 'patronymic' | 'lastName'> = {};
  for (const [field, v] of Object.entries({ firstName, patronymic, lastName })) {
    if (v === undefined) continue;
    names[field as keyof typeof names] = v === '' ? '' : maskName(v);
    if (v !== '') replacements.push([v, maskName(v)]);
  }
  const identifiers: Record<string, string[]> = {};
  for (const [kind, values] of Object.entries(view.identifiers)) {
    identifiers[kind] = values.map((v) => {
      const masked = ['phone', 'email', 'card', 'cookie'].includes(kind) ? maskIdentifier(kind as StopKind, v) : MASKED;
      replacements.push([v, masked]);
      return masked;
    });
  }
  // Longest first, so a value that holds another (an e-mail holding the name) is replaced whole.
  const ordered = replacements.filter(([v]) => v.length >= 2).sort(([a], [b]) => b.length - a.length);
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') return ordered.reduce((s, [v, m]) => s.split(v).join(m), value);
    if (Array.isArray(value)) return value.map(scrub);
    if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
    return value;
  };
  const profile: CustomerView['profile'] = { ...names, ...(scrub(fields) as typeof fields) };
  if (birthDate !== undefined) {
    const age = profileAge({ birthDate, age: fields.age }, today);
    if (age !== undefined) profile.age = age;
  }
  if (attributes !== undefined) profile.attributes = maskTexts(attributes);
  const { profile: _p, identifiers: _i, id, responses, pending, ...rest } = view;
  const texts = {
    ...rest,
    responses: responses.map((r) => (r.data === undefined ? r : { ...r, data: maskTexts(r.data) })),
    pending: pending.map((p) => ({ ...p, vars: maskTexts(p.vars) })),
  };
  return { ...(scrub(texts) as typeof texts), id, profile, identifiers };
}
