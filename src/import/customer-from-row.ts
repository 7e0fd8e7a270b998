import { isVisitorId } from '../runtime/identity.js';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Consent, ContactIdentifierKind, LifecycleStage, Profile } from '../../actors/index.js';
import { customerIdProblem, normalizeIdentifier, stateBounds } from '../../actors/index.js';
import type { CustomerRecord } from '../store/store.js';
import type { ImportMapping } from './import-mapping.js';
import type { MappedCell } from './map-row.js';
import { parseDate, typedValue } from './map-row.js';

/**
 * One mapped row as what it says of a customer (docs/import.md): the canonical columns checked
 * and normalised (phones to E.164 with libphonenumber, e-mails in lower case, dates, IANA time
 * zones), every other column a typed attribute. An empty cell says nothing (the field keeps
 * what it held), except a `phone`, `email` or `card` given empty in JSON (`null`, `""`, `[]`)
 * or as a lone `|`: that list is cleared. The first problem rejects the row, naming its
 * column and reason.
 */

export const canonicalColumns = [
  'id',
  'last_name',
  'first_name',
  'patronymic',
  'gender',
  'birth_date',
  'city',
  'timezone',
  'phone',
  'email',
  'card',
  'consent_sms',
  'consent_email',
  'consent_push',
  'consent_sms_at',
  'consent_email_at',
  'consent_push_at',
  'stage',
] as const;

/** What a row says: only the fields it gives. */
export interface CustomerRow {
  id: string;
  stage?: LifecycleStage;
  profile: Profile;
  birthDate?: string;
  identifiers: Partial<Record<ContactIdentifierKind, string[]>>;
  consents: Record<string, { granted: boolean; at?: number }>;
  attributes: Record<string, string | number | boolean>;
}

export interface RowReject {
  column: string;
  reason: string;
}

/**
 * What the bounds reasons mean, for a 400's message: the customer's state keeps a
 * `profile.updated` within these (actors/limits.ts, docs/operations.md), so a row past them is
 * refused whole rather than kept in the record and dropped from the state.
 */
export const boundReasons: Readonly<Record<string, string>> = {
  too_long: `a value longer than ${stateBounds.profileStringChars} characters, or an attribute name longer than ${stateBounds.profileAttributeKeyChars}`,
  too_many_attributes: `more than ${stateBounds.profileAttributes} attributes`,
};

/** Whether a record holds more attributes than the state keeps (a row's added to those stored). */
export function tooManyAttributes(record: Pick<CustomerRecord, 'attributes'>): boolean {
  if (record.attributes === undefined) return false;
  let n = 0;
  for (const _ in record.attributes) if (++n > stateBounds.profileAttributes) return true;
  return false;
}

const stages: Record<string, LifecycleStage> = { visitor: 'visitor', prospect: 'prospect', client: 'client', former_client: 'formerClient' };

/** zones already checked (building a DateTimeFormat costs about 0.2 ms; a file holds a few zones) */
const zones = new Map<string, boolean>();

function validTimezone(tz: string): boolean {
  let ok = zones.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      ok = tz.includes('/') || tz === 'UTC';
    } catch {
      ok = false;
    }
    if (zones.size < 10_000) zones.set(tz, ok);
  }
  return ok;
}

/**
 * A Russian mobile already written clean, `+79XXXXXXXXX` or `89XXXXXXXXX`: what libphonenumber
 * makes of it is known (RU mobiles are `9` and nine digits), so it is not parsed (about a tenth
 * of an import's time). Any other form goes to the library; customer-from-row.test.ts checks both agree.
 */
const CLEAN_RU_MOBILE = /^(?:\+7|8)(9\d{9})$/;

/** A phone as E.164 (a Russian number without a country code read as +7); mobile or possibly mobile. */
export function e164Phone(value: string): string | undefined {
  const clean = CLEAN_RU_MOBILE.exec(value);
  if (clean !== null) return `+7${clean[1]}`;
  return libraryE164Phone(value);
}

