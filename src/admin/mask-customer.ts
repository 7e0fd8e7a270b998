import { maskName } from '../../actors/index.js';
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

/** A name as a masked card shows it: its first letter (as a masked customer's texts show it, actors/decision/masked-render.ts). */
export { maskName };

export function maskCustomer(view: CustomerView): CustomerView {
  const replacements: Array<[string, string]> = [];
  const profile = { ...view.profile };
  for (const field of ['firstName', 'patronymic', 'lastName'] as const) {
    const v = profile[field];
    if (v === undefined || v === '') continue;
    profile[field] = maskName(v);
    replacements.push([v, maskName(v)]);
  }
  const identifiers: Record<string, string[]> = {};
  for (const [kind, values] of Object.entries(view.identifiers)) {
    identifiers[kind] = values.map((v) => {
      const masked = ['phone', 'email', 'card', 'cookie'].includes(kind) ? maskIdentifier(kind as StopKind, v) : '***';
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
  const { profile: _p, identifiers: _i, id, ...rest } = view;
  return { ...(scrub(rest) as Omit<CustomerView, 'profile' | 'identifiers' | 'id'>), id, profile, identifiers };
}
