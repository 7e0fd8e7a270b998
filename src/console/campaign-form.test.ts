import { describe, expect, it } from 'vitest';
import type { components } from '../../console/src/api/schema.js';
import { conditionsOf, emptyForm, formOf, parseScalar, ruleOfConditions, toCampaign } from '../../console/src/campaign-form.js';

/**
 * The campaign editor's form and a campaign's definition (console/src/campaign-form.ts): rules
 * as condition rows and back, the form laid over the definition it was read from, every field
 * it does not model kept.
 */

type Campaign = components['schemas']['Campaign'];

const atmShortfall: Campaign = {
  id: 'atm-shortfall',
  name: 'Не хватило в банкомате',
  status: 'active',
  priority: 2,
  offer: 'atm-microcredit',
  channels: ['sms'],
  trigger: { events: ['atm.withdrawal.declined'], when: { attr: 'vars.shortfall', op: 'between', value: [1, 30000] }, weekdays: [1, 2, 3] },
  vars: { shortfall: { from: 'event.data.requested', minus: 'event.data.balance', roundUpTo: 100, tiers: [[1000, 1]] } },
  groups: [
    { id: 'good', name: 'Клиенты без просрочек', when: { all: [{ attr: 'stage', op: 'eq', value: 'client' }, { attr: 'profile.creditDefault', op: 'ne', value: true }] }, responsePercent: 30 },
    { id: 'odd', when: { any: [{ attr: 'profile.age', op: 'gte', value: 60 }, { attr: 'segment.vip', op: 'eq', value: true }] }, responsePercent: 5 },
  ],
  expiresIn: '1h',
  maxSmsParts: 3,
  quietHoursExempt: true,
  recency: { sameOfferDays: 0, sameCampaignDays: 0, afterDeclineDays: 1 },
  budget: { maxContacts: 100, costPerChannel: { sms: 2.5 } },
  startsAt: '2026-01-01T00:00:00+03:00',
};

describe('rules as conditions', () => {
  it('reads a leaf and an `all` of leaves as rows; anything else is not theirs', () => {
    expect(conditionsOf({ attr: 'profile.age', op: 'gte', value: 60 })).toEqual([{ attr: 'profile.age', op: 'gte', value: '60', value2: '' }]);
    expect(conditionsOf({ attr: 'profile.age', op: 'between', value: [55, 60] })).toEqual([{ attr: 'profile.age', op: 'between', value: '55', value2: '60' }]);
    expect(conditionsOf({ all: [{ attr: 'stage', op: 'in', value: ['client', 'prospect'] }, { attr: 'profile.city', op: 'exists' }] })).toEqual([
      { attr: 'stage', op: 'in', value: 'client, prospect', value2: '' },
      { attr: 'profile.city', op: 'exists', value: '', value2: '' },
    ]);
    expect(conditionsOf({ any: [{ attr: 'profile.age', op: 'gte', value: 60 }] })).toBeUndefined();
    expect(conditionsOf({ not: { attr: 'profile.age', op: 'gte', value: 60 } })).toBeUndefined();
    expect(conditionsOf({ attr: 'event.data.requested', op: 'gt', value: { ref: 'event.data.balance' } })).toBeUndefined();
    // text that reads as a number would come back a number: not the simple editor's
    expect(conditionsOf({ attr: 'event.data.mcc', op: 'eq', value: '5812' })).toBeUndefined();
  });

  it('writes rows back as the rule they came from, values typed', () => {
    for (const rule of [
      { attr: 'profile.age', op: 'gte', value: 60 },
      { attr: 'profile.age', op: 'between', value: [55, 60] },
      { all: [{ attr: 'stage', op: 'eq', value: 'client' }, { attr: 'profile.creditDefault', op: 'ne', value: true }] },
      { attr: 'segment.clients_60_plus', op: 'eq', value: true },
      { attr: 'profile.city', op: 'missing' },
      { attr: 'stage', op: 'notIn', value: ['visitor', 'formerClient'] },
    ])
      expect(ruleOfConditions(conditionsOf(rule)!)).toEqual(rule);
    expect([parseScalar(' 12.5 '), parseScalar('false'), parseScalar('Москва')]).toEqual([12.5, false, 'Москва']);
  });
});

