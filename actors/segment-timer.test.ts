import { describe, expect, it } from 'vitest';
import type { CatalogDef } from './catalog/definition-schema.js';
import { compileCatalog } from './catalog/compile-catalog.js';
import type { CustomerContext } from './customer-state.js';
import { handleEvent } from './customer-logic.js';
import { localTime, startOfLocalDay } from './local-time.js';
import { nextMembershipChangeDay, SEGMENT_TIMER, SEGMENTS_CHECK_EVENT, segmentsNeedCheck, segmentTimer, segmentTimerDue } from './segment-timer.js';
import { at, customer, event, testCatalogDef } from './test-support/fixtures.js';

const MSK = 'Europe/Moscow';
const DAY = 86_400_000;
const day = (iso: string): number => localTime(at(iso), MSK).epochDay;

/** The brain's test catalog with the segments time moves: a window, a daysSince, calendar months, age. */
function def(): CatalogDef {
  const d = testCatalogDef();
  d.features.push(
    { id: 'tx_30d', events: ['card.transaction'], aggregate: 'count', windowDays: 30 },
    { id: 'days_since_tx', events: ['card.transaction'], aggregate: 'daysSince', windowDays: 90 },
    { id: 'spend_this_month', events: ['card.transaction'], aggregate: 'sum', field: 'event.data.amount', calendar: 'thisMonth' },
    { id: 'spend_last_month', events: ['card.transaction'], aggregate: 'sum', field: 'event.data.amount', calendar: 'lastMonth' },
    { id: 'logins_since_month', events: ['ib.login'], aggregate: 'daysSince', calendar: 'thisMonth' },
  );
  d.segments.push(
    { id: 'active', name: 'Active', rule: { attr: 'feature.tx_30d', op: 'gte', value: 2 } },
    { id: 'gone_quiet', name: 'Gone quiet', rule: { attr: 'feature.days_since_tx', op: 'gte', value: 14 } },
    { id: 'no_login_a_week', name: 'No log-in for a week this month', rule: { attr: 'feature.logins_since_month', op: 'gte', value: 7 } },
    {
      id: 'declining',
      name: 'Declining',
      rule: {
        all: [
          { attr: 'feature.spend_last_month', op: 'gte', value: 10_000 },
          { attr: 'feature.spend_this_month', op: 'lt', value: { ref: 'feature.spend_last_month', times: 0.3 } },
        ],
      },
    },
  );
  d.campaigns.push({
    id: 'win-back',
    name: 'Win back',
    status: 'active',
    offer: 'welcome',
    channels: ['sms'],
    trigger: { events: ['segment.entered.gone_quiet'] },
    groups: [{ id: 'all', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 50 }],
    quietHoursExempt: true,
  });
  return d;
}

const catalog = compileCatalog(def());
/** Only what time cannot move: no rule reads a window, a daysSince or the age. */
const timeless = compileCatalog({
  ...testCatalogDef(),
  segments: [
    { id: 'seniors', name: 'Seniors', members: ['c-9'] },
    { id: 'cafe_lovers', name: 'Cafe lovers', members: ['c-9'] },
    { id: 'pilot', name: 'Pilot', members: ['c-1'] },
  ],
});

/** The customer after card transactions at these times (each through the brain). */
function afterTransactions(times: string[], ctx: CustomerContext = customer()): CustomerContext {
  for (const iso of times) ctx = handleEvent(ctx, { type: 'gateway.event', event: event('card.transaction', { at: at(iso), data: { amount: 100 } }), now: at(iso), catalog, stops: [] }).ctx;
  return ctx;
}

