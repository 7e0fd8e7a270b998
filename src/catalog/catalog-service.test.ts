import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { demoCatalogPath } from '../paths.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { tempDir } from '../test-support/test-kairos.js';
import { loadCatalogFile } from './catalog-file.js';
import { CatalogService } from './catalog-service.js';

/** The catalog service on the embedded store: a change is stored whole or not at all. */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function open(): Promise<{ service: CatalogService; store: LmdbStore }> {
  const dir = tempDir();
  const store = new LmdbStore(dir.dir);
  cleanups.push(dir.remove, () => store.close());
  const service = await CatalogService.open(store, new ManualClock(0), createLogger('silent'), { def: loadCatalogFile(demoCatalogPath()), source: 'demo' });
  return { service, store };
}

describe('catalog service', () => {
  it('leaves no audit entry and no version when the store refuses a change', async () => {
    const { service, store } = await open();
    const def = structuredClone(service.catalog.def) as unknown as Record<string, unknown>;
    // Compiles (an unknown top-level field is ignored), but MessagePack cannot hold the number.
    def.note = 2n ** 70n;
    await expect(service.replace(def, 'tester', 'test')).rejects.toThrow(/too large/);
    expect(service.version).toBe(1);
    expect((await service.history(100)).map((e) => e.version)).toEqual([1]);
    expect(await service.atVersion(2)).toBeUndefined();
    expect(((await store.getMeta('catalog')) as { version: number }).version).toBe(1);
    // The next change takes the next number, with its audit entry.
    delete def.note;
    expect(await service.replace(def, 'tester', 'test')).toEqual({ version: 2 });
    expect((await service.history(100)).map((e) => [e.seq, e.version])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });
});
