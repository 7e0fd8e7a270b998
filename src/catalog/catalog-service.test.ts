import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { KairosError } from '../errors.js';
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

describe('the listeners of catalog changes', () => {
  it('refuses a change a check refuses, storing nothing, and never answers one a listener failed to take as done', async () => {
    const { service, store } = await open();
    const taken: number[] = [];
    let refuse = true;
    let fail = false;
    service.beforeChange((c) => {
      if (refuse) throw new KairosError('conflict', `version ${c.version}: not for these shards`);
    });
    service.onChange((c) => {
      if (fail) throw new Error('the shards did not take it');
      taken.push(c.version);
    });
    // Refused by the check: no version, no audit entry, no listener called.
    await expect(service.setStatus('atm-shortfall', 'paused', 'tester')).rejects.toMatchObject({ code: 'conflict', message: 'version 2: not for these shards' });
    expect(service.version).toBe(1);
    expect(((await store.getMeta('catalog')) as { version: number }).version).toBe(1);
    expect((await service.history(100)).map((e) => e.version)).toEqual([1]);
    expect(taken).toEqual([]);
    // Taken by the check, failed by a listener: stored (audited), answered as a failure naming the version, not as done.
    refuse = false;
    fail = true;
    await expect(service.setStatus('atm-shortfall', 'paused', 'tester')).rejects.toMatchObject({ code: 'internal', message: expect.stringContaining('catalog version 2 is stored but was not put in force everywhere: the shards did not take it') as string });
    expect((await service.history(100)).map((e) => e.version)).toEqual([1, 2]);
    // The next change hands the listeners the whole catalog again.
    fail = false;
    expect(await service.setStatus('atm-shortfall', 'active', 'tester')).toMatchObject({ version: 3 });
    expect(taken).toEqual([3]);
  });
});

describe('a catalog an earlier version stored', () => {
  it('opens with the fields this version does not know dropped and a warning, and takes the next change', async () => {
    const dir = tempDir();
    const store = new LmdbStore(dir.dir);
    cleanups.push(dir.remove, () => store.close());
    // What an earlier version could store: unknown fields were ignored then.
    const old = structuredClone(loadCatalogFile(demoCatalogPath())) as unknown as { version: number; campaigns: Array<Record<string, unknown>>; offers: Array<Record<string, unknown>>; policy: Record<string, unknown> };
    old.version = 7;
    old.campaigns[0]!.note = 'asked for by the branch network';
    old.offers[0]!.legacyCode = 42;
    old.policy.retired = true;
    await store.putMeta('catalog', old);
    const lines: string[] = [];
    const logger = createLogger('warn', { write: (l: string) => void lines.push(l) });
    const service = await CatalogService.open(store, new ManualClock(0), logger, { def: loadCatalogFile(demoCatalogPath()), source: 'demo' });
    expect(service.version).toBe(7);
    expect(service.catalog.campaigns.length).toBe(old.campaigns.length);
    const kept = service.catalog.def as unknown as typeof old;
    expect(kept.campaigns[0]).not.toHaveProperty('note');
    expect(kept.offers[0]).not.toHaveProperty('legacyCode');
    expect(kept.policy).not.toHaveProperty('retired');
    expect(lines.join('\n')).toContain('the stored catalog holds fields this version does not know');
    // A change to another item compiles the whole catalog: the dropped fields do not stand in its way.
    const campaign = structuredClone(service.get('campaigns', String(old.campaigns[1]!.id))) as Record<string, unknown>;
    expect(await service.put('campaigns', String(campaign.id), { ...campaign, priority: 3 }, 'tester')).toEqual({ version: 8, created: false });
    // Written anew, a field this version does not know is still refused, naming it.
    await expect(service.put('campaigns', String(campaign.id), { ...campaign, note: 'x' }, 'tester')).rejects.toThrow('field "note": unknown field');
  });
});