describe('the next moment time alone moves a membership', () => {
  it('is when the oldest bucket leaves a window, or a daysSince crosses a number a rule names', () => {
    const ctx = afterTransactions(['2030-03-02T10:00:00+03:00', '2030-03-05T10:00:00+03:00']);
    // days_since_tx >= 14: on Mar 19 (14 days after Mar 5); before that the 30-day window's Mar 2 leaves on Apr 1;
    // the calendar months roll over on Apr 1 too.
    expect(nextMembershipChangeDay(ctx, catalog, day('2030-03-05T12:00:00+03:00'))).toBe(day('2030-03-19T12:00:00+03:00'));
    // The day after: where a rule's \`gt 14\` would cross (the op is not read: a day early at worst).
    expect(nextMembershipChangeDay(ctx, catalog, day('2030-03-19T12:00:00+03:00'))).toBe(day('2030-03-20T12:00:00+03:00'));
    // After the crossings, the window exits and the month's turn are left: Apr 1.
    expect(nextMembershipChangeDay(ctx, catalog, day('2030-03-20T12:00:00+03:00'))).toBe(day('2030-04-01T12:00:00+03:00'));
    // Then Mar 5 leaves the 30-day window on Apr 4, and the daysSince's 90-day window on Jun 3.
    expect(nextMembershipChangeDay(ctx, catalog, day('2030-04-01T12:00:00+03:00'))).toBe(day('2030-04-04T12:00:00+03:00'));
    expect(nextMembershipChangeDay(ctx, catalog, day('2030-05-02T12:00:00+03:00'))).toBe(day('2030-05-31T12:00:00+03:00'));
  });

  it('is where a daysSince over a calendar month crosses a rule\'s number, before the month turns', () => {
    let ctx = customer();
    const at9 = at('2030-03-02T10:00:00+03:00');
    ctx = handleEvent(ctx, { type: 'gateway.event', event: event('ib.login', { at: at9 }), now: at9, catalog, stops: [] }).ctx;
    expect(nextMembershipChangeDay(ctx, catalog, day('2030-03-02T12:00:00+03:00'))).toBe(day('2030-03-09T12:00:00+03:00'));
  });

  it('is the next birthday where a rule reads the age (Feb 29 turns a year older on Mar 1 of a common year)', () => {
    const born = customer({ profile: { firstName: 'Ирина', birthDate: '1966-07-10' } });
    expect(nextMembershipChangeDay(born, catalog, day('2030-03-05T12:00:00+03:00'))).toBe(day('2030-07-10T12:00:00+03:00'));
    expect(nextMembershipChangeDay(born, catalog, day('2030-07-10T12:00:00+03:00'))).toBe(day('2031-07-10T12:00:00+03:00'));
    const leap = customer({ profile: { firstName: 'Ирина', birthDate: '1968-02-29' } });
    expect(nextMembershipChangeDay(leap, catalog, day('2030-01-10T12:00:00+03:00'))).toBe(day('2030-03-01T12:00:00+03:00'));
  });

  it('is none when nothing a rule reads moves with time', () => {
    expect(nextMembershipChangeDay(customer({ profile: { firstName: 'Ирина' } }), catalog, day('2030-03-05T12:00:00+03:00'))).toBeUndefined();
    const ctx = afterTransactions(['2030-03-02T10:00:00+03:00']);
    expect(nextMembershipChangeDay(ctx, timeless, day('2030-03-05T12:00:00+03:00'))).toBeUndefined();
  });
});

