import { describe, expect, it } from 'vitest';
import type { CampaignDef, CatalogDef, OfferDef } from './catalog/definition-schema.js';
import { compileCatalog } from './catalog/compile-catalog.js';
import { BrainError } from './brain-error.js';
import type { CustomerContext } from './customer-state.js';
import type { HandleResult } from './customer-logic.js';
import { handleEvent, handleResponse } from './customer-logic.js';
import { FtrlModel } from './propensity/ftrl.js';
import type { OfferModelView } from './propensity/ftrl.js';
import { at, customer, event, message, testCatalogDef } from './test-support/fixtures.js';

/**
 * Arbitration: stage filters, the per-campaign floor, context weights and levers, the
 * adaptive models blended by evidence, Thompson sampling, the random arm, outcome-driven
 * suppression and "maybe later"; and campaign goals for the uplift report.
 */

const cardOffer: OfferDef = {
  id: 'card',
  name: 'Card',
  value: 1000,
  group: 'cards',
  templates: { ib: { title: 'Карта', text: '{{customer.name}}, оформите карту.', buttons: [{ id: 'accept', label: 'Оформить' }] } },
};

const cardCampaign: CampaignDef = {
  id: 'senior-card',
  name: 'Senior card',
  status: 'active',
  offer: 'card',
  channels: ['ib'],
  trigger: { events: ['ib.login'] },
  groups: [{ id: 'sixty', when: { attr: 'segment.seniors', op: 'eq', value: true }, responsePercent: 10 }],
  expiresIn: '1d',
};

/** The test catalog with a second offer competing with the deposit for the internet bank's slot. */
function competing(change: (def: CatalogDef) => void = () => undefined): ReturnType<typeof compileCatalog> {
  const def = testCatalogDef();
  def.offers.push(structuredClone(cardOffer));
  def.campaigns.push(structuredClone(cardCampaign));
  def.policy.learning = { exploration: 'none', randomPercent: 0 };
  change(def);
  return compileCatalog(def);
}

const campaignOf = (def: CatalogDef, id: string): CampaignDef => def.campaigns.find((c) => c.id === id)!;
const offerOf = (def: CatalogDef, id: string): OfferDef => def.offers.find((o) => o.id === id)!;
const actionsOf = (r: HandleResult) => (r.reply.kind === 'decision' ? r.reply.actions : []);
const T0 = at('2026-03-02T10:00:00+03:00');
const DAY = 86_400_000;
const login = (t = T0) => event('ib.login', { at: t, channel: 'ib' });

function decideWith(catalog: ReturnType<typeof compileCatalog>, ctx: CustomerContext = customer(), extra: Partial<ReturnType<typeof message>> = {}, t = T0): HandleResult {
  return handleEvent(ctx, { ...message(login(t), t, catalog), ...extra });
}

describe('stage filters and floors', () => {
  it('checks eligibility, applicability and suitability, at campaign and offer level, and names the one that failed', () => {
    const notEligible = competing((d) => (offerOf(d, 'deposit').eligibility = { attr: 'profile.age', op: 'lt', value: 60 }));
    expect(decideWith(notEligible).trace.explain).toContainEqual(expect.objectContaining({ campaign: 'senior-deposit', reason: 'not_eligible:offer' }));
    const notApplicable = competing((d) => (campaignOf(d, 'senior-card').applicability = { attr: 'profile.balance', op: 'gte', value: 1 }));
    expect(decideWith(notApplicable).trace.explain).toContainEqual(expect.objectContaining({ campaign: 'senior-card', reason: 'not_applicable:campaign' }));
    const notSuitable = competing((d) => (offerOf(d, 'card').suitability = { attr: 'profile.creditDefault', op: 'ne', value: true }));
    const ctx = customer({ profile: { firstName: 'Ирина', patronymic: 'Петровна', age: 62, creditDefault: true } });
    const r = decideWith(notSuitable, ctx);
    expect(r.trace.explain).toContainEqual(expect.objectContaining({ campaign: 'senior-card', reason: 'not_suitable:offer' }));
    // The filtered-out offer leaves the slot to the other one.
    expect(actionsOf(r)).toEqual([expect.objectContaining({ campaign: 'senior-deposit', channel: 'ib' })]);
  });

  it('stays silent under the campaign own floor', () => {
    const floor = competing((d) => (campaignOf(d, 'senior-card').minResponsePercent = 15));
    const r = decideWith(floor);
    expect(r.trace.explain).toContainEqual(expect.objectContaining({ campaign: 'senior-card', reason: 'below_propensity_floor', probability: 0.1 }));
  });

  it('refuses invalid arbitration settings, naming the field', () => {
    const bad = (change: (d: CatalogDef) => void, field: string): void => {
      const def = testCatalogDef();
      change(def);
      expect(() => compileCatalog(def)).toThrow(BrainError);
      expect(() => compileCatalog(def)).toThrow(field);
    };
    bad((d) => (campaignOf(d, 'senior-deposit').contextWeights = { sms: 2 }), 'campaigns[1].contextWeights.sms');
    bad((d) => (campaignOf(d, 'senior-deposit').suppression = { declines: 0, withinDays: 1, pauseDays: 1 }), 'campaigns[1].suppression.declines');
    bad((d) => (d.policy.learning = { exploration: 'greedy' as 'none' }), 'policy.learning.exploration');
    bad((d) => (campaignOf(d, 'senior-deposit').goal = { events: [], withinDays: 30 }), 'campaigns[1].goal.events');
    bad((d) => (offerOf(d, 'deposit').eligibility = { attr: 'segment.nobody', op: 'eq', value: true }), 'offers[1].eligibility');
  });
});

