import { describe, expect, it } from 'vitest';
import type { Learned } from '../../actors/index.js';
import { FUNNEL_KEEP_DAYS, isoDay } from './funnel-ledger.js';
import { FIGURE_EVIDENCE, ModelRegistry, RECENT_AUC_DAYS, evidenceShortfall } from './model-registry.js';

/** An offer model's daily record: that day's answers, AUC and arms, the running AUC over the days asked, kept like the funnel's days. */

const offer = 'deposit';
const answer = (positive: boolean, p: number, arm: 'model' | 'random' = 'model'): Learned => ({ campaign: 'c', group: 'g', offer, positive, x: [1, 2], p, arm });

describe('model statistics on a shared store', () => {
  it("keeps counting a campaign's arm merged from other nodes with only some of its counts (never NaN)", () => {
    const other = new ModelRegistry();
    other.learn([answer(true, 0.5, 'random')], 10);
    // the shared sums hold what that node added: the random arm's positives only
    const sums = other.stats.drainDeltas().map(({ key, delta }) => ({ key, value: delta }));
    expect(JSON.stringify(sums)).not.toContain('negatives"');
    const here = new ModelRegistry();
    here.stats.merge(sums);
    here.learn([answer(false, 0.5, 'random'), answer(false, 0.4, 'random')], 10);
    const deltas = here.stats.drainDeltas();
    for (const { delta } of deltas) for (const v of Object.values(delta)) expect(Number.isFinite(v)).toBe(true);
    expect(here.summary(offer, 1000, 0).campaigns[0]?.arms.random).toMatchObject({ positives: 1, negatives: 2 });
  });
});

