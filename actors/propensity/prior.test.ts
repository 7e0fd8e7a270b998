import { describe, expect, it } from 'vitest';
import { decayFactor } from './ftrl.js';
import type { GroupEvidence } from './prior.js';
import { addAnswer, evidenceWeight, posteriorProbability } from './prior.js';
import { seededRng } from './random.js';

/** `count` answers at the response rate `rate`, from a fixed seed. */
function answer(e: GroupEvidence, rate: number, count: number, decay: number, seed: number): void {
  const rng = seededRng(seed);
  for (let i = 0; i < count; i++) addAnswer(e, rng() < rate, decay);
}

describe('group evidence', () => {
  it('without decay is the plain Beta posterior over the totals', () => {
    const e: GroupEvidence = { positives: 0, negatives: 0 };
    addAnswer(e, true, 1);
    addAnswer(e, false, 1);
    addAnswer(e, false, 1);
    expect(e).toEqual({ positives: 1, negatives: 2, recentPositives: 1, recentNegatives: 2 });
    expect(posteriorProbability(0.1, e, 20)).toBeCloseTo((0.1 * 20 + 1) / 23, 12);
  });

  it('never reads decayed counts below 0 (several nodes merging their deltas can overshoot)', () => {
    const e: GroupEvidence = { positives: 10, negatives: 10, recentPositives: -3, recentNegatives: 5 };
    expect(posteriorProbability(0.2, e, 10)).toBeCloseTo((0.2 * 10) / (10 + 5), 12);
    expect(evidenceWeight(e)).toBe(5);
  });

  it('reads evidence stored before the decayed counts from its totals', () => {
    const old: GroupEvidence = { positives: 3, negatives: 7 };
    expect(posteriorProbability(0.5, old, 10)).toBeCloseTo(8 / 20, 12);
    expect(evidenceWeight(old)).toBe(10);
    addAnswer(old, true, 0.5);
    expect(old).toEqual({ positives: 4, negatives: 7, recentPositives: 2.5, recentNegatives: 3.5 });
  });

  it('weighs an answer half after the half-life', () => {
    const e: GroupEvidence = { positives: 0, negatives: 0 };
    const decay = decayFactor(100);
    addAnswer(e, true, decay);
    for (let i = 0; i < 100; i++) addAnswer(e, false, decay);
    expect(e.recentPositives).toBeCloseTo(0.5, 9);
    expect(e.positives).toBe(1);
  });

  it('follows a response rate that triples; the totals stay on last year\'s', () => {
    const decay = decayFactor(2000);
    const drifting: GroupEvidence = { positives: 0, negatives: 0 };
    const steady: GroupEvidence = { positives: 0, negatives: 0 };
    answer(drifting, 0.05, 20_000, decay, 1);
    answer(steady, 0.05, 20_000, 1, 1);
    expect(posteriorProbability(0.05, drifting, 20)).toBeCloseTo(0.05, 1);
    answer(drifting, 0.15, 6000, decay, 2);
    answer(steady, 0.15, 6000, 1, 2);
    const followed = posteriorProbability(0.05, drifting, 20);
    const stale = posteriorProbability(0.05, steady, 20);
    // 6000 answers are three half-lives: the old rate weighs 1/8 of what it did
    expect(followed).toBeGreaterThan(0.13);
    expect(followed).toBeLessThan(0.17);
    expect(stale).toBeLessThan(0.08);
    expect(evidenceWeight(drifting)).toBeLessThan(2000 / Math.LN2 + 1);
  });
});