describe('the form over a definition', () => {
  it('saves a definition read and not changed as it was, every field it does not model kept', () => {
    const { id: _id, ...withoutId } = atmShortfall;
    expect(toCampaign(formOf(atmShortfall), atmShortfall)).toEqual(withoutId);
  });

  it('lays what the form changes over the definition: groups, trigger, levers, seeds; a field emptied is removed', () => {
    const form = formOf(atmShortfall);
    form.description = 'Кредит на недостающую сумму';
    form.groups[0]!.conditions[0]!.value = 'prospect';
    form.groups[0]!.responsePercent = '25';
    form.events = 'atm.withdrawal.declined, atm.balance';
    form.timeFrom = '09:00';
    form.timeTo = '21:00';
    form.priority = '';
    form.maxContacts = '';
    form.controlPercent = '10';
    form.seeds = [{ key: 1, channel: 'sms', to: ' +79160000001 ' }];
    const c = toCampaign(form, atmShortfall);
    expect(c.description).toBe('Кредит на недостающую сумму');
    expect(c.groups[0]).toEqual({ id: 'good', name: 'Клиенты без просрочек', when: { all: [{ attr: 'stage', op: 'eq', value: 'prospect' }, { attr: 'profile.creditDefault', op: 'ne', value: true }] }, responsePercent: 25 });
    expect(c.groups[1]).toEqual(atmShortfall.groups[1]);
    // the trigger's rule and weekdays kept; the window where a trigger keeps it
    expect(c.trigger).toEqual({ ...atmShortfall.trigger, events: ['atm.withdrawal.declined', 'atm.balance'], localTime: { from: '09:00', to: '21:00' } });
    expect(c.activeHours).toBeUndefined();
    expect('priority' in c).toBe(false);
    // the budget's cost per channel is not the form's: kept when the limit goes
    expect(c.budget).toEqual({ costPerChannel: { sms: 2.5 } });
    expect(c.controlPercent).toBe(10);
    expect(c.seeds).toEqual([{ channel: 'sms', to: '+79160000001' }]);
    expect(c.vars).toEqual(atmShortfall.vars);
    expect(c.startsAt).toBe(atmShortfall.startsAt);
  });

  it('makes a new campaign a draft, its time window in activeHours when it has no trigger', () => {
    const form = emptyForm();
    form.name = 'Вклад';
    form.offer = 'pension-deposit';
    form.channels = ['sms'];
    form.groups[0]!.name = 'Клиенты 60+';
    form.groups[0]!.conditions[0]!.value = '60';
    form.groups[0]!.responsePercent = '10';
    form.timeFrom = '10:00';
    form.timeTo = '20:00';
    const c = toCampaign(form, undefined);
    expect(c).toEqual({
      status: 'draft',
      name: 'Вклад',
      offer: 'pension-deposit',
      channels: ['sms'],
      groups: [{ id: 'group-1', name: 'Клиенты 60+', when: { attr: 'profile.age', op: 'gte', value: 60 }, responsePercent: 10 }],
      activeHours: { from: '10:00', to: '20:00' },
    });
  });

  it('keeps a rule the simple editor cannot show as its JSON, and what does not parse as text for the API to refuse by name', () => {
    const form = formOf(atmShortfall);
    expect(form.groups[1]!.ruleJson).toBe(JSON.stringify(atmShortfall.groups[1]!.when));
    form.groups[1]!.ruleJson = '{"attr": "profile.age", "op": "gte"';
    expect(toCampaign(form, atmShortfall).groups[1]!.when).toBe('{"attr": "profile.age", "op": "gte"');
  });
});
