import type { OutboxRecord } from '../store/store.js';

/**
 * The one retry and dead-letter policy of every outbound channel: the own adapters'
 * (dispatcher.ts) and the WebSocket subscribers' `failed` confirmations
 * (gateway-subscribers.ts). A failed attempt is retried after `backoffMs`, doubling each time
 * (up to an hour); after `maxAttempts` attempts, or at once for a permanent refusal, the entry
 * is a dead letter (listed and retried in the admin API, counted `dead`).
 */
export interface RetryPolicy {
  /** KAIROS_DELIVERY_MAX_ATTEMPTS */
  maxAttempts: number;
  /** KAIROS_DELIVERY_BACKOFF_MS: the first retry's delay */
  backoffMs: number;
}

/** The longest wait between two attempts. */
export const MAX_BACKOFF_MS = 3_600_000;

/** What a failed attempt leaves of an entry: its attempts counted, and `Store.failOutbox`'s `next` (a dead letter, or when to retry). */
export interface FailedAttempt {
  attempts: number;
  dead: boolean;
  next: { dead: true } | { retryAt: number };
}

/** A failed attempt of `r` at `now` under `policy`; `refused`: the far end will not change its mind (a dead letter at once). */
export function failedAttempt(r: Pick<OutboxRecord, 'attempts'>, policy: RetryPolicy, now: number, refused = false): FailedAttempt {
  const attempts = r.attempts + 1;
  if (refused || attempts >= policy.maxAttempts) return { attempts, dead: true, next: { dead: true } };
  return { attempts, dead: false, next: { retryAt: now + Math.min(MAX_BACKOFF_MS, policy.backoffMs * 2 ** (attempts - 1)) } };
}
