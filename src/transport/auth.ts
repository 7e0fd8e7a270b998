import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Bearer-token checks for gateways and the admin API. Tokens are compared by their SHA-256
 * digests in constant time, so neither a token's length nor its prefix leaks through timing.
 */
function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export class TokenSet {
  private readonly digests: readonly Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.map(digest);
  }

  /** Whether an `Authorization` header value carries one of the tokens. */
  allows(authorization: string | undefined): boolean {
    const token = bearerToken(authorization);
    if (token === undefined) return false;
    const d = digest(token);
    let ok = false;
    for (const known of this.digests) ok = timingSafeEqual(d, known) || ok;
    return ok;
  }
}

export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return m?.[1];
}

/** A short, non-reversible label for a credential, for audit logs ("key:3f9a1c"). */
export function credentialLabel(authorization: string | undefined): string | undefined {
  const token = bearerToken(authorization);
  return token === undefined ? undefined : `key:${digest(token).toString('hex').slice(0, 6)}`;
}
