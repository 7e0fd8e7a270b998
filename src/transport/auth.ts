import { createHash } from 'node:crypto';

/**
 * The bearer credential of an `Authorization` header, and a short label of it for logs. The
 * keys themselves, their roles and the constant-time check are in key-ring.ts.
 */
function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
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