/** e164Phone by libphonenumber alone (no fast path). */
export function libraryE164Phone(value: string): string | undefined {
  const p = parsePhoneNumberFromString(value, 'RU');
  if (p === undefined || !p.isValid()) return undefined;
  const type = p.getType();
  if (type !== undefined && type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') return undefined;
  return p.number;
}

/** The UTC date of the last time asked (an import asks of one time for every row). */
let day = { at: Number.NaN, year: 0, month: 0, date: 0, iso: '' };
function utcDay(at: number): typeof day {
  if (day.at !== at) {
    const d = new Date(at);
    day = { at, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, date: d.getUTCDate(), iso: d.toISOString().slice(0, 10) };
  }
  return day;
}

/** Whole years between a YYYY-MM-DD birth date and a time (UTC days). */
export function ageAt(birthDate: string, at: number): number {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  const now = utcDay(at);
  const before = now.month < m || (now.month === m && now.date < d);
  return now.year - y - (before ? 1 : 0);
}

/** A birth date a customer can have at `now`: not in the future, and at most 150 years back. */
export function plausibleBirthDate(birthDate: string, now: number): boolean {
  return birthDate <= utcDay(now).iso && ageAt(birthDate, now) <= 150;
}

export function customerFromRow(cells: ReadonlyMap<string, MappedCell>, mapping: ImportMapping): CustomerRow | RowReject {
  const idCell = cells.get('id');
  const id = idCell?.value.trim() ?? '';
  if (id === '') return { column: idCell?.source ?? 'id', reason: 'missing_id' };
  // (`v-`: a visitor's, a browser Kairos made on first sight of a cookie, merged into the person who logs in with it)
  if (customerIdProblem(id) !== undefined || isVisitorId(id)) return { column: idCell!.source, reason: 'invalid_id' };
  const row: CustomerRow = { id, profile: {}, identifiers: {}, consents: {}, attributes: {} };
  const atOf: Record<string, number> = {};
  let attributes = 0;
  for (const [name, cell] of cells) {
    const v = cell.value.trim();
    if (name === 'id') continue;
    if (v === '') {
      // JSON's null, "" or [] for a list of identifiers clears it (in CSV a lone `|`, below); anywhere else it says nothing
      if (cell.cleared === true && (name === 'phone' || name === 'email' || name === 'card')) row.identifiers[name] = [];
      continue;
    }
    const reject = (reason: string): RowReject => ({ column: cell.source, reason });
    switch (name) {
      case 'last_name':
        if (v.length > stateBounds.profileStringChars) return reject('too_long');
        row.profile.lastName = v;
        break;
      case 'first_name':
        if (v.length > stateBounds.profileStringChars) return reject('too_long');
        row.profile.firstName = v;
        break;
      case 'patronymic':
        if (v.length > stateBounds.profileStringChars) return reject('too_long');
        row.profile.patronymic = v;
        break;
      case 'city':
        if (v.length > stateBounds.profileStringChars) return reject('too_long');
        row.profile.city = v;
        break;
      case 'gender': {
        const g = v.toLowerCase();
        if (g !== 'm' && g !== 'f') return reject('invalid_gender');
        row.profile.gender = g;
        break;
      }
      case 'birth_date': {
        const d = parseDate(v, cell.format ?? mapping.dateFormat);
        if (d === undefined) return reject('invalid_date');
        row.birthDate = d;
        break;
      }
      case 'timezone':
        if (!validTimezone(v)) return reject('invalid_timezone');
        row.profile.timezone = v;
        break;
      case 'stage': {
        const s = stages[v.toLowerCase()];
        if (s === undefined) return reject('invalid_stage');
        row.stage = s;
        break;
      }
      case 'phone':
      case 'email':
      case 'card': {
        // several separated by `|`; a cell of only `|` is an empty list: a clear (docs/import.md)
        const values: string[] = [];
        for (const part of v.includes('|') ? v.split('|').map((x) => x.trim()).filter((x) => x !== '') : [v]) {
          const n = name === 'phone' ? e164Phone(part) : name === 'email' && !/^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(part) ? undefined : normalizeIdentifier(name, part);
          if (n === undefined) return reject(`invalid_${name}`);
          if (!values.includes(n)) values.push(n);
        }
        row.identifiers[name] = values;
        break;
      }
      case 'consent_sms':
      case 'consent_email':
      case 'consent_push': {
        const t = v === 'true' || v === 'false' ? { value: v === 'true' } : typedValue({ ...cell, type: 'boolean' }, mapping.dateFormat);
        if ('error' in t) return reject(t.error);
        row.consents[name.slice('consent_'.length)] = { granted: t.value as boolean };
        break;
      }
      case 'consent_sms_at':
      case 'consent_email_at':
      case 'consent_push_at': {
        const d = cell.format !== undefined ? parseDate(v, cell.format) : undefined;
        const ms = d !== undefined ? Date.parse(`${d}T00:00:00Z`) : /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v) : Number.NaN;
        if (!Number.isFinite(ms)) return reject('invalid_date');
        atOf[name.slice('consent_'.length, -'_at'.length)] = ms;
        break;
      }
      default: {
        // the bounds the customer's state keeps a profile.updated within (actors/limits.ts): past them, refused, never half applied
        if (name.length > stateBounds.profileAttributeKeyChars) return reject('too_long');
        const t = typedValue(cell, mapping.dateFormat);
        if ('error' in t) return reject(t.error);
        if (typeof t.value === 'string' && t.value.length > stateBounds.profileStringChars) return reject('too_long');
        if (++attributes > stateBounds.profileAttributes) return reject('too_many_attributes');
        row.attributes[name] = t.value;
      }
    }
  }
  for (const [ch, at] of Object.entries(atOf)) {
    const c = row.consents[ch];
    if (c !== undefined) c.at = at;
  }
  return row;
}

