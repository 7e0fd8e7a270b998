import { describe, expect, it } from 'vitest';
import type { ContactRecord, Explanation } from '../../actors/index.js';
import { FUNNEL_KEEP_DAYS, FUNNEL_SEGMENTS_PER_STEP, FUNNEL_STAGES, FunnelLedger, countedSegments, funnelCsv, isoDay, parseIsoDay } from './funnel-ledger.js';
import type { FunnelRow } from './funnel-ledger.js';

/**
 * The funnel's identity with deferred messages: a retry is its trigger's outcome, not a
 * trigger of its own, so per campaign
 * triggered = offered + control + (suppressed − cancelled) + waiting, waiting = deferred − resumed.
 */

const C = 'evening-note';
const deferred: Explanation = { campaign: C, verdict: 'suppressed', reason: 'deferred:sms=quiet_hours', group: 'clients', probability: 0.2 };
const offered: Explanation = { campaign: C, verdict: 'offered', group: 'clients', channel: 'sms', offer: 'note' };
const resumed = { resumed: [C], superseded: [] };

function row(f: FunnelLedger, by: FunnelRow['channel'][] = []): FunnelRow {
  const rows = f.report({ campaign: C, by: by as never });
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

function addsUp(r: FunnelRow): void {
  expect(r.waiting).toBe(r.deferred - r.resumed);
  expect(r.triggered).toBe(r.offered + r.control + (r.suppressed - r.cancelled) + r.waiting);
}

describe('the funnel with deferred messages', () => {
  it('counts a deferral as deferred (not suppressed), and its retry once: offered, not triggered again', () => {
    const f = new FunnelLedger();
    f.recordDecision([deferred]);
    expect(row(f)).toMatchObject({ triggered: 1, deferred: 1, resumed: 0, waiting: 1, suppressed: 0, suppressedBy: {} });
    addsUp(row(f));
    f.recordDecision([offered], resumed);
    expect(row(f)).toMatchObject({ triggered: 1, deferred: 1, resumed: 1, waiting: 0, offered: 1 });
    addsUp(row(f));
    // Broken down by channel, the deferral and its resumption stay on one row (no channel): nothing waits there.
    const byChannel = f.report({ campaign: C, by: ['channel'] });
    expect(byChannel.find((r) => r.channel === '-')).toMatchObject({ triggered: 1, deferred: 1, resumed: 1, waiting: 0 });
    expect(byChannel.find((r) => r.channel === 'sms')).toMatchObject({ triggered: 0, offered: 1, waiting: 0 });
  });

  it('adds up when a retry is suppressed, expired, deferred again or superseded, and with a send-time cancellation', () => {
    const f = new FunnelLedger();
    // Four triggers deferred; one retry expires, one meets the stop list, one is deferred again.
    for (let i = 0; i < 4; i++) f.recordDecision([deferred]);
    f.recordDecision([{ campaign: C, verdict: 'suppressed', reason: 'expired', group: 'clients' }], resumed);
    f.recordDecision([{ campaign: C, verdict: 'suppressed', reason: 'no_channel:sms=stop_list', group: 'clients' }], resumed);
    f.recordDecision([deferred], resumed);
    addsUp(row(f));
    expect(row(f)).toMatchObject({ triggered: 4, deferred: 5, resumed: 3, waiting: 2, suppressed: 2, suppressedBy: { expired: 1, no_channel: 1 } });
    // A fifth trigger deferred while one waits: the waiting one is superseded.
    f.recordDecision([deferred], { resumed: [], superseded: [C] });
    expect(row(f)).toMatchObject({ triggered: 5, deferred: 6, resumed: 4, waiting: 2, suppressed: 3, suppressedBy: { superseded: 1 } });
    addsUp(row(f));
    // Offered at its retry, then cancelled at send time: counted offered and cancelled, the identity still holds.
    f.recordDecision([offered], resumed);
    const queued: ContactRecord = { instance: 'i-1', campaign: C, offer: 'note', channel: 'sms', at: 1, marketing: true, delivery: 'queued', group: 'clients' };
    f.recordContacts([queued], [{ ...queued, delivery: 'suppressed', suppressed: 'stop_list' }]);
    expect(row(f)).toMatchObject({ triggered: 5, offered: 1, cancelled: 1, suppressed: 4, waiting: 1 });
    addsUp(row(f));
  });

  it('counts a retry without a waiting deferral (made before this build) as a trigger, as it was', () => {
    const f = new FunnelLedger();
    f.recordDecision([offered]);
    expect(row(f)).toMatchObject({ triggered: 1, offered: 1, resumed: 0, waiting: 0 });
  });

  it('reads totals written before these counts as zeros, and lists the stages in the CSV', () => {
    const f = new FunnelLedger();
    f.counters.load([{ key: `funnel/${[C, 'sms', 'note', 'clients'].join('\u001f')}`, value: { triggered: 2, suppressed: 1, suppressedBy: { cap: 1 }, offered: 1 } }]);
    expect(row(f)).toMatchObject({ triggered: 2, cancelled: 0, deferred: 0, resumed: 0, waiting: 0 });
    const header = funnelCsv(f.report()).split('\r\n')[0]!.split(',');
    for (const stage of ['cancelled', 'deferred', 'resumed', 'waiting']) {
      expect(FUNNEL_STAGES).toContain(stage);
      expect(header).toContain(stage);
    }
  });
});

describe('the funnel by day, control conversions and rates', () => {
  // Local day numbers (days since 1970-01-01): any two consecutive days will do.
  const d1 = 20_500;
  const d2 = d1 + 1;
  const [day1, day2] = [isoDay(d1), isoDay(d2)];
  const control: Explanation = { campaign: C, verdict: 'control', group: 'clients', channel: 'sms', offer: 'note' };
  const sent = (instance: string, more: Partial<ContactRecord> = {}): ContactRecord => ({ instance, campaign: C, offer: 'note', channel: 'sms', at: 1, marketing: true, delivery: 'queued', group: 'clients', ...more });

  it('counts decisions by the day made and deliveries, answers and conversions by the day recorded', () => {
    const f = new FunnelLedger();
    f.recordDecision([offered], undefined, d1);
    f.recordDecision([offered], undefined, d1);
    f.recordDecision([deferred], undefined, d1);
    const a = sent('a');
    const b = sent('b');
    f.recordContacts([], [a, b], d1);
    // The next day: one delivered and answered, the deferral offered at its retry, a new trigger.
    const a2 = { ...a, delivery: 'delivered' as const, outcome: 'accepted' as const };
    f.recordContacts([a, b], [a2, b], d2);
    f.recordDecision([offered], resumed, d2);
    f.recordDecision([offered], undefined, d2);
    const a3 = { ...a2, converted: 5 };
    f.recordContacts([a2, b], [a3, b], d2);

    expect(row(f)).toMatchObject({ triggered: 4, offered: 4, deferred: 1, resumed: 1, delivered: 1, accepted: 1, converted: 1 });
    const on = (from?: string, to?: string) => {
      const rows = f.report({ campaign: C, by: [], ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) });
      return rows[0];
    };
    expect(on(day1, day1)).toMatchObject({ triggered: 3, offered: 2, deferred: 1, resumed: 0, waiting: 1, delivered: 0, answered: 0, converted: 0 });
    expect(on(day2, day2)).toMatchObject({ triggered: 1, offered: 2, deferred: 0, resumed: 1, delivered: 1, answered: 1, accepted: 1, converted: 1, responseRate: 0.5, conversionRate: 0.5 });
    // Either end may be absent; both days sum to the totals.
    expect(on(undefined, day1)).toEqual(on(day1, day1));
    expect(on(day2)).toEqual(on(day2, day2));
    expect(on(day1, day2)).toEqual(row(f));
    expect(on(isoDay(d2 + 1))).toBeUndefined();
    // A run's funnel by date, like any dimension.
    f.recordDecision([{ ...offered, run: 'r-1' }], undefined, d2);
    expect(f.report({ run: 'r-1', by: ['run'], from: day2, to: day2 })).toMatchObject([{ campaign: C, run: 'r-1', offered: 1, triggered: 1 }]);
    expect(f.report({ run: 'r-1', by: ['run'], to: day1 })).toEqual([]);
  });

  it('counts a call answered the day after it closed unanswered on each day, never below 0 (also in the CSV)', () => {
    const f = new FunnelLedger();
    f.recordDecision([offered], undefined, d1);
    const call = sent('call', { channel: 'callcenter' });
    f.recordContacts([], [call], d1, ['s']);
    const closed = { ...call, outcome: 'no_answer' };
    f.recordContacts([call], [closed], d1, ['s']);
    const answered = { ...closed, outcome: 'accepted' };
    f.recordContacts([closed], [answered], d2, ['s']);
    const on = (from: string, to: string): FunnelRow => f.report({ campaign: C, by: [], from, to })[0]!;
    // The totals: the call's outcome is the answer.
    expect(row(f).outcomes).toEqual({ no_answer: 0, accepted: 1 });
    // Each day what was recorded on it; a range of both, both.
    expect(on(day1, day1).outcomes).toEqual({ no_answer: 1 });
    expect(on(day2, day2).outcomes).toEqual({ accepted: 1 });
    expect(on(day2, day2)).toMatchObject({ answered: 1, accepted: 1 });
    expect(on(day1, day2).outcomes).toEqual({ no_answer: 1, accepted: 1 });
    for (const r of [on(day2, day2), ...f.segmentReport({ from: day2, to: day2 })]) for (const n of Object.values(r.outcomes)) expect(n).toBeGreaterThanOrEqual(0);
    expect(f.segmentReport({ from: day2, to: day2 })[0]!.outcomes).toEqual({ accepted: 1 });
    expect(f.segmentReport()[0]!.outcomes).toEqual({ no_answer: 0, accepted: 1 });
    expect(funnelCsv(f.report({ campaign: C, by: [], from: day2, to: day2 }))).not.toMatch(/,-1(,|\r)/);
  });

  it('counts each step in every segment the customer was in (the first FUNNEL_SEGMENTS_PER_STEP by id), by day', () => {
    const f = new FunnelLedger();
    f.recordDecision([offered], undefined, d1, ['seniors', 'savers']);
    f.recordDecision([offered], undefined, d1, ['seniors']);
    f.recordDecision([deferred], undefined, d1, []);
    const a = sent('a');
    f.recordContacts([], [a], d1, ['seniors', 'savers']);
    f.recordContacts([a], [{ ...a, delivery: 'delivered', outcome: 'accepted' }], d2, ['seniors']);
    const seg = (from?: string, to?: string) => f.segmentReport({ campaign: C, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) });
    expect(seg()).toMatchObject([
      { campaign: C, segment: 'savers', channel: '*', offer: '*', group: '*', run: '*', triggered: 1, offered: 1, accepted: 0 },
      { campaign: C, segment: 'seniors', triggered: 2, offered: 2, delivered: 1, accepted: 1, responseRate: 0.5 },
    ]);
    // A customer in no segment is in the campaign's funnel, not in a segment's.
    expect(row(f)).toMatchObject({ triggered: 3, offered: 2, deferred: 1 });
    expect(seg(day1, day1)).toMatchObject([{ segment: 'savers', offered: 1 }, { segment: 'seniors', offered: 2, accepted: 0 }]);
    expect(seg(day2)).toMatchObject([{ segment: 'seniors', triggered: 0, offered: 0, accepted: 1 }]);
    expect(seg(day1, day2)).toEqual(seg());
    // The CSV has the segment column.
    expect(funnelCsv(seg()).split('\r\n')[0]).toMatch(/^campaign,channel,offer,group,run,segment,triggered,/);
    expect(funnelCsv(row(f) === undefined ? [] : [row(f)]).split('\r\n')[0]).toMatch(/^campaign,channel,offer,group,run,triggered,/);
    // Bounded: the first segments by id.
    const many = Object.fromEntries(Array.from({ length: FUNNEL_SEGMENTS_PER_STEP + 4 }, (_, i) => [`s${String(i).padStart(2, '0')}`, 1]));
    expect(countedSegments(many)).toEqual(Object.keys(many).slice(0, FUNNEL_SEGMENTS_PER_STEP));
    expect(countedSegments({ b: 1, a: 2 })).toEqual(['a', 'b']);
  });

  it("counts the control group's conversions (and nothing else of it) and the uplift", () => {
    const f = new FunnelLedger();
    for (let i = 0; i < 4; i++) f.recordDecision([offered], undefined, d1);
    expect(row(f)).toMatchObject({ responseRate: 0, conversionRate: 0, upliftRate: null, controlConverted: 0 });
    f.recordDecision([control], undefined, d1);
    f.recordDecision([control], undefined, d1);
    const held = [sent('c1', { delivery: 'withheld', control: true }), sent('c2', { delivery: 'withheld', control: true })];
    const treated = [sent('t1'), sent('t2')];
    f.recordContacts([], [...held, ...treated], d1);
    // Two treated converted, one held out converted too: 2/4 − 1/2 = 0.
    f.recordContacts([...held, ...treated], [{ ...held[0]!, converted: 9 }, held[1]!, { ...treated[0]!, converted: 9, outcome: 'accepted' }, { ...treated[1]!, converted: 9 }], d2);
    expect(row(f)).toMatchObject({ control: 2, controlConverted: 1, converted: 2, offered: 4, delivered: 0, answered: 1, responseRate: 0.25, conversionRate: 0.5, upliftRate: 0 });
    expect(f.report({ campaign: C, by: [], from: day2 })[0]).toMatchObject({ controlConverted: 1, converted: 2, control: 0, upliftRate: null, conversionRate: null });
    // The hold-out's other changes are not counted (a control contact is never offered, delivered or answered).
    const [c1] = held;
    f.recordContacts([c1!], [{ ...c1!, delivery: 'failed' }], d2);
    expect(row(f)).toMatchObject({ failed: 0, controlConverted: 1 });
    const csv = funnelCsv(f.report({ by: [] })).split('\r\n');
    const header = csv[0]!.split(',');
    const values = Object.fromEntries(csv[1]!.split(',').map((v, i) => [header[i]!, v]));
    expect(values).toMatchObject({ controlConverted: '1', responseRate: '0.2500', conversionRate: '0.5000', upliftRate: '0.0000' });
  });

  it('keeps the days of the last FUNNEL_KEEP_DAYS: older ones are forgotten as days pass and not loaded', () => {
    const f = new FunnelLedger();
    f.recordDecision([offered], undefined, d1);
    f.recordDecision([offered], undefined, d1 + FUNNEL_KEEP_DAYS - 1);
    expect(f.report({ campaign: C, by: [], to: day1 })[0]).toMatchObject({ offered: 1 });
    f.recordDecision([offered], undefined, d1 + FUNNEL_KEEP_DAYS);
    expect(f.report({ campaign: C, by: [], to: day1 })).toEqual([]);
    expect(f.report({ campaign: C, by: [], from: day2 })[0]).toMatchObject({ offered: 2 });
    expect(row(f)).toMatchObject({ offered: 3 });
    expect([...f.days.all().keys()].every((k) => k >= isoDay(d1 + 1))).toBe(true);
    // What the store still holds of older days is not loaded.
    const again = new FunnelLedger();
    again.keepDaysUpTo(d1 + FUNNEL_KEEP_DAYS);
    again.days.load([
      { key: `funnel-day/${day1}\u001f${[C, 'sms', 'note', 'clients'].join('\u001f')}`, value: { offered: 7 } },
      { key: `funnel-day/${day2}\u001f${[C, 'sms', 'note', 'clients'].join('\u001f')}`, value: { offered: 5 } },
    ]);
    expect(again.report({ campaign: C, by: [], from: day1 })[0]).toMatchObject({ offered: 5 });
  });

  it('reads YYYY-MM-DD days of the calendar only', () => {
    expect(parseIsoDay(day1)).toBe(d1);
    for (const bad of ['2026-13-01', '2026-02-30', '2026-1-01', '20260101', 'yesterday', '']) expect(parseIsoDay(bad)).toBeUndefined();
  });
});
