import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../catalog/compile-catalog.js';
import type { DecisionAction } from '../customer-state.js';
import { at, testCatalogDef } from '../test-support/fixtures.js';
import type { BudgetSpent } from './campaign-budget.js';
import { budgetCharges, spentCampaigns } from './campaign-budget.js';
import { capacityCharges, capacityDay, fullChannels } from './channel-capacity.js';
import { decisionInputs } from './decision-inputs.js';

/** The test catalog with a budget on `shortfall` (2 contacts or 10 roubles, an SMS 4) and 3 call-centre contacts a day. */
function catalog() {
  const def = testCatalogDef();
  def.campaigns[0]!.budget = { maxContacts: 2, maxCost: 10, costPerChannel: { sms: 4 } };
  def.policy.channelCapacity = { callcenter: { perDay: 3 } };
  return compileCatalog(def);
}

const action = (campaign: string, channel: string): DecisionAction => ({ instance: `c:1.${campaign}`, campaign, offer: 'o', channel, content: { text: 'x' } });
const spent = (contacts: number, cost: number) => (): BudgetSpent => ({ contacts, cost });

describe('budget rules', () => {
  it('a campaign is spent when its contacts or its money reach the budget', () => {
    const c = catalog();
    expect(spentCampaigns(c, spent(1, 4))).toEqual(new Set());
    expect(spentCampaigns(c, spent(2, 0))).toEqual(new Set(['shortfall']));
    expect(spentCampaigns(c, spent(0, 10))).toEqual(new Set(['shortfall']));
  });

  it('charges a contact at its channel cost, only for budgeted campaigns', () => {
    const c = catalog();
    expect(budgetCharges([action('shortfall', 'sms'), action('welcome', 'sms'), action('shortfall', 'email')], c)).toEqual([
      { campaign: 'shortfall', contacts: 1, cost: 4, maxContacts: 2, maxCost: 10 },
      { campaign: 'shortfall', contacts: 1, cost: 0, maxContacts: 2, maxCost: 10 },
    ]);
  });
});

describe('channel capacity rules', () => {
  it('a channel is full when its contacts of the day reach its capacity', () => {
    const c = catalog();
    expect(fullChannels(c.policy, () => 2)).toEqual(new Set());
    expect(fullChannels(c.policy, (ch) => (ch === 'callcenter' ? 3 : 99))).toEqual(new Set(['callcenter']));
  });

  it('charges only actions on channels with a capacity', () => {
    expect(capacityCharges([action('senior-deposit', 'callcenter'), action('shortfall', 'sms')], catalog().policy)).toEqual([{ channel: 'callcenter', contacts: 1, perDay: 3 }]);
  });

  it('counts by the local day in the policy time zone', () => {
    const policy = catalog().policy;
    expect(capacityDay(policy, at('2026-03-02T23:30:00+03:00'))).toBe(capacityDay(policy, at('2026-03-02T00:10:00+03:00')));
    expect(capacityDay(policy, at('2026-03-03T00:10:00+03:00'))).toBe(capacityDay(policy, at('2026-03-02T00:10:00+03:00')) + 1);
  });
});

describe('decisionInputs', () => {
  it('assembles what the decision reads, reading capacity for the day of capacityAt', () => {
    const c = catalog();
    const now = at('2026-03-02T12:00:00+03:00');
    const days: number[] = [];
    const inputs = decisionInputs({
      catalog: c,
      stops: [],
      budgetSpentOf: (id) => (id === 'shortfall' ? { contacts: 2, cost: 0 } : { contacts: 0, cost: 0 }),
      capacityUsedOn: (_channel, day) => {
        days.push(day);
        return 3;
      },
      capacityAt: now,
      evidence: new Map(),
      models: new Map(),
      seed: 7,
    });
    expect(inputs.budgetSpent).toEqual(new Set(['shortfall']));
    expect(inputs.channelsFull).toEqual(new Set(['callcenter']));
    expect(days).toEqual([capacityDay(c.policy, now)]);
    expect(inputs.seed).toBe(7);
  });

  it('leaves channelsFull and seed out when there is no capacity counter and no seed', () => {
    const inputs = decisionInputs({ catalog: catalog(), stops: [], budgetSpentOf: spent(0, 0), capacityUsedOn: undefined, capacityAt: 0, evidence: new Map(), models: new Map() });
    expect(inputs).not.toHaveProperty('channelsFull');
    expect(inputs).not.toHaveProperty('seed');
    expect(inputs.budgetSpent).toEqual(new Set());
  });
});
