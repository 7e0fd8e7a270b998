import { describe, expect, it } from 'vitest';
import type { Learned } from '../../actors/index.js';
import { FUNNEL_KEEP_DAYS, isoDay } from './funnel-ledger.js';
import { ModelRegistry } from './model-registry.js';

/** An offer model's daily record: that day's answers, AUC and arms, the running AUC over the days asked, kept like the funnel's days. */

const offer = 'deposit';
const answer = (positive: boolean, p: number, arm: 'model' | 'random' = 'model'): Learned => ({ campaign: 'c', group: 'g', offer, positive, x: [1, 2], p, arm });

describe('a model per day', () => {
  const d1 = 20_000;
  const [day1, day2] = [isoDay(d1), isoDay(d1 + 1)];

  it("keeps each day's answers, AUC and arms; the running AUC adds the days up to each", () => {
    const m = new ModelRegistry();
    // Day 1: ranked well (AUC 1); day 2: ranked badly (AUC 0), one random-arm answer.
    m.learn([answer(true, 0.9), answer(false, 0.1), answer(false, 0.2)], 10, { day: d1 });
    m.learn([answer(true, 0.1), answer(false, 0.9), answer(true, 0.5, 'random')], 10, { day: d1 + 1 });
    m.learn([answer(true, 0.5)], 10);
    const h = m.history(offer);
    expect(h.map((d) => d.day)).toEqual([day1, day2]);
    expect(h[0]).toMatchObject({ examples: 3, positives: 1, negatives: 2, auc: 1, runningAuc: 1, arms: { model: { positives: 1, negatives: 2, rate: 1 / 3 }, random: { rate: null } }, lift: null });
    expect(h[1]).toMatchObject({ examples: 3, positives: 2, negatives: 1, auc: 0, arms: { model: { positives: 1, negatives: 1, rate: 0.5 }, random: { positives: 1, rate: 1 } }, lift: 0.5 });
    expect(h[1]!.runningAuc).toBeGreaterThan(0);
    expect(h[1]!.runningAuc).toBeLessThan(1);
    // A range: the running AUC starts at its first day.
    expect(m.history(offer, { from: day2 })).toMatchObject([{ day: day2, auc: 0, runningAuc: 0 }]);
    expect(m.history(offer, { to: day1 })).toEqual([h[0]]);
    expect(m.history('other')).toEqual([]);
    // The totals hold every answer, the day's record only those with a day.
    expect(m.summary(offer, 100)).toMatchObject({ positives: 4, negatives: 3 });
  });

  it('forgets days older than FUNNEL_KEEP_DAYS as days pass, and does not load them', () => {
    const m = new ModelRegistry();
    m.learn([answer(true, 0.9)], 10, { day: d1 });
    m.learn([answer(true, 0.9)], 10, { day: d1 + FUNNEL_KEEP_DAYS });
    expect(m.history(offer).map((d) => d.day)).toEqual([isoDay(d1 + FUNNEL_KEEP_DAYS)]);
    const n = new ModelRegistry();
    n.keepDaysUpTo(d1 + FUNNEL_KEEP_DAYS);
    n.days.load([
      { key: `model-day/${day1}\u001f${offer}`, value: { examples: 1, positives: 1 } },
      { key: `model-day/${day2}\u001f${offer}`, value: { examples: 2, positives: 2 } },
    ]);
    expect(n.history(offer).map((d) => [d.day, d.examples])).toEqual([[day2, 2]]);
  });
});