describe('the segment timer', () => {
  it('is armed at local midnight of that day, moved only when it changes, and re-armed when it fires', () => {
    const ctx = afterTransactions(['2030-03-02T10:00:00+03:00']);
    const due = at('2030-03-16T00:00:00+03:00');
    expect(segmentTimerDue(ctx, catalog)).toBe(due);
    expect(startOfLocalDay(day('2030-03-16T12:00:00+03:00'), MSK)).toBe(due);
    // Another transaction the same day moves nothing: no reminder written.
    const again = handleEvent(ctx, { type: 'gateway.event', event: event('card.transaction', { at: at('2030-03-02T11:00:00+03:00'), data: { amount: 5 } }), now: at('2030-03-02T11:00:00+03:00'), catalog, stops: [] });
    expect(again.reminders.filter((r) => r.name === SEGMENT_TIMER)).toEqual([]);
    // A transaction two days later moves it.
    const later = handleEvent(ctx, { type: 'gateway.event', event: event('card.transaction', { at: at('2030-03-04T11:00:00+03:00'), data: { amount: 5 } }), now: at('2030-03-04T11:00:00+03:00'), catalog, stops: [] });
    expect(later.reminders.filter((r) => r.name === SEGMENT_TIMER)).toEqual([{ name: SEGMENT_TIMER, due: at('2030-03-18T00:00:00+03:00'), event: SEGMENTS_CHECK_EVENT }]);
    // With no change ahead, an armed timer is cancelled once.
    const none = segmentTimer({ ...ctx, features: {} }, catalog, day('2030-03-05T12:00:00+03:00'), false);
    expect(none.reminder).toEqual({ name: SEGMENT_TIMER, cancel: true });
    expect(segmentTimer(none.ctx, catalog, day('2030-03-05T12:00:00+03:00'), false).reminder).toBeUndefined();
  });

  it('in another time zone, at that zone\'s midnight', () => {
    const ctx = afterTransactions(['2030-03-02T10:00:00+07:00'], customer({ profile: { firstName: 'Ирина', timezone: 'Asia/Novosibirsk' } }));
    expect(segmentTimerDue(ctx, catalog)).toBe(at('2030-03-16T00:00:00+07:00'));
  });

  it('firing, moves a silent customer into the segment and triggers its campaign, then arms the next change', () => {
    const ctx = afterTransactions(['2030-03-02T10:00:00+03:00']);
    expect(ctx.segments.gone_quiet).toBeUndefined();
    const due = segmentTimerDue(ctx, catalog)!;
    const fired = handleEvent(ctx, {
      type: 'gateway.event',
      event: { id: `reminder:c-1|segments@${due}`, type: SEGMENTS_CHECK_EVENT, customer: { id: 'c-1' }, at: due },
      now: due + 1500,
      catalog,
      stops: [],
      reminder: `c-1|${SEGMENT_TIMER}`,
    });
    expect(fired.trace.segmentChanges).toEqual([{ segment: 'gone_quiet', change: 'entered' }]);
    expect(fired.ctx.segments.gone_quiet).toBe(due + 1500);
    expect(fired.outbox).toEqual([expect.objectContaining({ kind: 'offer', campaign: 'win-back', channel: 'sms' })]);
    // The next: the day after the crossing (a \`gt 14\` would cross then), then Apr 1.
    expect(fired.reminders.filter((r) => r.name === SEGMENT_TIMER)).toEqual([{ name: SEGMENT_TIMER, due: at('2030-03-17T00:00:00+03:00'), event: SEGMENTS_CHECK_EVENT }]);
    // Not the customer's own activity.
    expect(fired.ctx.lastEventAt).toBe(ctx.lastEventAt);
  });

  it('firing a day late (a node down), evaluates as of now, not of its due day', () => {
    const ctx = afterTransactions(['2030-03-02T10:00:00+03:00']);
    const due = segmentTimerDue(ctx, catalog)!;
    const now = due + 20 * DAY;
    const fired = handleEvent(ctx, {
      type: 'gateway.event',
      event: { id: `reminder:c-1|segments@${due}`, type: SEGMENTS_CHECK_EVENT, customer: { id: 'c-1' }, at: due },
      now,
      catalog,
      stops: [],
      reminder: `c-1|${SEGMENT_TIMER}`,
    });
    // On Apr 5 the Mar 2 bucket is out of the 30-day window: both crossings are behind; the month turned.
    expect(fired.trace.segmentChanges).toEqual([{ segment: 'gone_quiet', change: 'entered' }]);
    expect(fired.reminders.filter((r) => r.name === SEGMENT_TIMER)[0]).toMatchObject({ due: at('2030-05-01T00:00:00+03:00') });
  });
});

