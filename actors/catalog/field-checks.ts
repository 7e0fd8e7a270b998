import { invalidAt } from '../brain-error.js';
import { civilDate, epochDayOf, instantOfLocal } from '../local-time.js';

/** The checks on single fields of a definition, each naming the field of a problem. */

// ---------------------------------------------------------------------------------------
// Compilation

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function requireString(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw invalidAt(path, 'must be non-empty text');
  return v;
}

export function requireId(v: unknown, path: string): string {
  if (typeof v !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(v)) {
    throw invalidAt(path, 'must be an id: lowercase letters, digits, "-" and "_", up to 64');
  }
  return v;
}

export function requireNumber(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw invalidAt(path, `must be a number from ${min} to ${max}`);
  }
  return v;
}

export function requireList(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw invalidAt(path, 'must be a list');
  return v;
}

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30m", "24h", "7d" -> milliseconds */
export function parseDuration(v: unknown, path: string): number {
  const m = typeof v === 'string' ? DURATION.exec(v) : null;
  if (m === null) throw invalidAt(path, 'must be a duration such as "30m", "24h" or "7d"');
  const ms = Number(m[1]) * (durationUnits[m[2] ?? 'ms'] ?? 1);
  if (ms <= 0) throw invalidAt(path, 'must be longer than zero');
  return ms;
}

export function parseInstant(v: unknown, path: string): number {
  const ms = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(ms)) throw invalidAt(path, 'must be an ISO date-time such as "2026-01-01T00:00:00+03:00"');
  return ms;
}

export function requireWhole(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalidAt(path, `must be a whole number from ${min} to ${max}`);
  }
  return v;
}

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * An ISO date-time (or date) as an instant. With its offset (`Z`, `+03:00`) it is that instant;
 * without one it is the wall-clock time in `timeZone` (a time a clock change skips comes at the
 * switch), never the host process's zone. Any other form is refused.
 */
export function parseZonedInstant(v: unknown, path: string, timeZone: string): number {
  const m = typeof v === 'string' ? LOCAL_DATE_TIME.exec(v) : null;
  const bad = (): never => {
    throw invalidAt(path, 'must be an ISO date-time such as "2027-01-15T10:00:00+03:00" (without an offset: in the policy\'s defaultTimezone)');
  };
  if (m === null) return bad();
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const epochDay = epochDayOf(year, month, day);
  const [y2, m2, d2] = civilDate(epochDay);
  if (y2 !== year || m2 !== month || d2 !== day || hour > 23 || minute > 59 || second > 59) return bad();
  const ms = m[7] === undefined ? 0 : Math.round(Number(m[7]) * 1000);
  const offset = m[8];
  if (offset !== undefined) {
    const at = Date.parse(v as string);
    return Number.isFinite(at) ? at : bad();
  }
  return instantOfLocal(epochDay, hour * 60 + minute, timeZone) + second * 1000 + ms;
}

export function uniqueIds<T extends { id: string }>(list: readonly T[], path: string): void {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    if (seen.has(item.id)) throw invalidAt(`${path}[${i}].id`, `duplicate id "${item.id}"`);
    seen.add(item.id);
  });
}