describe('ranking: propensity x context weight x value x levers', () => {
  it('ranks equal offers by context weight, then by the offer lever', () => {
    expect(actionsOf(decideWith(competing()))[0]).toMatchObject({ campaign: 'senior-card' }); // the id breaks the tie
    const weighted = competing((d) => (campaignOf(d, 'senior-deposit').contextWeights = { ib: 1.5 }));
    const r = decideWith(weighted);
    expect(actionsOf(r)[0]).toMatchObject({ campaign: 'senior-deposit', channel: 'ib' });
    expect(r.trace.explain).toContainEqual(expect.objectContaining({ campaign: 'senior-card', reason: 'outranked:ib' }));
    const levered = competing((d) => {
      campaignOf(d, 'senior-deposit').contextWeights = { ib: 1.5 };
      offerOf(d, 'card').lever = 2;
    });
    expect(actionsOf(decideWith(levered))[0]).toMatchObject({ campaign: 'senior-card' });
  });

  it('blends the offer model with the group probability by the model evidence', () => {
    const catalog = competing((d) => (d.policy.learning = { exploration: 'none', randomPercent: 0, modelEvidence: 100 }));
    const confident: OfferModelView = { examples: 300, predict: () => 0.5 };
    const r = decideWith(catalog, customer(), { models: new Map([['deposit', confident]]) });
    const e = r.trace.explain.find((x) => x.campaign === 'senior-deposit');
    // weight 300 / (300 + 100) = 0.75: 0.25 x 0.10 + 0.75 x 0.5
    expect(e).toMatchObject({ verdict: 'offered', model: { probability: 0.5, weight: 0.75 } });
    expect(e?.probability).toBeCloseTo(0.4, 10);
    expect(actionsOf(r)[0]).toMatchObject({ campaign: 'senior-deposit' });
    // A model with no examples is not used; and models can be switched off.
    const empty = decideWith(catalog, customer(), { models: new Map([['deposit', new FtrlModel({ bits: 10, alpha: 0.1, beta: 1, l1: 0, l2: 1 })]]) });
    expect(empty.trace.explain.find((x) => x.campaign === 'senior-deposit')?.model).toBeUndefined();
    const off = competing((d) => (d.policy.learning = { models: false, exploration: 'none', randomPercent: 0 }));
    const offR = decideWith(off, customer(), { models: new Map([['deposit', confident]]) });
    expect(offR.trace.explain.find((x) => x.campaign === 'senior-deposit')?.probability).toBe(0.1);
    expect(offR.ctx.pending[0]?.x).toBeUndefined();
  });

  it('a real model trained on acceptances moves the probability up for customers like them', () => {
    const catalog = competing((d) => (d.policy.learning = { exploration: 'none', randomPercent: 0, modelEvidence: 50 }));
    const model = new FtrlModel({ bits: 14, alpha: 0.1, beta: 1, l1: 0, l2: 1 });
    const first = decideWith(catalog);
    const x = first.ctx.pending.find((p) => p.offer === 'deposit')?.x ?? first.ctx.pending[0]!.x!;
    for (let i = 0; i < 200; i++) model.update(x, 1);
    const r = decideWith(catalog, customer(), { models: new Map([['deposit', model]]) });
    const e = r.trace.explain.find((x) => x.campaign === 'senior-deposit');
    expect(e?.model?.probability).toBeGreaterThan(0.9);
    expect(e?.probability).toBeGreaterThan(0.5);
  });

  it('explores by Thompson sampling: close offers take turns, a far better one keeps winning', () => {
    const close = competing((d) => (d.policy.learning = { exploration: 'thompson', randomPercent: 0 }));
    const winners = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) winners.add(actionsOf(decideWith(close, customer(), { seed }))[0]!.campaign);
    expect(winners).toEqual(new Set(['senior-deposit', 'senior-card']));
    // The same seed gives the same decision.
    const e = login();
    const once = (): HandleResult => handleEvent(customer(), { ...message(e, T0, close), seed: 7 });
    expect(actionsOf(once())).toEqual(actionsOf(once()));
    // Lots of evidence that the card is answered far more often: it wins every draw.
    const evidence = new Map([['senior-card/sixty', { positives: 600, negatives: 400 }], ['senior-deposit/sixty', { positives: 10, negatives: 990 }]]);
    for (let seed = 1; seed <= 40; seed++) expect(actionsOf(decideWith(close, customer(), { seed, evidence }))[0]!.campaign).toBe('senior-card');
  });

  it('ranks at random in the random arm, and says so in the offer instance and what it teaches', () => {
    const random = competing((d) => (d.policy.learning = { exploration: 'none', randomPercent: 100 }));
    const winners = new Set<string>();
    let last: HandleResult | undefined;
    for (let seed = 1; seed <= 30; seed++) {
      last = decideWith(random, customer(), { seed });
      winners.add(actionsOf(last)[0]!.campaign);
    }
    expect(winners.size).toBe(2);
    expect(last!.trace.explain.find((e) => e.verdict === 'offered')).toMatchObject({ arm: 'random' });
    const pending = last!.ctx.pending[0]!;
    expect(pending.arm).toBe('random');
    const answered = handleResponse(last!.ctx, { type: 'gateway.response', response: { id: 'r-1', instance: pending.instance, outcome: 'declined' }, now: T0, catalog: random });
    expect(answered.trace.learned).toEqual([expect.objectContaining({ arm: 'random', positive: false })]);
  });
});

