import { describe, expect, it } from 'vitest';
import type { Learned } from '../../actors/index.js';
import { evidenceKey, hashFeatures, posteriorProbability, seededRng } from '../../actors/index.js';
import { MemoryStore } from '../store/memory-store.js';
import { ModelRegistry } from './model-registry.js';
import { PropensityLedger } from './propensity-ledger.js';

/**
 * Drift across customers (docs/learning.md#drift): the propensity ledger and the model
 * registry follow a response rate that triples, at the policy's half-life; with none they
 * stay on the old rate. The same answers, from a fixed seed, go to each.
 */

const x = hashFeatures(['bias', 'event=callcenter.call']);

function answers(rate: number, count: number, seed: number): Learned[] {
  const rng = seededRng(seed);
  return Array.from({ length: count }, () => ({ campaign: 'calls', group: 'all', offer: 'deposit', positive: rng() < rate, x }));
}

describe('drift across customers', () => {
  it('the ledger\'s group probability follows the new rate; its totals count every answer', () => {
    const decayed = new PropensityLedger();
    const plain = new PropensityLedger();
    for (const [rate, n, seed] of [[0.05, 20_000, 1], [0.15, 6000, 2]] as const) {
      decayed.record(answers(rate, n, seed), 2000);
      plain.record(answers(rate, n, seed));
    }
    const e = decayed.evidence().get(evidenceKey('calls', 'all'))!;
    expect(e.positives + e.negatives).toBe(26_000);
    expect(posteriorProbability(0.05, e, 20)).toBeGreaterThan(0.13);
    expect(posteriorProbability(0.05, plain.evidence().get(evidenceKey('calls', 'all')), 20)).toBeLessThan(0.08);
  });

  it('the registry\'s model follows it too, also once loaded back from the store', async () => {
    const store = new MemoryStore();
    const models = new ModelRegistry();
    models.learn(answers(0.05, 20_000, 1), 10, { halfLife: 2000 });
    await models.saveWeights(store);
    const loaded = new ModelRegistry();
    await loaded.load(store);
    const steady = new ModelRegistry();
    steady.learn(answers(0.05, 20_000, 1), 10, { halfLife: 0 });
    for (const m of [models, loaded]) m.learn(answers(0.15, 1000, 2), 10, { halfLife: 2000 });
    steady.learn(answers(0.15, 1000, 2), 10, { halfLife: 0 });
    const p = (r: ModelRegistry): number => r.view().get('deposit')!.predict(x);
    expect(p(models)).toBeGreaterThan(0.11);
    expect(p(loaded)).toBeCloseTo(p(models), 6);
    expect(p(steady)).toBeLessThan(p(models) - 0.03);
  });
});
