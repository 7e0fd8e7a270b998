import { describe, expect, it } from 'vitest';
import { alift, auc, responderShareAt } from './metrics.js';

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