describe('a model per day', () => {
  const d1 = 20_000;
  const [day1, day2] = [isoDay(d1), isoDay(d1 + 1)];

  it("keeps each day's answers, AUC and arms; the running AUC adds the days up to each", () => {
    const m = new ModelRegistry();
    // Day 1: ranked well (AUC 1); day 2: ranked badly (AUC 0), one random-arm answer.
    m.learn([answer(true, 0.9), answer(false, 0.1), answer(false, 0.2)], 10, { day: d1 });
    m.learn([answer(true, 0.1), answer(false, 0.9), answer(true, 0.5, 'random')], 10, { day: d1 + 1 });
    m.learn([answer(true, 0.5)], 10);
    // (the figures with the least evidence: the next test holds them back without it)
    const any = { examples: 1, positives: 1, negatives: 1 };
    const h = m.history(offer, {}, any);
    expect(h.map((d) => d.day)).toEqual([day1, day2]);
    expect(h[0]).toMatchObject({ examples: 3, positives: 1, negatives: 2, auc: 1, runningAuc: 1, arms: { model: { positives: 1, negatives: 2, rate: 1 / 3 }, random: { rate: null } }, lift: null, liftReason: 'random arm: needs 1 answers, has 0' });
    expect(h[1]).toMatchObject({ examples: 3, positives: 2, negatives: 1, auc: 0, arms: { model: { positives: 1, negatives: 1, rate: 0.5 }, random: { positives: 1, rate: 1 } }, lift: null, liftReason: 'random arm: needs 1 negative answers, has 0' });
    expect(h[1]!.runningAuc).toBeGreaterThan(0);
    expect(h[1]!.runningAuc).toBeLessThan(1);
    // A range: the running AUC starts at its first day.
    expect(m.history(offer, { from: day2 }, any)).toMatchObject([{ day: day2, auc: 0, runningAuc: 0 }]);
    expect(m.history(offer, { to: day1 }, any)).toEqual([h[0]]);
    expect(m.history('other', {}, any)).toEqual([]);
    // The totals hold every answer, the day's record only those with a day.
    expect(m.summary(offer, 100, d1 + 1)).toMatchObject({ positives: 4, negatives: 3 });
  });

  it("shows a day's AUC, running AUC and lift only with the evidence behind them, as the summary does", () => {
    const m = new ModelRegistry();
    // Four answers, ranked perfectly, in both arms: no evidence for any figure.
    m.learn([answer(true, 0.9), answer(false, 0.1), answer(true, 0.9, 'random'), answer(false, 0.1, 'random')], 10, { day: d1 });
    expect(m.summary(offer, 100, d1)).toMatchObject({ auc: null, aucReason: 'the model needs 200 examples, has 4', lift: null });
    expect(m.history(offer)).toMatchObject([
      { day: day1, auc: null, aucReason: 'the model needs 200 examples, has 4', runningAuc: null, runningAucReason: 'the model needs 200 examples, has 4', lift: null, liftReason: 'the model needs 200 examples, has 4' },
    ]);
    // A model with the examples (given on day 1), but day 2's answers few: the day's figures still held back, the running AUC over both days shown.
    const many = (n: number, arm: 'model' | 'random'): Learned[] => Array.from({ length: n }, (_, i) => answer(i % 4 === 0, i % 4 === 0 ? 0.8 : 0.2, arm));
    m.learn([...many(200, 'model'), ...many(200, 'random')], 10, { day: d1 });
    m.learn([answer(true, 0.9), answer(false, 0.1)], 10, { day: d1 + 1 });
    const [one, two] = m.history(offer);
    expect(one).toMatchObject({ aucReason: null, runningAucReason: null, liftReason: null });
    expect(one!.auc).toBeCloseTo(1, 10);
    expect(one!.lift).toBeCloseTo(1, 1);
    expect(two).toMatchObject({ auc: null, aucReason: 'needs 200 answers, has 2', lift: null, liftReason: 'model arm: needs 200 answers, has 2', runningAucReason: null });
    expect(two!.runningAuc).toBeCloseTo(1, 10);
    // The policy's thresholds: fewer asked, the day's AUC shown.
    expect(m.history(offer, { from: day2 }, { examples: 2, positives: 1, negatives: 1 })).toMatchObject([{ auc: 1, aucReason: null }]);
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

describe('honest figures: AUC and lift only with evidence behind them', () => {
  const today = 20_000;
  /** `n` answers of a campaign and arm, `yes` of them positive; the model ranks them well (p 0.8 for a yes, 0.2 for a no). */
  const answers = (campaign: string, arm: 'model' | 'random', n: number, yes: number): Learned[] =>
    Array.from({ length: n }, (_, i) => ({ campaign, group: 'g', offer, positive: i < yes, x: [1, 2], p: i < yes ? 0.8 : 0.2, arm }));

  it('a model with no examples shows no AUC and no lift, and says why', () => {
    const m = new ModelRegistry();
    const s = m.summary(offer, 200, today);
    expect(s).toMatchObject({ examples: 0, positives: 0, negatives: 0, auc: null, aucReason: 'the model needs 200 examples, has 0', lift: null, liftCi95: null, campaigns: [] });
    expect(s.liftReason).toMatch(/needs 200 examples/);
    expect(s.last30Days).toMatchObject({ days: RECENT_AUC_DAYS, from: isoDay(today - 29), to: isoDay(today), examples: 0, auc: null });
    // Answers without a model's features (the groups ranked alone): still no figures.
    m.learn([{ campaign: 'c', group: 'g', offer, positive: true, p: 0.9, arm: 'model' }, { campaign: 'c', group: 'g', offer, positive: false, p: 0.1, arm: 'random' }], 10, { day: today });
    expect(m.summary(offer, 200, today)).toMatchObject({ examples: 0, positives: 1, negatives: 1, auc: null, lift: null });
  });

  it('names the first threshold the evidence is short of', () => {
    expect(FIGURE_EVIDENCE).toEqual({ examples: 200, positives: 20, negatives: 20 });
    expect(evidenceShortfall({ answers: 12, positives: 1, negatives: 11 })).toBe('needs 200 answers, has 12');
    expect(evidenceShortfall({ answers: 300, positives: 5, negatives: 295 }, 'random arm')).toBe('random arm: needs 20 positive answers, has 5');
    expect(evidenceShortfall({ answers: 300, positives: 290, negatives: 10 })).toBe('needs 20 negative answers, has 10');
    expect(evidenceShortfall({ answers: 200, positives: 20, negatives: 20 })).toBeNull();
    // The policy's thresholds (figureAnswers, figureOutcomes) instead of the defaults.
    expect(evidenceShortfall({ answers: 12, positives: 2, negatives: 10 }, '', { examples: 10, positives: 2, negatives: 2 })).toBeNull();
    expect(evidenceShortfall({ answers: 12, positives: 2, negatives: 10 }, 'model arm', { examples: 10, positives: 3, negatives: 3 })).toBe('model arm: needs 3 positive answers, has 2');
  });

  it('shows the AUC once the model has 200 examples with 20 of each answer, and the lift per campaign once both arms have theirs', () => {
    const m = new ModelRegistry();
    // Too few negatives: 200 examples, 190 of them yes.
    m.learn(answers('a', 'model', 200, 190), 10, { day: today - 40 });
    let s = m.summary(offer, 200, today);
    expect(s).toMatchObject({ examples: 200, auc: null, aucReason: 'needs 20 negative answers, has 10' });
    // A policy asking for less shows it.
    expect(m.summary(offer, 200, today, { examples: 100, positives: 5, negatives: 5 })).toMatchObject({ auc: 1, aucReason: null });
    // Now enough of each: AUC 1 (ranked perfectly); the random arm has none, so no lift.
    m.learn(answers('a', 'model', 100, 0), 10, { day: today - 40 });
    s = m.summary(offer, 200, today);
    expect(s.auc).toBe(1);
    expect(s.aucReason).toBeNull();
    expect(s).toMatchObject({ lift: null, liftReason: 'random arm: needs 200 answers, has 0' });
    // Those were 40 days ago: nothing in the last 30 days.
    expect(s.last30Days).toMatchObject({ examples: 0, auc: null, reason: 'needs 200 answers, has 0' });

    // Campaign a: model arm 60 of 300 (0.2), random 20 of 200 (0.1): lift 2. Campaign b: a random arm too small.
    m.learn([...answers('a', 'model', 300, 60), ...answers('a', 'random', 200, 20), ...answers('b', 'model', 250, 50), ...answers('b', 'random', 50, 5)], 10, { day: today - 3 });
    s = m.summary(offer, 200, today);
    expect(s.campaigns.map((c) => c.campaign)).toEqual(['a', 'b']);
    const [a, b] = s.campaigns;
    expect(a).toMatchObject({ arms: { model: { positives: 250, negatives: 350, rate: 250 / 600 }, random: { positives: 20, negatives: 180, rate: 0.1 } }, reason: null });
    expect(a!.lift).toBeCloseTo(250 / 600 / 0.1, 10);
    expect(a!.ci95![0]).toBeLessThan(a!.lift!);
    expect(a!.ci95![1]).toBeGreaterThan(a!.lift!);
    expect(b).toMatchObject({ lift: null, ci95: null, reason: 'random arm: needs 200 answers, has 50' });
    // The offer's lift: both campaigns' arms (random: 25 of 250).
    expect(s.lift).toBeCloseTo(s.arms.model.rate! / 0.1, 10);
    expect(s.liftCi95).toHaveLength(2);
    expect(s.liftReason).toBeNull();
    // The last 30 days: the 800 answers of 3 days ago, AUC 1.
    expect(s.last30Days).toMatchObject({ examples: 800, positives: 135, negatives: 665, auc: 1, reason: null });
    // 30 days on, they fall out of the period; the running AUC stays.
    expect(m.summary(offer, 200, today + 27)).toMatchObject({ auc: 1, last30Days: { examples: 0, auc: null } });
  });
});
