import type { Catalog } from './catalog/compiled-catalog.js';

/**
 * The bounds on what one customer's requests may make Kairos remember, and on the times they
 * may carry. The settings (`CustomerLimits`) come in each message from the server's
 * configuration; the fixed bounds (`stateBounds`) are constants. docs/operations.md,
 * "Per-customer limits", lists each with what happens when it is reached.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface CustomerLimits {
  /**
   * how long a request id is remembered with its answer (server time since it came); the
   * effective retention is the longer of this and the catalog's longest offer expiry
   */
  idempotencyRetentionMs: number;
  /**
   * request ids remembered per customer within the retention; past it the oldest whose
   * answer made no contact is forgotten, and when every one made a contact a new request is
   * refused `rate_limited`
   */
  idempotencyMaxIds: number;
  /** how far past the server's clock an event's or response's `at` may be */
  maxClockSkewMs: number;
  /** how far before the server's clock an event's or response's `at` may be */
  maxEventAgeMs: number;
  /**
   * how old (server clock minus its `at`) an event may be and still be answered with a push
   * contact; an older one is applied to the customer but decided without them (`stale_event`)
   */
  staleEventMs: number;
}

export const defaultLimits: Readonly<CustomerLimits> = Object.freeze({
  idempotencyRetentionMs: 7 * DAY_MS,
  idempotencyMaxIds: 256,
  maxClockSkewMs: 5 * MINUTE_MS,
  maxEventAgeMs: 7 * DAY_MS,
  staleEventMs: 15 * MINUTE_MS,
});

/** The fixed per-customer bounds (docs/operations.md, "Per-customer limits"). */
export const stateBounds = {
  /** response records kept per offer instance (a repeated outcome replaces its record and counts) */
  responsesPerInstance: 8,
  /** entries of a response's `data` kept: scalars only (numbers, booleans, short strings) */
  responseDataEntries: 16,
  responseDataKeyChars: 64,
  responseDataStringChars: 256,
  /** keys and string values of a response's `data` kept, in characters, in all */
  responseDataChars: 2048,
  /** identifiers of each kind a customer collects from events (the bank's import is not cut) */
  identifiers: { card: 20, phone: 10, email: 10, cookie: 50 },
  /** a profile string a `profile.updated` event may set */
  profileStringChars: 256,
  /** imported attributes (`profile.attributes`) a `profile.updated` event may set: names up to 64 characters, scalars */
  profileAttributes: 200,
  profileAttributeKeyChars: 64,
} as const;

const longestExpiry = new WeakMap<Catalog, number>();

/** The longest time any of the catalog's campaigns keeps an offer open, ms. */
export function longestOfferExpiryMs(catalog: Catalog | undefined): number {
  if (catalog === undefined) return 0;
  let ms = longestExpiry.get(catalog);
  if (ms === undefined) {
    ms = 0;
    for (const c of catalog.campaigns) if (c.expiresInMs > ms) ms = c.expiresInMs;
    longestExpiry.set(catalog, ms);
  }
  return ms;
}

/** How long a request id is remembered under these limits and this catalog. */
export function effectiveRetentionMs(limits: CustomerLimits, catalog: Catalog | undefined): number {
  return Math.max(limits.idempotencyRetentionMs, longestOfferExpiryMs(catalog));
}

/** A duration for a message: "5 min", "7 days", "20.1 years". */
export function describeDuration(ms: number): string {
  const round = (n: number): string => String(Math.round(n * 10) / 10);
  if (!Number.isFinite(ms)) return String(ms);
  if (ms >= 365 * DAY_MS) return `${round(ms / (365.25 * DAY_MS))} years`;
  if (ms >= 2 * DAY_MS) return `${round(ms / DAY_MS)} days`;
  if (ms >= 2 * HOUR_MS) return `${round(ms / HOUR_MS)} h`;
  if (ms >= 2 * MINUTE_MS) return `${round(ms / MINUTE_MS)} min`;
  if (ms >= 1000) return `${round(ms / 1000)} s`;
  return `${Math.round(ms)} ms`;
}

/**
 * Why a message's `at` is refused, or undefined when it is within the bounds around the
 * server's clock `now`: at most `maxClockSkewMs` after it, at most `maxEventAgeMs` before it
 * (checked with `extraAgeMs` more: the host's first look, which must let a repeat of an
 * accepted event through to its actor; the message names the bound itself). A message
 * without `at` takes the server's clock: always fine.
 */
export function eventTimeProblem(at: number | undefined, now: number, limits: CustomerLimits, extraAgeMs = 0): string | undefined {
  if (at === undefined) return undefined;
  if (at > now + limits.maxClockSkewMs) {
    return `field "at": ${at} is ${describeDuration(at - now)} after the server's clock; at most ${describeDuration(limits.maxClockSkewMs)} ahead is accepted`;
  }
  if (at < now - limits.maxEventAgeMs - extraAgeMs) {
    return `field "at": ${at} is ${describeDuration(now - at)} before the server's clock; at most ${describeDuration(limits.maxEventAgeMs)} old is accepted`;
  }
  return undefined;
}

type Scalar = string | number | boolean;

/**
 * What is kept of a response's `data`: up to `responseDataEntries` entries whose key is at
 * most `responseDataKeyChars` long and whose value is a finite number, a boolean or a string
 * of at most `responseDataStringChars`, while keys and strings come to at most
 * `responseDataChars`; nested maps and lists, and what is past the bounds, are dropped.
 * The same object when all of it is kept; undefined when nothing is.
 */
export function boundedResponseData(data: Record<string, unknown> | undefined): Record<string, Scalar> | undefined {
  if (data === undefined) return undefined;
  const b = stateBounds;
  const kept: Record<string, Scalar> = {};
  let entries = 0;
  let chars = 0;
  let all = true;
  for (const key of Object.keys(data)) {
    const v = data[key];
    const ok =
      entries < b.responseDataEntries &&
      key.length <= b.responseDataKeyChars &&
      key !== '__proto__' &&
      (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= b.responseDataStringChars));
    const size = key.length + (typeof v === 'string' ? v.length : 0);
    if (!ok || chars + size > b.responseDataChars) {
      all = false;
      continue;
    }
    kept[key] = v;
    entries++;
    chars += size;
  }
  if (entries === 0) return undefined;
  return all ? (data as Record<string, Scalar>) : kept;
}
