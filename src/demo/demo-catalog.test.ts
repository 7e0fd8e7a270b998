import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CustomerContext, CustomerInput, GatewayEvent, HandleResult } from '../../actors/index.js';
import { compileCatalog, handleEvent, ingestEvent, initialCustomerContext, localTime } from '../../actors/index.js';
import { loadCatalogFile } from '../catalog/catalog-file.js';
import { demoCatalogPath } from '../paths.js';
import { msk } from '../test-support/test-kairos.js';

/**
 * The demo catalog's segments, features and scores, decided without a server: each segment
 * holds whom it should, and incremental evaluation agrees with evaluating everything.
 */

const catalog = compileCatalog(loadCatalogFile(demoCatalogPath()));
const consents = { sms: { granted: true, at: 0, source: 'import' }, email: { granted: true, at: 0, source: 'import' } };

function client(profile: CustomerInput['profile'], id = 'demo-x', stage: CustomerInput['stage'] = 'client'): CustomerContext {
  return initialCustomerContext({ id, stage, profile, identifiers: { phone: ['+79160000000'] }, consents, at: 0, reason: 'import' });
}

let n = 0;
function run(ctx: CustomerContext, events: Array<Omit<GatewayEvent, 'id' | 'customer'>>): { ctx: CustomerContext; results: HandleResult[] } {
  const results: HandleResult[] = [];
  for (const e of events) {
    const r = handleEvent(ctx, { type: 'gateway.event', event: { ...e, id: `e${++n}`, customer: { id: ctx.id } }, now: e.at ?? 0, catalog, stops: [] });
    results.push(r);
    ctx = r.ctx;
  }
  return { ctx, results };
}

const tx = (iso: string, data: Record<string, unknown>): Omit<GatewayEvent, 'id' | 'customer'> => ({ type: 'card.transaction', at: msk(iso), channel: 'pos', data });

describe('demo segments', () => {
  it('young men with higher education who use a credit card', () => {
    const profile = { gender: 'm' as const, age: 29, education: 'tertiary' };
    expect(run(client(profile), [tx('2026-11-20T12:00:00', { amount: 900, cardType: 'credit', mcc: '5411' })]).ctx.segments).toHaveProperty('young_men_credit_card');
    expect(run(client(profile), [tx('2026-11-20T12:00:00', { amount: 900, cardType: 'debit', mcc: '5411' })]).ctx.segments).not.toHaveProperty('young_men_credit_card');
    expect(run(client({ ...profile, gender: 'f' }), [tx('2026-11-20T12:00:00', { amount: 900, cardType: 'credit' })]).ctx.segments).not.toHaveProperty('young_men_credit_card');
    expect(run(client({ ...profile, age: 35 }), [tx('2026-11-20T12:00:00', { amount: 900, cardType: 'credit' })]).ctx.segments).not.toHaveProperty('young_men_credit_card');
  });

  it('car owners: two car purchases in 90 days', () => {
    const one = run(client({}), [tx('2026-09-01T10:00:00', { amount: 3000, mcc: '5541' })]);
    expect(one.ctx.segments).not.toHaveProperty('car_owners');
    const two = run(one.ctx, [tx('2026-11-20T10:00:00', { amount: 4500, mcc: '7538' })]);
    expect(two.ctx.segments).toHaveProperty('car_owners');
    // Three months on, the first purchase has left the window.
    const later = run(two.ctx, [tx('2026-12-20T10:00:00', { amount: 100, mcc: '5411' })]);
    expect(later.ctx.segments).not.toHaveProperty('car_owners');
  });

  it('declining activity: this month under 30 % of last month', () => {
    const lastMonth = [tx('2026-10-05T10:00:00', { amount: 12_000 }), tx('2026-10-20T10:00:00', { amount: 8_000 })];
    const low = run(client({}), [...lastMonth, tx('2026-11-20T10:00:00', { amount: 5_000 })]);
    expect(low.ctx.segments).toHaveProperty('declining_activity');
    const steady = run(client({}), [...lastMonth, tx('2026-11-20T10:00:00', { amount: 7_000 })]);
    expect(steady.ctx.segments).not.toHaveProperty('declining_activity');
    const day = localTime(msk('2026-11-25T10:00:00'), 'Europe/Moscow').epochDay;
    expect(day).toBeGreaterThan(0);
  });

  it('warm leads: a visitor whose lead score reaches 30 is offered a call back on the site at once', () => {
    const visitor = client(undefined, 'v-1', 'visitor');
    const page = (iso: string, url: string) => ({ type: 'web.pageview', at: msk(iso), channel: 'web', data: { url } });
    const { ctx, results } = run(visitor, [
      page('2026-11-20T10:00:00', '/cards/credit/tariffs'),
      page('2026-11-21T10:00:00', '/cards/credit/tariffs'),
      page('2026-11-22T10:00:00', '/deposits/rates'),
      { type: 'web.chat', at: msk('2026-11-22T10:05:00'), channel: 'web' },
      page('2026-11-22T10:10:00', '/cards/credit'),
    ]);
    // 3 visits x 2 + 3 pricing views x 5 = 21; the chat adds 10: 31.
    expect(results[2]!.trace.segmentChanges).toEqual([]);
    expect(results[3]!.trace.segmentChanges).toEqual([{ segment: 'warm_leads', change: 'entered' }]);
    const decision = results[3]!.reply;
    expect(decision.kind === 'decision' && decision.actions).toEqual([
      expect.objectContaining({ campaign: 'warm-lead-callback', channel: 'web', content: expect.objectContaining({ title: 'Подберём кредитную карту за 5 минут' }) }),
    ]);
    // Already a warm lead: the next page view does not trigger it again.
    expect(results[4]!.reply.kind === 'decision' && results[4]!.reply.actions).toEqual([]);
    expect(ctx.segments).toHaveProperty('warm_leads');
  });

  it('pilot clients are in by name', () => {
    expect(run(client({}, 'demo-7'), [{ type: 'web.pageview', at: msk('2026-11-20T10:00:00') }]).ctx.segments).toHaveProperty('pilot_clients');
    expect(run(client({}, 'demo-70'), [{ type: 'web.pageview', at: msk('2026-11-20T10:00:00') }]).ctx.segments).not.toHaveProperty('pilot_clients');
  });
});

