/** The signed-in key, kept in this tab's sessionStorage only (gone when the tab closes). */

const KEY = 'kairos.console.key';

export function storedKey(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
}
