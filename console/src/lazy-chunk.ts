/**
 * A chunk of the console's script fetched on first use rather than with the first page
 * (Chart.js, csv-parse): `load()` fetches it once and answers the same promise after; a failed
 * fetch is forgotten, so the next use asks again.
 */
export function lazyChunk<T>(fetchChunk: () => Promise<T>): { load: () => Promise<T>; preloadWhenIdle: () => void } {
  let chunk: Promise<T> | undefined;
  const load = (): Promise<T> =>
    (chunk ??= fetchChunk().catch((err: unknown) => {
      chunk = undefined;
      throw err;
    }));
  return { load, preloadWhenIdle: () => whenIdle(() => void load().catch(() => undefined)) };
}

/** Runs `work` once the browser is idle (a 200 ms timer where it has no idle callbacks). */
export function whenIdle(work: () => void): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(work);
  else setTimeout(work, 200);
}
