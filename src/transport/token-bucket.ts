/**
 * The request rate limit (`KAIROS_RATE_LIMIT`, docs/protocol.md): a token bucket of `rate`
 * tokens a second holding at most twice that (the burst). A WebSocket connection has one
 * (websocket-gateway.ts); `POST /v1/events` has one per gateway key and client address
 * ({@link ClientBuckets}, or shared by a node's threads: shared-client-buckets.ts): uWS gives
 * an HTTP request no handle on its keep-alive connection.
 */

export interface TokenBucket {
  tokens: number;
  /** performance.now() of the last refill */
  refilledAt: number;
}

/** A full bucket for this rate. */
export function fullBucket(rate: number, now: number): TokenBucket {
  return { tokens: rate * 2, refilledAt: now };
}

/** Refills the bucket for the time gone by, then takes one token if there is one. */
export function takeToken(b: TokenBucket, rate: number, now: number): boolean {
  b.tokens = Math.min(rate * 2, b.tokens + ((now - b.refilledAt) / 1000) * rate);
  b.refilledAt = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

/** Whole seconds (at least 1) until the bucket holds a token again: an HTTP Retry-After. */
export function retryAfterSec(b: TokenBucket, rate: number): number {
  return Math.max(1, Math.ceil((1 - b.tokens) / rate));
}

/** Rate limits by client (a gateway key and an address): this thread's {@link ClientBuckets}, or a node's threads' shared ones (shared-client-buckets.ts). */
export interface ClientLimiter {
  /** 0 when the client may go on (a token taken); else the Retry-After, in whole seconds. `now` in ms (absolute where threads share the buckets). */
  take(client: string, now: number): number;
}

/** How many clients {@link ClientBuckets} keeps at most by default (~100 bytes each). */
export const MAX_CLIENT_BUCKETS = 100_000;

/**
 * Token buckets by client (a gateway key and an address), for `POST /v1/events`. A bucket left
 * alone long enough to be full again (2 s: the burst refills at `rate` a second) is no
 * different from a new one, so those are dropped, at most once every 2 s; past `max` clients
 * the ones first seen longest ago go first (such a client then starts again with a full bucket). One
 * map look-up per request.
 */
export class ClientBuckets implements ClientLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private sweptAt = -Infinity;

  constructor(
    private readonly rate: number,
    private readonly max = MAX_CLIENT_BUCKETS,
  ) {}

  /** 0 when the client may go on (a token taken); else the Retry-After, in whole seconds. */
  take(client: string, now: number): number {
    if (now - this.sweptAt >= 2000 || this.buckets.size >= this.max) this.sweep(now);
    let b = this.buckets.get(client);
    if (b === undefined) {
      b = fullBucket(this.rate, now);
      this.buckets.set(client, b);
    }
    return takeToken(b, this.rate, now) ? 0 : retryAfterSec(b, this.rate);
  }

  /** clients with a bucket (for tests) */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    const full = this.rate * 2;
    for (const [client, b] of this.buckets) {
      if (b.tokens + ((now - b.refilledAt) / 1000) * this.rate >= full) this.buckets.delete(client);
    }
    // Still too many (that many clients busy within 2 s): the first seen go.
    for (const client of this.buckets.keys()) {
      if (this.buckets.size < this.max) break;
      this.buckets.delete(client);
    }
  }
}
