import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../catalog/compile-catalog.js';
import type { CatalogDef, LearningDef } from '../catalog/definition-schema.js';
import type { ContactRecord, CustomerContext } from '../customer-state.js';
import type { HandleResult } from '../customer-logic.js';
import { handleEvent } from '../customer-logic.js';
import type { GatewayEvent } from '../gateway-event.js';
import { at, customer, event, message, testCatalogDef } from '../test-support/fixtures.js';

/**
 * Exploration below the propensity floor: the random arm reaches customers the models score
 * under the floor, within every contact rule; in the model arm they stay silent.
 */

const T0 = at('2026-03-02T10:00:00+03:00');
const HOUR = 3_600_000;

/** The test catalog with these learning settings (no Thompson draw, so only the arm varies). */
function catalogWith(learning: LearningDef, change: (d: CatalogDef) => void = () => undefined) {
  const def = testCatalogDef();
  def.policy.learning = { exploration: 'none', ...learning };
  change(def);
  return compileCatalog(def);
}

/** 52: the senior deposit's "fifties" group, 0.5 %, under the policy's 1 % floor. */
const fifty = (): CustomerContext => customer({ profile: { firstName: 'Олег', patronymic: 'Иванович', lastName: 'Петров', age: 52 } });
const login = (t = T0): GatewayEvent => event('ib.login', { at: t, channel: 'ib' });

function decide(catalog: ReturnType<typeof compileCatalog>, ctx: CustomerContext, e: GatewayEvent, extra: Partial<ReturnType<typeof message>> = {}): HandleResult {
  return handleEvent(ctx, { ...message(e, e.at ?? T0, catalog), ...extra });
}

const verdictOf = (r: HandleResult, campaign: string) => r.trace.explain.find((x) => x.campaign === campaign);

describe('exploration below the floor', () => {
  it('the random arm offers to a customer under the floor, and records what the model scored', () => {
    const r = decide(catalogWith({ randomPercent: 100 }), fifty(), login(), { seed: 1 });
    expect(verdictOf(r, 'senior-deposit')).toMatchObject({ verdict: 'offered', arm: 'random', group: 'fifties', probability: 0.005 });
    expect(r.ctx.pending[0]).toMatchObject({ campaign: 'senior-deposit', arm: 'random', p: 0.005 });
    expect(r.ctx.pending[0]!.x?.length).toBeGreaterThan(10);
  });

  it('everyone else under the floor stays silent: the model arm, or with belowFloor off', () => {
    for (const learning of [{ randomPercent: 0 }, { randomPercent: 100, belowFloor: false }]) {
      const r = decide(catalogWith(learning), fifty(), login(), { seed: 1 });
      expect(verdictOf(r, 'senior-deposit')).toMatchObject({ verdict: 'suppressed', reason: 'below_propensity_floor', probability: 0.005 });
      expect(r.reply).toMatchObject({ actions: [] });
    }
  });

  it('reaches them in the random arm\'s share of decisions only', () => {
    const catalog = catalogWith({ randomPercent: 20 });
    let offered = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const v = verdictOf(decide(catalog, fifty(), login(), { seed }), 'senior-deposit')!;
      if (v.verdict === 'offered') {
        offered++;
        expect(v.arm).toBe('random');
      } else {
        expect(v.reason).toBe('below_propensity_floor');
      }
    }
    expect(offered).toBeGreaterThan(30);
    expect(offered).toBeLessThan(90);
  });

  it('a group whose probability is 0 is never reached', () => {
    const catalog = catalogWith({ randomPercent: 100 }, (d) => (d.campaigns[1]!.groups[2]!.responsePercent = 0));
    expect(verdictOf(decide(catalog, fifty(), login(), { seed: 1 }), 'senior-deposit')).toMatchObject({ reason: 'below_propensity_floor', probability: 0 });
  });
});

describe('exploration keeps every contact rule', () => {
  const explore = catalogWith({ randomPercent: 100 });
  const contact = (campaign: string, channel: string, when: number): ContactRecord => ({
    instance: `i-${campaign}-${when}`, campaign, offer: 'x', channel, at: when, marketing: true, delivery: 'shown',
  });

  it('the stop list', () => {
    expect(verdictOf(decide(explore, fifty(), login(), { seed: 1, stops: [{}] }), 'senior-deposit')).toMatchObject({ verdict: 'suppressed', reason: 'stop_list' });
    const r = decide(explore, fifty(), login(), { seed: 1, stops: [{ campaign: 'senior-deposit' }] });
    expect(verdictOf(r, 'senior-deposit')).toMatchObject({ verdict: 'suppressed' });
    expect(verdictOf(r, 'senior-deposit')!.reason).toMatch(/^no_channel:ib=stop_list/);
  });

  it('recency', () => {
    const ctx = { ...fifty(), contacts: [contact('senior-deposit', 'email', T0 - HOUR)] };
    expect(verdictOf(decide(explore, ctx, login(), { seed: 1 }), 'senior-deposit')!.reason).toMatch(/^recency/);
  });

  it('caps', () => {
    const ctx = { ...fifty(), contacts: [contact('other', 'ib', T0 - HOUR), contact('other2', 'callcenter', T0 - 2 * HOUR), contact('other3', 'email', T0 - 3 * HOUR)] };
    expect(verdictOf(decide(explore, ctx, login(), { seed: 1 }), 'senior-deposit')!.reason).toMatch(/^cap:/);
  });

  /** The shortfall campaign (SMS) with its floor over its 30 % group, and quiet hours in force. */
  const shortfall = catalogWith({ randomPercent: 100 }, (d) => {
    const c = d.campaigns.find((x) => x.id === 'shortfall')!;
    c.minResponsePercent = 50;
    c.quietHoursExempt = false;
  });
  const declined = (t: number): GatewayEvent => event('atm.withdrawal.declined', { at: t, channel: 'atm', data: { requested: 5000, balance: 800 } });

  it('consent', () => {
    const r = decide(shortfall, customer({ consents: {} }), declined(T0), { seed: 1 });
    expect(verdictOf(r, 'shortfall')).toMatchObject({ verdict: 'suppressed', reason: 'no_channel:sms=no_consent' });
  });

  it('quiet hours', () => {
    const night = at('2026-03-02T23:30:00+03:00');
    const r = decide(shortfall, customer(), declined(night), { seed: 1 });
    expect(verdictOf(r, 'shortfall')!.reason).toMatch(/^(deferred|expired):sms=quiet_hours/);
    // and by day, the same customer under the floor is reached
    expect(verdictOf(decide(shortfall, customer(), declined(T0), { seed: 1 }), 'shortfall')).toMatchObject({ verdict: 'offered', arm: 'random', probability: 0.3 });
  });
});
