import { describe, expect, it } from 'vitest';
import { alift, auc, aucBin, aucBins, binnedAuc, differenceInterval, rateRatio, responderShareAt, wilson } from './metrics.js';

describe('ranking metrics, on tiny hand-made streams', () => {
  it('AUC: 1 for a perfect ranking, 0 for a reversed one, 0.5 when everything ties', () => {
    expect(auc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0])).toBe(1);
    expect(auc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])).toBe(0);
    expect(auc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0])).toBe(0.5);
    // One of the four positive-negative pairs is ordered wrongly: 3/4.
    expect(auc([0.9, 0.4, 0.5, 0.1], [1, 1, 0, 0])).toBe(0.75);
    expect(auc([0.3, 0.3], [1, 1])).toBeNaN();
  });

  it('ALIFT: the area under the cumulative gains curve', () => {
    // Perfect: half the contacts are the responders: the curve rises to 1 at x = 0.5.
    expect(alift([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0])).toBeCloseTo(0.75, 10);
    // Worst: the responders come last.
    expect(alift([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])).toBeCloseTo(0.25, 10);
    // All tied: the diagonal.
    expect(alift([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0])).toBeCloseTo(0.5, 10);
    // One responder in four, ranked second: (0, 0) -> (0.25, 0) -> (0.5, 1) -> (1, 1).
    expect(alift([0.9, 0.8, 0.2, 0.1], [0, 1, 0, 0])).toBeCloseTo(0.125 + 0.5, 10);
  });

  it('the share of responders in the better-scored half', () => {
    expect(responderShareAt([0.9, 0.8, 0.2, 0.1], [1, 0, 1, 0], 0.5)).toBe(0.5);
    expect(responderShareAt([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0], 0.5)).toBe(1);
    expect(responderShareAt([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0], 0.5)).toBe(0.5);
    expect(responderShareAt([0.9, 0.7, 0.6, 0.5, 0.3, 0.1], [0, 1, 1, 0, 0, 1], 0.5)).toBeCloseTo(2 / 3, 10);
  });
});

describe('running statistics', () => {
  it('the binned AUC equals the exact AUC when scores fall in distinct bins, and halves ties within a bin', () => {
    const scores = [0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.999];
    const labels = [0, 1, 0, 0, 1, 0, 1, 1];
    const pos = new Array<number>(aucBins).fill(0);
    const neg = new Array<number>(aucBins).fill(0);
    scores.forEach((s, i) => {
      const b = aucBin(s);
      if (labels[i] === 1) pos[b] = (pos[b] ?? 0) + 1;
      else neg[b] = (neg[b] ?? 0) + 1;
    });
    expect(new Set(scores.map(aucBin)).size).toBe(scores.length);
    expect(binnedAuc(pos, neg)).toBeCloseTo(auc(scores, labels), 12);
    // One positive and one negative in the same bin: a coin toss.
    const one = new Array<number>(aucBins).fill(0);
    one[10] = 1;
    expect(binnedAuc(one, one)).toBe(0.5);
    expect(binnedAuc(one, new Array<number>(aucBins).fill(0))).toBeNaN();
  });

  it('Wilson intervals and the Newcombe interval of a difference match the published examples', () => {
    // Newcombe (1998), Statistics in Medicine 17: 857-872, example (a): 56/70 against 48/80.
    const [lo, hi] = differenceInterval(56, 70, 48, 80);
    expect(lo).toBeCloseTo(0.0524, 3);
    expect(hi).toBeCloseTo(0.3339, 3);
    // Wilson for 81/263 (Wilson 1927 / Newcombe's single-proportion table): 0.2553 to 0.3662.
    const [wl, wh] = wilson(81, 263);
    expect(wl).toBeCloseTo(0.2553, 3);
    expect(wh).toBeCloseTo(0.3662, 3);
    expect(wilson(0, 0)).toEqual([0, 1]);
    const [zl] = wilson(0, 10);
    expect(zl).toBe(0);
  });

  it('more successes than trials (counts from different days) give an interval, never NaN', () => {
    expect(wilson(3, 1)).toEqual(wilson(1, 1));
    expect(wilson(3, 1).every(Number.isFinite)).toBe(true);
    expect(wilson(-1, 4)).toEqual(wilson(0, 4));
    expect(differenceInterval(3, 1, 5, 2)).toEqual(differenceInterval(1, 1, 2, 2));
    expect(differenceInterval(3, 1, 5, 2).every(Number.isFinite)).toBe(true);
  });

  it('the ratio of two rates, with the log-ratio interval worked by hand', () => {
    // 30/200 against 15/200: ratio 2, se of ln = √(1/30 − 1/200 + 1/15 − 1/200) = 0.3.
    const r = rateRatio(30, 200, 15, 200)!;
    expect(r.ratio).toBeCloseTo(2, 12);
    expect(r.ci95[0]).toBeCloseTo(2 * Math.exp(-1.959964 * 0.3), 10);
    expect(r.ci95[1]).toBeCloseTo(2 * Math.exp(1.959964 * 0.3), 10);
    expect(r.ci95[0]).toBeCloseTo(1.111, 3);
    // No success in an arm: no ratio.
    expect(rateRatio(0, 100, 5, 100)).toBeUndefined();
    expect(rateRatio(5, 100, 0, 100)).toBeUndefined();
  });
});
