import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { KairosError } from '../errors.js';

/**
 * Webhook signatures as the Standard Webhooks spec (https://www.standardwebhooks.com) has
 * them: `webhook-id` (the message id, the same on every retry), `webhook-timestamp` (Unix
 * seconds of this attempt) and `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "${id}.${timestamp}.${body}">`. The key is the secret's bytes: a `whsec_<base64>` secret
 * is the base64 after the prefix, decoded; any other secret is its UTF-8 bytes (as the
 * older `X-Kairos-Signature` always took it).
 */

const WHSEC = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The HMAC key of a secret: `whsec_<base64>` decoded, else the secret's UTF-8 bytes. A malformed `whsec_` secret is `config_invalid`. */
export function webhookKey(secret: string): Buffer {
  if (!secret.startsWith(WHSEC)) {
    if (secret === '') throw new KairosError('config_invalid', 'the webhook secret is empty');
    return Buffer.from(secret, 'utf8');
  }
  const b64 = secret.slice(WHSEC.length);
  if (!BASE64.test(b64) || b64.length % 4 !== 0) throw new KairosError('config_invalid', 'the webhook secret starts with "whsec_" but the rest is not base64');
  return Buffer.from(b64, 'base64');
}

/** `v1,<base64 HMAC-SHA256 of "${id}.${timestamp}.${body}">` with the key's bytes. */
export function signWebhook(key: Buffer, id: string, timestampSec: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSec}.${body}`).digest('base64')}`;
}

/** The three Standard Webhooks headers of one attempt of message `id` at `nowMs`. */
export function webhookHeaders(key: Buffer, id: string, nowMs: number, body: string): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const timestamp = Math.floor(nowMs / 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(key, id, timestamp, body) };
}

export interface WebhookVerifierOptions {
  /** the same secret the sender signs with (`whsec_<base64>` or plain) */
  secret: string;
  /** the receiver's clock, epoch milliseconds */
  now: () => number;
  /** how far `webhook-timestamp` may be from now, either way; 300 s (the spec's 5 minutes) */
  toleranceSec?: number;
  /** at most this many ids remembered; the oldest are forgotten first; 10 000 */
  maxSeen?: number;
}

/**
 * Verifies Standard Webhooks requests for a receiver (and the tests). `verify` throws a
 * KairosError `unauthorized` for a missing header, a signature that matches none given, a
 * timestamp more than the tolerance from now, or an id it has already accepted (a replay);
 * otherwise it remembers the id and returns it. Ids are kept for the tolerance window (an
 * older message is refused for its timestamp anyway), at most `maxSeen` of them.
 *
 * The sender retries with the same id, so a receiver that could not do the work after
 * `verify` calls `forget(id)` before it answers non-2xx; the retry is then accepted.
 */
export class WebhookVerifier {
  private readonly key: Buffer;
  private readonly toleranceSec: number;
  private readonly maxSeen: number;
  /** id → epoch ms after which it may be forgotten, in the order accepted */
  private readonly seen = new Map<string, number>();

  constructor(private readonly o: WebhookVerifierOptions) {
    this.key = webhookKey(o.secret);
    this.toleranceSec = o.toleranceSec ?? 300;
    this.maxSeen = o.maxSeen ?? 10_000;
  }

  verify(headers: IncomingHttpHeaders | Readonly<Record<string, string | undefined>>, body: string): string {
    const id = one(headers, 'webhook-id');
    const ts = one(headers, 'webhook-timestamp');
    const sigs = one(headers, 'webhook-signature');
    if (!/^[0-9]{1,15}$/.test(ts)) throw refused('webhook-timestamp is not whole seconds');
    const timestamp = Number(ts);
    const expected = Buffer.from(signWebhook(this.key, id, timestamp, body));
    // Several signatures may be given, space-separated (a key being rotated): one must match.
    const match = sigs.split(' ').some((s) => {
      const given = Buffer.from(s);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!match) throw refused('webhook-signature does not match');
    const now = this.o.now();
    if (Math.abs(now / 1000 - timestamp) > this.toleranceSec) throw refused(`webhook-timestamp is more than ${this.toleranceSec} s from now`);
    this.prune(now);
    if (this.seen.has(id)) throw refused(`webhook-id "${id}" was accepted already (a replay)`);
    this.seen.set(id, (timestamp + this.toleranceSec) * 1000);
    while (this.seen.size > this.maxSeen) this.seen.delete(this.seen.keys().next().value as string);
    return id;
  }

  /** Forgets an accepted id, so the sender's retry of it verifies (the receiver failed to do the work). */
  forget(id: string): void {
    this.seen.delete(id);
  }

  private prune(now: number): void {
    for (const [id, until] of this.seen) if (until < now) this.seen.delete(id);
  }
}

function one(headers: IncomingHttpHeaders | Readonly<Record<string, string | undefined>>, name: string): string {
  const v = headers[name];
  if (typeof v !== 'string' || v === '') throw refused(`${name} is missing`);
  return v;
}

function refused(reason: string): KairosError {
  return new KairosError('unauthorized', `webhook refused: ${reason}`);
}
