import type { Profile } from '../../actors/index.js';
import { ageOn, escapeHtml, formatNumber } from '../../actors/index.js';
import type { CustomerView } from '../schema/http/customer-schemas.js';
import type { StopKind } from '../store/store.js';
import { maskIdentifier } from '../stop-list.js';

/**
 * A customer's card with its personal data masked, for keys whose role may read cards but
 * not who the customer is (analyst; docs/security.md): the first name, patronymic and last
 * name keep their first letter, and the phone, e-mail, card and cookie their masked form;
 * every other text of the card (a rendered offer that names the customer) has each of those
 * values replaced by its mask.
 */

/** A name as a masked card shows it: its first letter. */
export const maskName = (s: string): string => `${[...s][0] ?? ''}***`;

/** What a customer's value reads as in a text, and what it is replaced by. */
type Replacement = [text: string, mask: string];

/** The names' and identifiers' replacements: a name by its first letter, an identifier by its masked form. */
function namesAndIdentifiers(profile: Profile, identifiers: CustomerView['identifiers']): Replacement[] {
  const out: Replacement[] = [];
  for (const field of ['firstName', 'patronymic', 'lastName'] as const) {
    const v = profile[field];
    if (v !== undefined && v !== '') out.push([v, maskName(v)]);
  }
  for (const [kind, values] of Object.entries(identifiers)) {
    for (const v of values) out.push([v, ['phone', 'email', 'card', 'cookie'].includes(kind) ? maskIdentifier(kind as StopKind, v) : '***']);
  }
  return out;
}

/**
 * Replaces each value wherever it occurs in the strings of `value` (a reply): the texts
 * longest first, so a value that holds another (an e-mail holding the name) is replaced whole;
 * then the numbers, each as a whole number only (`34` not inside `1834`).
 */
function scrubber(texts: readonly Replacement[], numbers: readonly Replacement[] = []): (value: unknown) => unknown {
  const ordered = texts.filter(([v]) => v.length >= 2).sort(([a], [b]) => b.length - a.length);
  const digits = [...new Map(numbers).entries()].map(([v, m]): [RegExp, string] => [new RegExp(`(?<!\\d)${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?!\\d)`, 'g'), m]);
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') return digits.reduce((s, [re, m]) => s.replace(re, m), ordered.reduce((s, [v, m]) => s.split(v).join(m), value));
    if (Array.isArray(value)) return value.map(scrub);
    if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
    return value;
  };
  return scrub;
}

export function maskCustomer(view: CustomerView): CustomerView {
  const profile = { ...view.profile };
  for (const field of ['firstName', 'patronymic', 'lastName'] as const) {
    const v = profile[field];
    if (v !== undefined && v !== '') profile[field] = maskName(v);
  }
  const identifiers: Record<string, string[]> = {};
  for (const [kind, values] of Object.entries(view.identifiers)) {
    identifiers[kind] = values.map((v) => (['phone', 'email', 'card', 'cookie'].includes(kind) ? maskIdentifier(kind as StopKind, v) : '***'));
  }
  const scrub = scrubber(namesAndIdentifiers(view.profile, view.identifiers));
  const { profile: _p, identifiers: _i, id, ...rest } = view;
  return { ...(scrub(rest) as Omit<CustomerView, 'profile' | 'identifiers' | 'id'>), id, profile, identifiers };
}

/**
 * The masking of what is rendered for a named customer (a campaign's preview, a dry-run
 * explanation's messages) for a key whose role may not read who the customer is
 * (docs/security.md): wherever the customer's personal data a template can print occurs in
 * the content, it is replaced. The names keep their first letter and the identifiers their
 * masked form, as on the analyst's masked card; the age (the profile's, and the birth date's
 * on the day of `at`) and the imported attributes read `***`. The decision and the SMS lengths
 * stay those of the real text: only what is shown is masked.
 */
export function renderedMasker(customer: { profile: Profile; identifiers: CustomerView['identifiers'] }, at: number): <T>(content: T) => T {
  const { profile } = customer;
  const texts = namesAndIdentifiers(profile, customer.identifiers);
  const numbers: Replacement[] = [];
  const number = (n: number): void => {
    numbers.push([formatNumber(n), '***']);
    numbers.push([String(n), '***']);
  };
  const ages = new Set<number>();
  if (profile.age !== undefined) ages.add(profile.age);
  // the age a template prints is the birth date's on the customer's local day: the days around `at` cover every time zone
  const day = Math.floor(at / 86_400_000);
  for (const d of profile.birthDate === undefined ? [] : [day - 1, day, day + 1]) {
    const age = ageOn(profile.birthDate!, d);
    if (age !== undefined) ages.add(age);
  }
  for (const age of ages) number(age);
  for (const v of Object.values(profile.attributes ?? {})) {
    if (typeof v === 'number') number(v);
    else texts.push([String(v), '***']);
  }
  // an e-mail's HTML holds each value escaped
  for (const [v, m] of [...texts]) if (escapeHtml(v) !== v) texts.push([escapeHtml(v), m]);
  const scrub = scrubber(texts, numbers);
  return <T>(content: T): T => scrub(content) as T;
}
