import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../actors/index.js';
import { loadCatalogFile } from '../catalog/catalog-file.js';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { demoCatalogPath } from '../paths.js';
import { MemoryStore } from '../store/memory-store.js';
import { IMPORT_PASS_PREFIX, SegmentSweep } from './segment-sweep.js';

/**
 * An import's segment pass that fails (the store refusing a write) is gone over again shortly,
 * not left until the next start: the runs waiting for the memberships (`pending`: import) go on
 * once it is done (a memory store whose first removal of a pass's entry fails, and the first read
 * of it after).
 */

class FlakyStore extends MemoryStore {
  failures = 1;
  override deleteMeta(keys: readonly string[]): Promise<void> {
    if (this.failures > 0 && keys.some((k) => k.startsWith(IMPORT_PASS_PREFIX))) {
      this.failures--;
      return Promise.reject(new Error('the store refused the write'));
    }
    return super.deleteMeta(keys);
  }

  readFailures = 1;
  override getMeta(key: string): Promise<unknown> {
    if (this.readFailures > 0 && key.startsWith(IMPORT_PASS_PREFIX)) {
      this.readFailures--;
      return Promise.reject(new Error('the store refused the read'));
    }
    return super.getMeta(key);
  }
}

describe('an import pass that fails', () => {
  it('is gone over again shortly, and the memberships are settled once it is done', async () => {
    const catalog = compileCatalog(loadCatalogFile(demoCatalogPath()));
    const store = new FlakyStore();
    const checked: string[] = [];
    const sweep = new SegmentSweep({
      store,
      clock: new ManualClock(Date.parse('2026-12-08T10:00:00+03:00')),
      catalog: () => catalog,
      logger: createLogger('silent'),
      check: (id) => {
        checked.push(id);
        return Promise.resolve(true);
      },
      automatic: false,
      importRetryMs: 20,
    });
    try {
      await sweep.afterImport(['c-1', 'c-2']);
      await sweep.importsDone();
      // the pass failed (its entry left in the store), its entry could not be read at the first retry, then it was gone over again
      expect(store.failures).toBe(0);
      for (let waited = 0; (await sweep.pending()) !== undefined && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
      expect(await sweep.pending()).toBeUndefined();
      expect(await store.listMeta(IMPORT_PASS_PREFIX, 10)).toEqual([]);
      expect(store.readFailures).toBe(0);
      expect(checked).toEqual(['c-1', 'c-2', 'c-1', 'c-2']);
    } finally {
      sweep.stop();
    }
  });
});