describe('incremental segment evaluation', () => {
  it('agrees with evaluating every segment, for any sequence of events', () => {
    const types = ['card.transaction', 'web.pageview', 'web.chat', 'web.form', 'email.opened', 'ib.login', 'profile.updated'] as const;
    const step = fc.record({
      type: fc.constantFrom(...types),
      offset: fc.integer({ min: 0, max: 120 * 86_400_000 }),
      amount: fc.integer({ min: 1, max: 20_000 }),
      mcc: fc.constantFrom('5411', '5812', '5541', '7538'),
      cardType: fc.constantFrom('credit', 'debit'),
      url: fc.constantFrom('/cards/credit/tariffs', '/deposits/rates', '/'),
      age: fc.integer({ min: 18, max: 80 }),
    });
    const base = msk('2026-08-01T00:00:00');
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        let ctx = client({ gender: 'm', age: 30, education: 'tertiary', balance: 700_000 });
        let k = 0;
        for (const s of steps.sort((a, b) => a.offset - b.offset)) {
          const at = base + s.offset;
          const data: Record<string, unknown> =
            s.type === 'card.transaction' ? { amount: s.amount, mcc: s.mcc, cardType: s.cardType } : s.type === 'profile.updated' ? { age: s.age } : { url: s.url };
          const event: GatewayEvent = { id: `p${++k}`, type: s.type, customer: { id: ctx.id }, at, data };
          ctx = handleEvent(ctx, { type: 'gateway.event', event, now: at, catalog, stops: [] }).ctx;
          // Evaluate everything afresh at the same moment, on the same state.
          const full = ingestEvent({ ...ctx, segmentsEvaluated: undefined }, { id: 'probe', type: 'probe', customer: { id: ctx.id }, at }, at, catalog).ctx;
          expect(Object.keys(ctx.segments).sort()).toEqual(Object.keys(full.segments).sort());
        }
      }),
      { numRuns: 150, seed: 42 },
    );
  });
});

describe('a balance above a level for days on end', () => {
  const balances = (values: number[]) =>
    values.map((balance, i) => ({ type: 'account.balance', at: msk('2026-10-25T06:00:00') + i * 86_400_000, data: { balance } }));

  it('holds a client whose balance stayed at 500 000 ₽ or more on each of 30 days', () => {
    expect(run(client({}), balances(Array.from({ length: 30 }, () => 650_000))).ctx.segments).toHaveProperty('steady_balance_500k');
  });

  it('drops a client whose balance dipped one day, or whose balance was reported on too few days', () => {
    const dip = Array.from({ length: 30 }, (_, i) => (i === 17 ? 420_000 : 650_000));
    expect(run(client({}), balances(dip)).ctx.segments).not.toHaveProperty('steady_balance_500k');
    expect(run(client({}), balances(Array.from({ length: 12 }, () => 900_000))).ctx.segments).not.toHaveProperty('steady_balance_500k');
  });
});
