import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Unsubscribe links for marketing e-mail (`List-Unsubscribe`, RFC 2369 and one-click RFC
 * 8058): a token naming the address and the customer, signed with the server's secret, so
 * following the link needs no login and cannot be forged for another address. Opening the
 * link (GET) only shows a confirmation page; the POST (its button, or the mail client's
 * one-click) unsubscribes (src/admin/delivery-routes.ts).
 */

export interface UnsubscribeClaim {
  /** the e-mail address to stop */
  email: string;
  customer: string;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

export function unsubscribeToken(claim: UnsubscribeClaim, secret: string): string {
  const payload = b64url(JSON.stringify({ e: claim.email, c: claim.customer }));
  return `${payload}.${sign(payload, secret)}`;
}

/** The claim of a genuine token, or undefined. */
export function readUnsubscribeToken(token: string, secret: string): UnsubscribeClaim | undefined {
  const [payload, mac, ...rest] = token.split('.');
  if (payload === undefined || mac === undefined || rest.length > 0) return undefined;
  const expected = Buffer.from(sign(payload, secret));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { e?: unknown; c?: unknown };
    return typeof v.e === 'string' && typeof v.c === 'string' ? { email: v.e, customer: v.c } : undefined;
  } catch {
    return undefined;
  }
}