/**
 * The master data after the row: the existing record with what the row gives laid over it
 * (identifiers of a kind the row names are replaced; a consent whose answer did not change
 * keeps its time). Age follows from the birth date at `now`.
 */
export function mergeRecord(existing: CustomerRecord | undefined, row: CustomerRow, now: number): CustomerRecord {
  const profile: Profile = { ...existing?.profile, ...row.profile };
  const birthDate = row.birthDate ?? existing?.birthDate;
  if (birthDate !== undefined) profile.age = ageAt(birthDate, now);
  const consents: Record<string, Consent> = { ...existing?.consents };
  for (const [ch, c] of Object.entries(row.consents)) {
    const old = consents[ch];
    if (old !== undefined && old.granted === c.granted && c.at === undefined) continue;
    consents[ch] = { granted: c.granted, at: c.at ?? now, source: 'import' };
  }
  const record: CustomerRecord = {
    stage: row.stage ?? existing?.stage ?? 'client',
    profile,
    identifiers: { ...existing?.identifiers, ...row.identifiers },
    importedAt: now,
  };
  // a kind the row cleared (an empty list) is no longer listed: cleared again, the record is the same
  for (const kind in record.identifiers) if (record.identifiers[kind as ContactIdentifierKind]!.length === 0) delete record.identifiers[kind as ContactIdentifierKind];
  if (Object.keys(consents).length > 0) record.consents = consents;
  const attributes = { ...existing?.attributes, ...row.attributes };
  if (Object.keys(attributes).length > 0) record.attributes = attributes;
  if (birthDate !== undefined) record.birthDate = birthDate;
  return record;
}

/** A value as JSON with its keys sorted (undefined members left out): equal values, equal text. */
export function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Whether two records say the same, their import times aside. */
export function sameRecord(a: CustomerRecord, b: CustomerRecord): boolean {
  return stable({ ...a, importedAt: 0 }) === stable({ ...b, importedAt: 0 });
}
