import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../catalog/compile-catalog.js';
import type { CustomerContext, DeferralRecord } from '../customer-state.js';
import { retention } from '../customer-state.js';
import type { EventMessage, HandleResult } from '../customer-logic.js';
import { handleEvent } from '../customer-logic.js';
import { customerMachine } from '../customer.machine.js';
import { createCustomerStepper } from '../customer-stepper.js';
import type { TraceParams } from '../effects.js';
import type { ReminderSpec } from '../reminders.js';
import { at, customer, event, message, testCatalogDef } from '../test-support/fixtures.js';
import { pruneDeferrals } from './deferral.js';

/**
 * A deferred message in the customer's own history (`deferrals`, durable with the snapshot):
 * `deferred` with its retry time, then `retried` with its outcome, `expired`, or `superseded`;
 * and what the step tells the funnel (`trace.deferrals`), so a retry is not a second trigger.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const catalogWith = (expiresIn: string, campaigns = true) => {
  const def = testCatalogDef();
  if (campaigns) {
    def.campaigns.push({
      id: 'cafe-welcome',
      name: 'Cafe welcome',
      status: 'active',
      offer: 'welcome',
      channels: ['sms'],
      trigger: { events: ['segment.entered.cafe_lovers', 'promo.night'] },
      groups: [{ id: 'all', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 50 }],
      expiresIn,
    });
  }
  return compileCatalog(def);
};
const tx = (iso: string) => event('card.transaction', { at: at(iso), data: { amount: 100, mcc: '5812' } });

/** Three cafe payments, the third at 22:30 on a Monday: the customer enters the segment in quiet hours. */
function enterAt2230(catalog: EventMessage['catalog']): { ctx: CustomerContext; r: HandleResult } {
  let ctx = customer();
  let r: HandleResult | undefined;
  for (const iso of ['2026-03-01T10:00:00+03:00', '2026-03-02T10:00:00+03:00', '2026-03-02T22:30:00+03:00']) {
    r = handleEvent(ctx, message(tx(iso), at(iso), catalog));
    ctx = r.ctx;
  }
  return { ctx, r: r! };
}

function fire(ctx: CustomerContext, spec: ReminderSpec | undefined, now: number, catalog: EventMessage['catalog'], stops: EventMessage['stops'] = []): HandleResult {
  if (spec === undefined || 'cancel' in spec) throw new Error('not a reminder to fire');
  const e = { id: `reminder:${spec.name}@${spec.due}`, type: spec.event, customer: { id: ctx.id }, at: spec.due, data: spec.data };
  return handleEvent(ctx, { ...message(e, now, catalog, stops), reminder: spec.name });
}

const deferralOf = (r: HandleResult) => r.reminders.find((x) => x.name === 'deferred:cafe-welcome');
const t2230 = at('2026-03-02T22:30:00+03:00');
const nine = at('2026-03-03T09:00:00+03:00');

