import { describe, expect, it } from 'vitest';
import type { CustomerContext } from '../customer-state.js';
import type { EventMessage, HandleResult } from '../customer-logic.js';
import { handleEvent, hasSeen } from '../customer-logic.js';
import { compileCatalog } from '../catalog/compile-catalog.js';
import { defaultLimits } from '../limits.js';
import { localTime } from '../local-time.js';
import type { ReminderSpec } from '../reminders.js';
import { at, customer, event, message, testCatalog, testCatalogDef } from '../test-support/fixtures.js';
import { DEFERRED_EVENT, nextAllowedAt } from './deferral.js';

/**
 * Late events (decided without push contacts past the server's bound, offers counted from
 * the decision's time) and messages deferred past quiet hours, not dropped.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const actionsOf = (r: HandleResult) => (r.reply.kind === 'decision' ? r.reply.actions : []);

describe('nextAllowedAt', () => {
  const { policy } = testCatalog;
  const tz = 'Europe/Moscow';
  it("is the next opening of the customer's window: 09:00 on weekdays, 10:00 at weekends", () => {
    // 2026-03-02 is a Monday.
    expect(nextAllowedAt(policy, tz, at('2026-03-02T22:30:00+03:00'))).toBe(at('2026-03-03T09:00:00+03:00'));
    expect(nextAllowedAt(policy, tz, at('2026-03-03T06:15:00+03:00'))).toBe(at('2026-03-03T09:00:00+03:00'));
    expect(nextAllowedAt(policy, tz, at('2026-03-06T21:00:00+03:00'))).toBe(at('2026-03-07T10:00:00+03:00'));
    // Sunday evening: Monday opens at 09:00, not at the weekend's 10:00.
    expect(nextAllowedAt(policy, tz, at('2026-03-08T20:30:00+03:00'))).toBe(at('2026-03-09T09:00:00+03:00'));
  });
  it('is now (to the minute) inside the window', () => {
    expect(nextAllowedAt(policy, tz, at('2026-03-02T12:00:00+03:00'))).toBe(at('2026-03-02T12:00:00+03:00'));
    expect(nextAllowedAt(policy, tz, at('2026-03-02T12:00:00+03:00') + 1)).toBe(at('2026-03-02T12:01:00+03:00'));
  });
});

describe('late events', () => {
  const declined = (iso: string) => event('atm.withdrawal.declined', { at: at(iso), channel: 'atm', data: { requested: 1000, balance: 800 } });

  it('applies an event two hours late but makes no SMS: stale_event', () => {
    const e = declined('2026-03-02T10:00:00+03:00');
    const r = handleEvent(customer(), message(e, at('2026-03-02T12:00:00+03:00')));
    expect(actionsOf(r)).toEqual([]);
    expect(r.outbox).toEqual([]);
    expect(r.reminders.filter((x) => x.name.startsWith('expiry:'))).toEqual([]);
    expect(r.trace.explain).toEqual([expect.objectContaining({ campaign: 'shortfall', verdict: 'suppressed', reason: 'stale_event' })]);
    // Still applied: remembered, and the customer's activity is the event's time.
    expect(r.ctx.lastEventAt).toBe(e.at);
    expect(hasSeen(r.ctx, e.id)).toBe(true);
  });

  it('counts the offer from the decision, not the event: a late (but not stale) event expires an hour after now', () => {
    const now = at('2026-03-02T10:10:00+03:00');
    const r = handleEvent(customer(), message(declined('2026-03-02T10:00:00+03:00'), now));
    const [a] = actionsOf(r);
    expect(a).toMatchObject({ channel: 'sms', expiresAt: now + HOUR });
    expect(r.outbox[0]).toMatchObject({ expiresAt: now + HOUR });
    expect(r.reminders).toContainEqual(expect.objectContaining({ name: `expiry:${a!.instance}`, due: now + HOUR }));
  });

  it('takes the bound from the server: 5 minutes makes 10 minutes late stale', () => {
    const msg: EventMessage = { ...message(declined('2026-03-02T10:00:00+03:00'), at('2026-03-02T10:10:00+03:00')), limits: { ...defaultLimits, staleEventMs: 5 * MIN } };
    expect(handleEvent(customer(), msg).trace.explain[0]).toMatchObject({ reason: 'stale_event' });
  });

  it("still answers on the event's own screen, and pushes nothing else", () => {
    const login = event('ib.login', { at: at('2026-03-02T10:00:00+03:00'), channel: 'ib' });
    const r = handleEvent(customer(), message(login, at('2026-03-02T12:00:00+03:00')));
    expect(actionsOf(r)).toEqual([expect.objectContaining({ campaign: 'senior-deposit', channel: 'ib' })]);
    expect(r.outbox).toEqual([]);
  });
});

describe('deferred, not dropped', () => {
  /** A campaign on entering the cafe lovers segment, by SMS (quiet hours apply), its offer open `expiresIn`. */
  const catalogWith = (expiresIn: string) => {
    const def = testCatalogDef();
    def.campaigns.push({
      id: 'cafe-welcome',
      name: 'Cafe welcome',
      status: 'active',
      offer: 'welcome',
      channels: ['sms'],
      trigger: { events: ['segment.entered.cafe_lovers'] },
      groups: [{ id: 'all', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 50 }],
      expiresIn,
    });
    return compileCatalog(def);
  };
  const tx = (iso: string) => event('card.transaction', { at: at(iso), data: { amount: 100, mcc: '5812' } });
  /** Three cafe payments, the third at 22:30 on a Monday: the customer enters the segment in quiet hours. */
  const enterAt2230 = (catalog = catalogWith('24h')): { ctx: CustomerContext; r: HandleResult } => {
    let ctx = customer();
    let r: HandleResult | undefined;
    for (const iso of ['2026-03-01T10:00:00+03:00', '2026-03-02T10:00:00+03:00', '2026-03-02T22:30:00+03:00']) {
      r = handleEvent(ctx, message(tx(iso), at(iso), catalog));
      ctx = r.ctx;
    }
    return { ctx, r: r! };
  };
  const fire = (ctx: CustomerContext, spec: ReminderSpec, now: number, catalog: EventMessage['catalog'], stops: EventMessage['stops'] = []): HandleResult => {
    if ('cancel' in spec) throw new Error('not a reminder to fire');
    const e = { id: `reminder:${spec.name}@${spec.due}`, type: spec.event, customer: { id: ctx.id }, at: spec.due, data: spec.data };
    return handleEvent(ctx, { ...message(e, now, catalog, stops), reminder: spec.name });
  };

  it('keeps a segment entry at 22:30 as a reminder for 09:00, and sends it then', () => {
    const catalog = catalogWith('24h');
    const { ctx, r } = enterAt2230(catalog);
    expect(actionsOf(r)).toEqual([]);
    expect(r.trace.explain).toContainEqual(expect.objectContaining({ campaign: 'cafe-welcome', reason: 'deferred:sms=quiet_hours' }));
    const spec = r.reminders.find((x) => x.name === 'deferred:cafe-welcome')!;
    const until = at('2026-03-02T22:30:00+03:00') + 24 * HOUR;
    expect(spec).toMatchObject({ due: at('2026-03-03T09:00:00+03:00'), event: DEFERRED_EVENT, data: { deferred: { campaign: 'cafe-welcome', until, trigger: 'card.transaction' } } });

    const nine = fire(ctx, spec, at('2026-03-03T09:00:30+03:00'), catalog);
    const [a] = actionsOf(nine);
    expect(a).toMatchObject({ campaign: 'cafe-welcome', channel: 'sms' });
    // Never open past the original deadline.
    expect(a!.expiresAt).toBe(until);
    expect(nine.outbox).toEqual([expect.objectContaining({ instance: a!.instance, channel: 'sms', expiresAt: until })]);
    // A reminder firing is not the customer's activity.
    expect(nine.ctx.lastEventAt).toBe(ctx.lastEventAt);
  });

  it('is re-decided under the rules of the moment: the stop list', () => {
    const catalog = catalogWith('24h');
    const { ctx, r } = enterAt2230(catalog);
    const spec = r.reminders.find((x) => x.name === 'deferred:cafe-welcome')!;
    const stopped = fire(ctx, spec, at('2026-03-03T09:00:00+03:00'), catalog, [{ channel: 'sms' }]);
    expect(actionsOf(stopped)).toEqual([]);
    expect(stopped.trace.explain[0]).toMatchObject({ campaign: 'cafe-welcome', reason: 'no_channel:sms=stop_list' });
  });

  it('is recorded as expired, not sent, when its offer would close first', () => {
    // Open two hours: 00:30 is before the 09:00 window.
    const { r } = enterAt2230(catalogWith('2h'));
    expect(r.trace.explain).toContainEqual(expect.objectContaining({ campaign: 'cafe-welcome', reason: 'expired:sms=quiet_hours' }));
    expect(r.reminders.filter((x) => x.name.startsWith('deferred:'))).toEqual([]);
    // A retry that comes after its deadline (the server was down all day) is expired too.
    const catalog = catalogWith('24h');
    const late = enterAt2230(catalog);
    const spec = late.r.reminders.find((x) => x.name === 'deferred:cafe-welcome')!;
    const after = fire(late.ctx, spec, at('2026-03-03T23:00:00+03:00'), catalog);
    expect(actionsOf(after)).toEqual([]);
    expect(after.trace.explain).toEqual([expect.objectContaining({ campaign: 'cafe-welcome', reason: 'expired' })]);
  });

  it('does not defer an offer about where the customer is (trigger.near)', () => {
    const def = testCatalogDef();
    def.campaigns[3]!.trigger!.localTime = { from: '00:00', to: '23:59' };
    const catalog = compileCatalog(def);
    const lover: CustomerContext = { ...customer(), features: { cafe_30d: [localTime(at('2026-03-01T12:00:00+03:00'), 'Europe/Moscow').epochDay, 3, 0, 0, 0] } };
    const visit = event('branch.visit', { at: at('2026-03-02T21:30:00+03:00'), location: { lat: 55.7614, lon: 37.609 } });
    const r = handleEvent(lover, message(visit, visit.at, catalog));
    expect(r.trace.explain[0]).toMatchObject({ campaign: 'lunch', reason: 'no_channel:sms=quiet_hours' });
    expect(r.reminders.filter((x) => x.name.startsWith('deferred:'))).toEqual([]);
  });
});