describe('channel capacity', () => {
  it('leaves out a channel that is full for the day, naming it', () => {
    const catalog = competing();
    const r = decideWith(catalog, customer(), { channelsFull: new Set(['ib']) });
    // Nothing goes to the internet bank; the deposit falls back to its next channel, e-mail.
    expect(r.ctx.pending.map((p) => p.channel)).toEqual(['email']);
    expect(r.trace.explain).toContainEqual(expect.objectContaining({ campaign: 'senior-card', reason: 'no_channel:ib=capacity' }));
  });
});

describe('outcome-driven suppression', () => {
  /** Offers the deposit and declines it, `times` times, a day apart (policy recency off so each day it can come again). */
  function declineRepeatedly(catalog: ReturnType<typeof compileCatalog>, times: number, outcome = 'declined'): CustomerContext {
    let ctx = customer();
    for (let i = 0; i < times; i++) {
      const t = T0 + i * 2 * DAY;
      const r = decideWith(catalog, ctx, {}, t);
      const p = r.ctx.pending.find((x) => x.offer === 'deposit');
      expect(p, `offer ${i + 1}`).toBeDefined();
      ctx = handleResponse(r.ctx, { type: 'gateway.response', response: { id: `r-${i}-${outcome}`, instance: p!.instance, outcome, at: t + 1000 }, now: t + 1000, catalog }).ctx;
    }
    return ctx;
  }
  const noRecency = (d: CatalogDef): void => {
    d.policy.recency = { sameOfferDays: 0, sameCampaignDays: 0, afterDeclineDays: 0 };
    d.campaigns = d.campaigns.filter((c) => c.id !== 'senior-card');
    campaignOf(d, 'senior-deposit').suppression = { declines: 3, withinDays: 30, pauseDays: 60 };
  };

  it('pauses an offer after N declines within W days, for D days', () => {
    const catalog = competing(noRecency);
    const ctx = declineRepeatedly(catalog, 3);
    const later = T0 + 6 * DAY;
    const r = decideWith(catalog, ctx, {}, later);
    expect(actionsOf(r)).toEqual([]);
    expect(r.trace.explain).toContainEqual(expect.objectContaining({ campaign: 'senior-deposit', reason: 'declined_repeatedly:3_in_30d' }));
    // Two declines are not enough.
    expect(actionsOf(decideWith(catalog, declineRepeatedly(catalog, 2), {}, T0 + 4 * DAY))).toHaveLength(1);
    // The pause ends D days after the last decline.
    expect(actionsOf(decideWith(catalog, ctx, {}, T0 + 4 * DAY + 61 * DAY))).toHaveLength(1);
  });

  it('with group scope, pauses every offer of the product family', () => {
    const catalog = competing((d) => {
      noRecency(d);
      campaignOf(d, 'senior-deposit').suppression = { declines: 2, withinDays: 30, pauseDays: 60, scope: 'group' };
      offerOf(d, 'deposit').group = 'savings';
      d.offers.push({ ...structuredClone(offerOf(d, 'deposit')), id: 'deposit-plus', group: 'savings' });
      d.campaigns.push({ ...structuredClone(campaignOf(d, 'senior-deposit')), id: 'senior-deposit-plus', offer: 'deposit-plus', channels: ['email'] });
    });
    let ctx = customer();
    for (let i = 0; i < 2; i++) {
      const t = T0 + i * 2 * DAY;
      const r = decideWith(catalog, ctx, {}, t);
      const p = r.ctx.pending.find((x) => x.offer === 'deposit')!;
      ctx = handleResponse({ ...r.ctx, pending: r.ctx.pending.filter((x) => x.offer === 'deposit') }, { type: 'gateway.response', response: { id: `r-${i}`, instance: p.instance, outcome: 'declined', at: t + 1 }, now: t + 1, catalog }).ctx;
    }
    const r = decideWith(catalog, ctx, {}, T0 + 5 * DAY);
    expect(r.trace.explain).toContainEqual(expect.objectContaining({ campaign: 'senior-deposit-plus', reason: 'declined_repeatedly:2_in_30d:group_savings' }));
  });

  it('"maybe later" closes the offer, teaches nothing, and lowers its weight for a while', () => {
    const catalog = competing((d) => {
      d.policy.recency = { sameOfferDays: 0, sameCampaignDays: 0, afterDeclineDays: 0 };
      campaignOf(d, 'senior-deposit').contextWeights = { ib: 1.5 };
      d.policy.maybeLater = { weight: 0.5, days: 7 };
    });
    const first = decideWith(catalog);
    const p = first.ctx.pending[0]!;
    expect(p.offer).toBe('deposit');
    const later = handleResponse(first.ctx, { type: 'gateway.response', response: { id: 'r-later', instance: p.instance, outcome: 'later', at: T0 + 1 }, now: T0 + 1, catalog });
    expect(later.trace.learned).toEqual([]);
    expect(later.ctx.pending).toEqual([]);
    // 1.5 x 0.5 < 1: the card wins the slot for a week; then the deposit is back.
    const next = { ...later.ctx, contacts: [] };
    expect(actionsOf(decideWith(catalog, next, {}, T0 + 2 * DAY))[0]).toMatchObject({ campaign: 'senior-card' });
    expect(actionsOf(decideWith(catalog, next, {}, T0 + 8 * DAY))[0]).toMatchObject({ campaign: 'senior-deposit' });
  });
});

