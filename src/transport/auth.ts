import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Bearer-token checks for gateways and the admin API. Tokens are compared by their SHA-256
 * digests in constant time, so neither a token's length nor its prefix leaks through timing:
 * every known digest is compared, whichever matches, and the match is picked without a branch
 * on the comparison.
 */
function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** A set of bearer tokens, each with what it grants (`T`: a gateway token's channel scope). */
export class TokenSet<T = true> {
  private readonly digests: readonly Buffer[];
  private readonly grants: readonly T[];

  constructor(entries: ReadonlyArray<readonly [token: string, grant: T]>) {
    this.digests = entries.map(([token]) => digest(token));
    this.grants = entries.map(([, grant]) => grant);
  }

  /** A set of tokens that grant nothing beyond being known (admin keys). */
  static of(tokens: readonly string[]): TokenSet {
    return new TokenSet(tokens.map((t) => [t, true] as const));
  }

  /** What the token of an `Authorization` header value grants; undefined when it carries none of the tokens. */
  find(authorization: string | undefined): T | undefined {
    const token = bearerToken(authorization);
    if (token === undefined) return undefined;
    const d = digest(token);
    let found = -1;
    for (let i = 0; i < this.digests.length; i++) {
      // Every digest is compared; the index is kept arithmetically, not by a branch.
      const eq = Number(timingSafeEqual(d, this.digests[i]!));
      found = eq * i + (1 - eq) * found;
    }
    return found < 0 ? undefined : this.grants[found];
  }

  /** Whether an `Authorization` header value carries one of the tokens. */
  allows(authorization: string | undefined): boolean {
    return this.find(authorization) !== undefined;
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