describe('deferred messages in the customer history', () => {
  it('records a deferral with its channels, reason and retry time, and its retry as retried: offered', () => {
    const catalog = catalogWith('24h');
    const { ctx, r } = enterAt2230(catalog);
    expect(ctx.deferrals).toEqual([
      { campaign: 'cafe-welcome', at: t2230, status: 'deferred', channels: ['sms'], reason: 'quiet_hours', trigger: 'card.transaction', retryAt: nine, until: t2230 + DAY },
    ]);
    // The deferral itself is a trigger: nothing resumed.
    expect(r.trace.deferrals).toBeUndefined();

    const retried = fire(ctx, deferralOf(r), nine, catalog);
    expect(retried.ctx.deferrals).toEqual([
      { campaign: 'cafe-welcome', at: t2230, status: 'retried', channels: ['sms'], reason: 'quiet_hours', trigger: 'card.transaction', until: t2230 + DAY, resolvedAt: nine, outcome: 'offered' },
    ]);
    expect(retried.trace.deferrals).toEqual({ resumed: ['cafe-welcome'], superseded: [] });
  });

  it('records the suppression a retry met as its outcome', () => {
    const catalog = catalogWith('24h');
    const { ctx, r } = enterAt2230(catalog);
    const stopped = fire(ctx, deferralOf(r), nine, catalog, [{ channel: 'sms' }]);
    expect(stopped.ctx.deferrals).toEqual([expect.objectContaining({ status: 'retried', outcome: 'no_channel:sms=stop_list', resolvedAt: nine })]);
    expect(stopped.trace.deferrals).toEqual({ resumed: ['cafe-welcome'], superseded: [] });
  });

  it('records expired: when the offer would close before the window, and when the retry comes after its deadline', () => {
    const short = enterAt2230(catalogWith('2h'));
    expect(short.ctx.deferrals).toEqual([expect.objectContaining({ campaign: 'cafe-welcome', status: 'expired', channels: ['sms'], reason: 'quiet_hours', at: t2230, resolvedAt: t2230 })]);
    expect(short.ctx.deferrals?.[0]?.retryAt).toBeUndefined();
    expect(short.r.trace.deferrals).toBeUndefined();

    const catalog = catalogWith('24h');
    const { ctx, r } = enterAt2230(catalog);
    const late = at('2026-03-03T23:00:00+03:00');
    const after = fire(ctx, deferralOf(r), late, catalog);
    expect(after.ctx.deferrals).toEqual([expect.objectContaining({ status: 'expired', resolvedAt: late, until: t2230 + DAY })]);
    expect(after.ctx.deferrals?.[0]?.retryAt).toBeUndefined();
    expect(after.trace.deferrals).toEqual({ resumed: ['cafe-welcome'], superseded: [] });
  });

  it('keeps one waiting deferral per campaign: a later one supersedes it', () => {
    const catalog = catalogWith('24h');
    const { ctx } = enterAt2230(catalog);
    const t2300 = at('2026-03-02T23:00:00+03:00');
    const again = handleEvent(ctx, message(event('promo.night', { at: t2300 }), t2300, catalog));
    expect(again.trace.explain).toEqual([expect.objectContaining({ campaign: 'cafe-welcome', reason: 'deferred:sms=quiet_hours' })]);
    expect(again.ctx.deferrals).toEqual([
      expect.objectContaining({ at: t2230, status: 'superseded', resolvedAt: t2300, trigger: 'card.transaction' }),
      expect.objectContaining({ at: t2300, status: 'deferred', retryAt: nine, until: t2300 + DAY, trigger: 'promo.night' }),
    ]);
    expect(again.ctx.deferrals?.[0]?.retryAt).toBeUndefined();
    expect(again.trace.deferrals).toEqual({ resumed: [], superseded: ['cafe-welcome'] });
  });

  it('closes a retry whose campaign the catalog no longer has: not_in_catalog', () => {
    const { ctx, r } = enterAt2230(catalogWith('24h'));
    const gone = fire(ctx, deferralOf(r), nine, catalogWith('24h', false));
    expect(gone.trace.explain).toEqual([{ campaign: 'cafe-welcome', verdict: 'suppressed', reason: 'not_in_catalog' }]);
    expect(gone.ctx.deferrals).toEqual([expect.objectContaining({ status: 'retried', outcome: 'not_in_catalog' })]);
    expect(gone.trace.deferrals).toEqual({ resumed: ['cafe-welcome'], superseded: [] });
  });

  it('goes through the stepper: the snapshot keeps the record, the trace effect carries the step', () => {
    const catalog = catalogWith('24h');
    const stepper = createCustomerStepper(customerMachine);
    let s = stepper.restore('client', customer());
    let traces: TraceParams[] = [];
    for (const iso of ['2026-03-01T10:00:00+03:00', '2026-03-02T10:00:00+03:00', '2026-03-02T22:30:00+03:00']) {
      const [next, effects] = stepper.step(s, message(tx(iso), at(iso), catalog));
      s = next;
      traces = effects.flatMap((e) => (e.type === 'trace' ? [e.params] : []));
    }
    expect(s.context.deferrals).toEqual([expect.objectContaining({ status: 'deferred', retryAt: nine })]);
    // Restored from what a store keeps (the context), then the retry fires.
    const restored = stepper.restore('client', structuredClone(s.context));
    const spec = { name: 'deferred:cafe-welcome', due: nine, event: 'offer.deferred', data: { amount: 100, mcc: '5812', deferred: { campaign: 'cafe-welcome', until: t2230 + DAY, trigger: 'card.transaction' } } };
    const e = { id: `reminder:${spec.name}@${spec.due}`, type: spec.event, customer: { id: 'c-1' }, at: spec.due, data: spec.data };
    const [after, effects] = stepper.step(restored, { ...message(e, nine, catalog), reminder: spec.name });
    expect(traces).toHaveLength(1);
    expect(after.context.deferrals).toEqual([expect.objectContaining({ status: 'retried', outcome: 'offered' })]);
    expect(effects).toContainEqual({ type: 'trace', params: expect.objectContaining({ trace: expect.objectContaining({ deferrals: { resumed: ['cafe-welcome'], superseded: [] } }) }) });
  });
});

describe('pruneDeferrals', () => {
  const rec = (i: number, status: DeferralRecord['status'], atMs: number): DeferralRecord => ({ campaign: `c${i}`, at: atMs, status, channels: ['sms'], reason: 'quiet_hours', trigger: 'x' });
  it('keeps the latest resolved records within the bound, and every waiting one', () => {
    const now = 1000 * DAY;
    const waiting = rec(0, 'deferred', now - 200 * DAY);
    const many = [waiting, ...Array.from({ length: retention.deferrals + 5 }, (_, i) => rec(i + 1, 'retried', now - 1000 + i))];
    const kept = pruneDeferrals(many, now);
    expect(kept).toHaveLength(retention.deferrals);
    expect(kept[0]).toBe(waiting);
    expect(kept[1]?.campaign).toBe('c7');
  });
  it(`drops resolved records older than ${retention.contactDays} days`, () => {
    const now = 1000 * DAY;
    const old = rec(1, 'expired', now - (retention.contactDays + 1) * DAY);
    const fresh = rec(2, 'retried', now - DAY);
    expect(pruneDeferrals([old, fresh], now)).toEqual([fresh]);
    const same = [fresh];
    expect(pruneDeferrals(same, now)).toBe(same);
  });
});
