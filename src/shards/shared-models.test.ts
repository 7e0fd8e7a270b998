import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../actors/index.js';
import { loadCatalogFile } from '../catalog/catalog-file.js';
import { ModelRegistry } from '../runtime/model-registry.js';
import { demoCatalogPath } from '../paths.js';
import { MemoryStore } from '../store/memory-store.js';
import { SharedModels, adoptShared, modelOver } from './shared-models.js';

describe('SharedModels', () => {
  it('makes a model for every offer of the catalog, trained through any thread\'s view, written and read back, renewed empty at a reset', async () => {
    const catalog = compileCatalog(loadCatalogFile(demoCatalogPath()));
    const store = new MemoryStore();
    const main = new ModelRegistry();
    const models = new SharedModels(main);
    expect(models.cover(catalog)).toBe(true);
    expect(models.cover(catalog)).toBe(false);
    expect(models.list().map((m) => m.offer).sort()).toEqual([...catalog.offers.keys()].sort());
    const offer = models.list()[0]!;
    expect(offer.bits).toBe(catalog.policy.learning.bits);

    // A shard's registry adopts them; its answers train the shared memory, which the main thread's registry reads.
    const shard = new ModelRegistry();
    adoptShared(shard, models.list());
    shard.learn([{ campaign: 'c', group: 'g', offer: offer.offer, positive: true, x: [1, 2, 3] }], offer.bits);
    expect(main.summary(offer.offer, 1000, 0).examples).toBe(1);
    // the shard does not write it; the main thread does, once a change is there
    expect(await shard.saveWeights(store)).toBe(0);
    expect(await models.saveWeights(store)).toBe(1);
    expect(await models.saveWeights(store)).toBe(0);

    // Read back at the next start: the same weights.
    const again = new SharedModels(new ModelRegistry());
    await again.load(store);
    const loaded = again.list().find((m) => m.offer === offer.offer)!;
    expect(modelOver(loaded).examples).toBe(1);
    expect(modelOver(loaded).predict([1, 2, 3])).toBe(modelOver(offer).predict([1, 2, 3]));

    // A reset: held first (the interval's save does not write the old weights after the reset's empty ones), then new, empty memory the shard takes in place of the old.
    shard.learn([{ campaign: 'c', group: 'g', offer: offer.offer, positive: true, x: [4] }], offer.bits);
    models.hold(offer.offer);
    expect(await models.saveWeights(store)).toBe(0);
    await main.reset(offer.offer, store);
    models.renew(offer.offer, 10);
    adoptShared(shard, models.list());
    expect(shard.summary(offer.offer, 1000, 0)).toMatchObject({ examples: 0, bits: 10 });
    shard.learn([{ campaign: 'c', group: 'g', offer: offer.offer, positive: false, x: [1] }], 10);
    expect(main.summary(offer.offer, 1000, 0).examples).toBe(1);

    // A model reset and not trained since: at the next start the policy's bits, not the emptied placeholder's.
    models.hold(offer.offer);
    await main.reset(offer.offer, store);
    models.renew(offer.offer, 10);
    const afterReset = new SharedModels(new ModelRegistry());
    await afterReset.load(store);
    expect(afterReset.list().find((m) => m.offer === offer.offer)).toBeUndefined();
    afterReset.cover(catalog);
    expect(afterReset.list().find((m) => m.offer === offer.offer)?.bits).toBe(catalog.policy.learning.bits);
  });
});
