import { stdSerializers } from 'pino';

/**
 * Masks personal data inside strings bound for the log: e-mail addresses (also `%40`-encoded,
 * as in a request path), card numbers (13-19 digits, spaces or dashes allowed) and phone
 * numbers (Russian: +7, 7 or 8 and ten digits, or ten bare digits; spaces, dashes, brackets
 * allowed). It errs on the side of masking: any 10- or 13-19-digit run in a log string goes.
 */
const EMAIL = /[\p{L}\p{N}._%+-]+(?:@|%40)[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/giu;
const CARD = /(?<![\d])\d(?:[ -]?\d){12,18}(?!\d)/g;
const PHONE = /(?<![\d])(?:(?:\+7|7|8)[ -]?)?(?:\(\d{3}\)|\d{3})[ -]?\d{3}[ -]?\d{2}[ -]?\d{2}(?!\d)/g;

export function scrubText(text: string): string {
  return text.replace(EMAIL, '[email]').replace(CARD, '[card]').replace(PHONE, '[phone]');
}

/**
 * A copy of a log record's fields with every string scrubbed, to any depth; errors are
 * serialized first (pino's own serializer) so their message and stack are scrubbed too, and
 * the logger's `err` serializer then leaves them as they are.
 */
export function scrubValue(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (value instanceof Error) {
    // pino's serializer (message and stack with their causes) into a plain object
    const serialized = stdSerializers.err(value) as unknown as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k in serialized) if (serialized[k] !== undefined) out[k] = scrubValue(serialized[k], seen);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, seen));
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v, seen);
  return out;
}