describe('late events and new states', () => {
  it('a late event is counted in its own day but does not take memberships back to that day', () => {
    let ctx = afterTransactions(['2030-03-02T10:00:00+03:00']);
    const now = at('2030-03-20T10:00:00+03:00');
    const check = { id: 'r-1', type: SEGMENTS_CHECK_EVENT, customer: { id: 'c-1' }, at: segmentTimerDue(ctx, catalog)! };
    ctx = handleEvent(ctx, { type: 'gateway.event', event: check, now, catalog, stops: [], reminder: `c-1|${SEGMENT_TIMER}` }).ctx;
    expect(ctx.segments.gone_quiet).toBeDefined();
    // A log-in that happened on the 15th arrives on the 20th: as of the 15th the card was quiet
    // 13 days (out of gone_quiet), as of today 18 (in): no exit, no re-entry at the next timer.
    const late = handleEvent(ctx, { type: 'gateway.event', event: event('ib.login', { at: at('2030-03-15T10:00:00+03:00') }), now, catalog, stops: [] });
    expect(late.trace.segmentChanges).toEqual([]);
    expect(late.ctx.segments.gone_quiet).toBeDefined();
  });

  it('a state evaluated afresh (merged, imported, a new catalog) arms its timer again even on the same day, in its time zone', () => {
    const ctx = afterTransactions(['2030-03-02T10:00:00+03:00']);
    // A merge keeps the day but drops the evaluation; the zone may be the other customer's.
    const merged: CustomerContext = { ...ctx, profile: { ...ctx.profile, timezone: 'Asia/Vladivostok' } };
    delete merged.segmentsEvaluated;
    // An event that feeds nothing: the next day (the 16th) has not moved, the zone has.
    const r = handleEvent(merged, { type: 'gateway.event', event: event('web.pageview', { at: at('2030-03-03T10:00:00+03:00') }), now: at('2030-03-03T10:00:00+03:00'), catalog, stops: [] });
    expect(r.ctx.segmentsCheckDay).toBe(ctx.segmentsCheckDay);
    expect(r.reminders.filter((x) => x.name === SEGMENT_TIMER)).toEqual([{ name: SEGMENT_TIMER, due: at('2030-03-16T00:00:00+10:00'), event: SEGMENTS_CHECK_EVENT }]);
  });
});

describe('the sweep\'s test (the safety net)', () => {
  const now = at('2030-03-20T03:00:00+03:00');
  it('checks a customer never evaluated, or evaluated under another catalog', () => {
    expect(segmentsNeedCheck(customer(), catalog, now, 3_600_000)).toBe(true);
    const ctx = afterTransactions(['2030-03-19T10:00:00+03:00']);
    expect(segmentsNeedCheck(ctx, catalog, now, 3_600_000)).toBe(false);
    // Another version with the same segment rules (a campaign edited): nothing to check.
    expect(segmentsNeedCheck(ctx, compileCatalog({ ...def(), version: 2 }), now, 3_600_000)).toBe(false);
    const changed = def();
    changed.version = 3;
    changed.segments.push({ id: 'big_spenders', name: 'Big spenders', rule: { attr: 'feature.spend_7d', op: 'gte', value: 50_000 } });
    expect(segmentsNeedCheck(ctx, compileCatalog(changed), now, 3_600_000)).toBe(true);
  });

  it('checks a change due with no timer armed, or one late past the grace; leaves an armed one to the poller', () => {
    const ctx = afterTransactions(['2030-03-02T10:00:00+03:00']);
    const due = segmentTimerDue(ctx, catalog)!;
    expect(segmentsNeedCheck(ctx, catalog, due - 1, 3_600_000)).toBe(false);
    expect(segmentsNeedCheck(ctx, catalog, due + 60_000, 3_600_000)).toBe(false);
    expect(segmentsNeedCheck(ctx, catalog, due + 2 * 3_600_000, 3_600_000)).toBe(true);
    const { segmentsCheckDay: _none, ...unarmed } = ctx;
    expect(segmentsNeedCheck(unarmed, catalog, due + 60_000, 3_600_000)).toBe(true);
  });
});
