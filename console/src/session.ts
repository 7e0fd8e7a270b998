import type { Whoami } from './api/client';

/**
 * The signed-in key, kept in this tab's sessionStorage only (gone when the tab closes), with
 * what the server last said of it (GET /v1/whoami). The latter lets a page opened by its
 * address (or reloaded) render and ask for its data at once, while whoami is asked again
 * beside it; it decides only what the console shows, never what the server allows.
 */

/** Why a sign-in did not take: the key refused (401), or the server not answering; or why a session ended: its key refused during use (revoked or rotated since). */
export type SignInFailure = 'refused' | 'unanswered' | 'revoked';

const KEY = 'kairos.console.key';
const WHO = 'kairos.console.whoami';

export function storedKey(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

/** The whoami stored with the key, when it reads as one (an older or damaged entry reads as none). */
export function storedWhoami(): Whoami | undefined {
  const text = sessionStorage.getItem(WHO);
  if (text === null) return undefined;
  try {
    const who = JSON.parse(text) as Partial<Whoami> | null;
    return who !== null && typeof who === 'object' && Array.isArray(who.operations) && typeof who.role === 'string' && typeof who.timeZone === 'string' ? (who as Whoami) : undefined;
  } catch {
    return undefined;
  }
}

export function storeKey(key: string, who: Whoami): void {
  sessionStorage.setItem(KEY, key);
  sessionStorage.setItem(WHO, JSON.stringify(who));
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(WHO);
}