describe('campaign goals', () => {
  const goalCatalog = (controlPercent: number) =>
    competing((d) => {
      d.campaigns = d.campaigns.filter((c) => c.id !== 'senior-card');
      campaignOf(d, 'senior-deposit').controlPercent = controlPercent;
      campaignOf(d, 'senior-deposit').goal = { events: ['product.opened'], when: { attr: 'event.data.product', op: 'eq', value: 'deposit' }, withinDays: 30 };
    });
  const opened = (t: number, product = 'deposit') => event('product.opened', { at: t, data: { product } });

  it('credits the goal to the latest contact within the window, once, for treated and control alike', () => {
    for (const [percent, control] of [[0, false], [100, true]] as const) {
      const catalog = goalCatalog(percent);
      const offered = decideWith(catalog);
      expect(offered.trace.explain[0]?.verdict).toBe(control ? 'control' : 'offered');
      const wrong = handleEvent(offered.ctx, message(opened(T0 + DAY, 'card'), T0 + DAY, catalog));
      expect(wrong.trace.conversions).toEqual([]);
      const reached = handleEvent(wrong.ctx, message(opened(T0 + 2 * DAY), T0 + 2 * DAY, catalog));
      expect(reached.trace.conversions).toEqual([expect.objectContaining({ campaign: 'senior-deposit', control })]);
      expect(reached.ctx.contacts.find((k) => k.campaign === 'senior-deposit')?.converted).toBe(T0 + 2 * DAY);
      const again = handleEvent(reached.ctx, message(opened(T0 + 3 * DAY), T0 + 3 * DAY, catalog));
      expect(again.trace.conversions).toEqual([]);
      const tooLate = handleEvent(offered.ctx, message(opened(T0 + 31 * DAY), T0 + 31 * DAY, catalog));
      expect(tooLate.trace.conversions).toEqual([]);
    }
  });
});
