import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../catalog/compile-catalog.js';
import type { CustomerContext, DecisionAction } from '../customer-state.js';
import { handleEvent } from '../customer-logic.js';
import { at, customer, event, message, testCatalogDef } from '../test-support/fixtures.js';
import { maskedActions, maskedPreviews } from './masked-render.js';
import { previewCampaign } from './preview.js';

/**
 * What a role that may not read personal data is shown of a text rendered for a named customer:
 * the text rendered again from the customer masked, so no value of theirs, nor one computed from
 * it, is in it, and a list of candidate values shows none matched; the decision is the real one.
 */

const T = at('2026-11-23T12:00:00+03:00');
const numbers = Array.from({ length: 83 }, (_, i) => i + 18).join(' ');

/** The test catalog with a campaign whose SMS prints everything a marketer might try. */
function probeCatalog() {
  const def = testCatalogDef();
  def.offers.push({
    id: 'probe',
    name: 'Probe',
    value: 1,
    templates: {
      sms: {
        text:
          '{{customer.fullName}}, {{customer.age}}, {{customer.attributes.tier}}, {{customer.attributes.limit | rub}}; ' +
          'b={{vars.b}} b1={{vars.b1 | number}} a={{vars.a}} c={{vars.c}} t={{vars.t | percent}} s={{vars.s}} st={{vars.st}} lim={{vars.lim | rubles}} x={{vars.x}} ' +
          `до {{expires.time}}; ${numbers}`,
      },
    },
  });
  def.campaigns.push({
    id: 'probe',
    name: 'Probe',
    status: 'active',
    offer: 'probe',
    channels: ['sms'],
    trigger: { events: ['probe'] },
    vars: {
      b: { from: 'profile.balance' },
      b1: { from: 'profile.balance', minus: 'event.data.one' },
      a: { from: 'event.data.zero', minus: 'profile.age' },
      c: { from: 'profile.city' },
      t: { from: 'profile.balance', tiers: [[-1e12, 1], [500_000, 2]] },
      s: { from: 'feature.spend_7d', roundUpTo: 1 },
      st: { from: 'stage' },
      lim: { from: 'profile.attributes.limit', minus: 'event.data.one' },
      x: { from: 'event.data.x', minus: 'event.data.one' },
    },
    groups: [{ id: 'clients', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 50 }],
    expiresIn: '1h',
    maxSmsParts: 10,
    quietHoursExempt: true,
  });
  return compileCatalog(def);
}

const catalog = probeCatalog();
const campaign = catalog.campaigns.find((c) => c.id === 'probe')!;
const probe = () => event('probe', { at: T, data: { one: 1, zero: 0, x: 43 } });

/** Ирина Петровна Соколова, 65 on the day, in Vladivostok (UTC+10), a balance, a spend, attributes. */
function irina(): CustomerContext {
  const ctx = customer({
    profile: { firstName: 'Ирина', patronymic: 'Петровна', lastName: 'Соколова', birthDate: '1961-11-23', balance: 987_654, city: 'Омск', timezone: 'Asia/Vladivostok', attributes: { tier: 'Gold', limit: 150_000 } },
  });
  const spent = handleEvent(ctx, message(event('card.transaction', { at: T - 3_600_000, data: { amount: 4321 } }), T - 3_600_000, catalog)).ctx;
  return spent;
}

/** The masked SMS: names by their first letter, every other value of the customer and each var computed from one `***`; the expiry in the catalog's zone (Moscow). */
const masked = `С*** И*** П***, ***, ***, ***; b=*** b1=*** a=*** c=*** t=*** s=*** st=*** lim=*** x=42 до 13:00; ${numbers}`;

describe('maskedPreviews', () => {
  it('renders from the customer masked: no value of theirs nor one computed from it, the list of numbers as written; the SMS length the real text\'s', () => {
    const ctx = irina();
    const real = previewCampaign(ctx, campaign, probe(), T, catalog);
    const realText = (real[0]!.content as { text: string }).text;
    expect(realText).toContain('Соколова Ирина Петровна, 65, Gold, 150\u00a0000\u00a0₽; b=987\u00a0654 b1=987\u00a0653 a=-65 c=Омск t=2\u00a0% s=4\u00a0321 st=client');
    expect(realText).toContain('lim=149\u00a0999\u00a0рублей x=42 до 20:00'); // the expiry in Vladivostok
    const shown = maskedPreviews(ctx.profile, real, campaign, probe(), T, catalog);
    expect(shown).toEqual([{ ...real[0], content: { text: masked } }]);
    expect(shown[0]!.sms).toEqual(real[0]!.sms);
  });

  it('keeps a preview without a message (its problem) as it is', () => {
    const ctx = irina();
    const e = event('probe', { at: T, data: { one: 1, zero: 0 } });
    const real = previewCampaign(ctx, campaign, e, T, catalog);
    expect(real).toEqual([{ channel: 'sms', problem: 'missing_data:x' }]);
    expect(maskedPreviews(ctx.profile, real, campaign, e, T, catalog)).toEqual(real);
  });
});

describe('maskedActions', () => {
  it('re-renders a decided action\'s message from the customer masked; the action otherwise the real one', () => {
    const ctx = irina();
    const r = handleEvent(ctx, message(probe(), T, catalog));
    const actions = (r.reply as { actions: DecisionAction[] }).actions;
    expect(actions.map((a) => a.campaign)).toEqual(['probe']);
    const shown = maskedActions(ctx.profile, actions, probe(), T, catalog);
    expect(shown).toEqual([{ ...actions[0], content: { text: masked } }]);
  });

  it('shows `***` for a message it cannot render masked (its campaign gone, or a value the event no longer has)', () => {
    const ctx = irina();
    const actions = (handleEvent(ctx, message(probe(), T, catalog)).reply as { actions: DecisionAction[] }).actions;
    expect(maskedActions(ctx.profile, actions, event('probe', { at: T, data: {} }), T, catalog)).toEqual([{ ...actions[0], content: { text: '***' } }]);
    expect(maskedActions(ctx.profile, actions, probe(), T, compileCatalog(testCatalogDef()))).toEqual([{ ...actions[0], content: { text: '***' } }]);
  });

  it('masks the names in every kind of message, the buttons as the template has them', () => {
    const ctx = customer();
    const deposit = catalog.campaigns.find((c) => c.id === 'senior-deposit')!;
    const e = event('ib.login', { at: T, channel: 'ib' });
    const shown = maskedPreviews(ctx.profile, previewCampaign(ctx, deposit, e, T, catalog), deposit, e, T, catalog).map((p) => p.content);
    expect(shown).toEqual([
      { title: 'Вклад 17\u00a0%', text: 'И*** П***, откройте вклад.', buttons: [{ id: 'accept', label: 'Открыть' }] },
      { script: 'Предложите вклад: 17\u00a0%. Клиент: С*** И*** П***.' },
      { subject: 'Вклад для вас', text: 'И*** П***, ставка 17\u00a0%.', html: '<p>И*** П***, ставка 17\u00a0%.</p>' },
    ]);
  });
});
