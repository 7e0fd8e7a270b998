import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, it } from 'vitest';
import type { ContactRecord, Explanation } from '../../actors/index.js';
import { compileCatalog } from '../../actors/index.js';
import { testCatalogDef } from '../../actors/test-support/fixtures.js';
import { UpliftsReply } from '../schema/http/learning-schemas.js';
import { FunnelLedger, funnelCsv, isoDay } from './funnel-ledger.js';
import { UpliftLedger, upliftCountsOf, upliftReport } from './uplift-ledger.js';

const C = 'shortfall';
const catalog = compileCatalog(
  (() => {
    const def = testCatalogDef();
    const c = def.campaigns.find((x) => x.id === C)!;
    c.goal = { events: ['loan.taken'], withinDays: 7 };
    c.controlPercent = 10;
    return def;
  })(),
);
const d1 = 20_500;
const d2 = d1 + 1;
const offered: Explanation = { campaign: C, verdict: 'offered', group: 'clients', channel: 'sms', offer: 'note' };
const held: Explanation = { campaign: C, verdict: 'control', group: 'clients', channel: 'sms', offer: 'note' };
const sent = (instance: string, more: Partial<ContactRecord> = {}): ContactRecord => ({ instance, campaign: C, offer: 'note', channel: 'sms', at: 1, marketing: true, delivery: 'queued', group: 'clients', ...more });

/** Three offers and a hold-out on day 1, all converting on day 2, with one offer and one hold-out that day: day 2 has more conversions than contacts. */
function ledger(): FunnelLedger {
  const f = new FunnelLedger();
  const before = ['a', 'b', 'c'].map((i) => sent(i));
  const hold = sent('h', { control: true });
  f.recordDecision([offered, offered, offered, held], undefined, d1);
  f.recordContacts([], [...before, hold], d1);
  f.recordDecision([offered, held], undefined, d2);
  f.recordContacts([...before, hold], [...before.map((c) => ({ ...c, converted: 5 })), { ...hold, converted: 5 }], d2);
  return f;
}

describe('the uplift report over a date range', () => {
  it('never gives a rate above 1 nor a NaN interval when conversions outnumber the range’s contacts, and says so', () => {
    const f = ledger();
    const day = isoDay(d2);
    const row = f.report({ campaign: C, by: [], from: day, to: day })[0];
    expect(row).toMatchObject({ offered: 1, converted: 3, control: 1, controlConverted: 1 });
    const r = upliftReport(C, catalog, upliftCountsOf(row));
    expect(r.treated).toMatchObject({ contacts: 1, conversions: 3, rate: 1 });
    expect(r.treated.ci95?.every(Number.isFinite)).toBe(true);
    expect(r.uplift?.ci95.every(Number.isFinite)).toBe(true);
    expect(r.note).toMatch(/more conversions than contacts/);
    // Through the route's schema, as JSON (a NaN would be null there).
    const reply = JSON.parse(JSON.stringify({ from: day, to: day, campaigns: [r] })) as unknown;
    expect(TypeCompiler.Compile(UpliftsReply).Check(reply)).toBe(true);
    // The funnel's rates too: 1 at most, the counts as they are.
    expect(row).toMatchObject({ conversionRate: 1, upliftRate: 0 });
    // Both days: as many conversions as contacts at most, no note.
    const both = upliftReport(C, catalog, upliftCountsOf(f.report({ campaign: C, by: [] })[0]));
    expect(both.treated).toMatchObject({ contacts: 4, conversions: 3, rate: 0.75 });
    expect(both.note).toBeUndefined();
  });
});

describe('the answers of the all-time report and of a range', () => {
  it('count the same answers from the same steps: expiries and unanswered calls none, answers that teach nothing all, a late answer once', () => {
    const f = new FunnelLedger();
    const u = new UpliftLedger();
    let contacts: ContactRecord[] = [];
    const step = (day: number, next: ContactRecord[], explain: Explanation[] = []): void => {
      f.recordDecision(explain, undefined, day);
      u.record(explain, []);
      f.recordContacts(contacts, next, day);
      u.recordContacts(contacts, next);
      contacts = next;
    };
    const ids = ['yes', 'no', 'later', 'lapsed', 'call', 'callback'];
    step(d1, ids.map((i) => sent(i)), ids.map(() => offered));
    const outcome = (id: string, o: string): ContactRecord[] => contacts.map((c) => (c.instance === id ? { ...c, outcome: o } : c));
    step(d1, outcome('yes', 'accepted'));
    step(d1, outcome('no', 'declined'));
    step(d1, outcome('later', 'later'));
    step(d1, outcome('lapsed', 'expired'));
    step(d1, outcome('call', 'no_answer'));
    step(d1, outcome('callback', 'callback'));
    // The dialer's file the next morning: the call unanswered last evening was accepted after all.
    step(d2, outcome('call', 'accepted'));
    // A hold-out and a repeated step change nothing.
    step(d2, [...contacts, sent('h', { control: true })], [held]);
    step(d2, contacts);

    const allTime = u.report(C, catalog).responses;
    const range = upliftReport(C, catalog, upliftCountsOf(f.report({ campaign: C, by: [], from: isoDay(d1), to: isoDay(d2) })[0])).responses;
    const totals = upliftReport(C, catalog, upliftCountsOf(f.report({ campaign: C, by: [] })[0])).responses;
    expect(allTime).toEqual({ answered: 5, accepted: 2, acceptanceRate: 0.4 });
    expect(range).toEqual(allTime);
    expect(totals).toEqual(allTime);
  });
});

describe('the figures of the uplift report and the funnel', () => {
  /** At most six decimal places: what a report gives. */
  const sixPlaces = (x: number): boolean => Math.abs(x * 1e6 - Math.round(x * 1e6)) < 1e-6;

  it('are rounded to six places: an interval bound that is 0 or 1 is 0 or 1, not 4.3e-19 or 0.9999999999999999', () => {
    // a control group of 69 with no conversion: its Wilson interval's low bound computes as 3.5e-18; four of four treated: 0.9999999999999999
    const r = upliftReport(C, catalog, { treated: 4, treatedConverted: 4, control: 69, controlConverted: 0, answered: 3, accepted: 1 });
    expect(r.control.ci95![0]).toBe(0);
    expect(r.treated.ci95![1]).toBe(1);
    expect(r.control.ci95![1]).toBe(0.052737);
    expect(r.uplift).toMatchObject({ difference: 1, relative: null, significant: true });
    expect(r.responses.acceptanceRate).toBe(0.333333);
    const figures = [r.treated.rate!, ...r.treated.ci95!, r.control.rate!, ...r.control.ci95!, r.uplift!.difference, ...r.uplift!.ci95, r.responses.acceptanceRate!];
    for (const x of figures) expect(sixPlaces(x), String(x)).toBe(true);
    // a difference of 0.3 and 0.1 is 0.2 (not 0.19999999999999998), its relative 2
    const tenth = upliftReport(C, catalog, { treated: 10, treatedConverted: 3, control: 10, controlConverted: 1, answered: 0, accepted: 0 });
    expect(tenth.uplift).toMatchObject({ difference: 0.2, relative: 2 });
    for (const x of [...tenth.uplift!.ci95, ...tenth.treated.ci95!, ...tenth.control.ci95!]) expect(sixPlaces(x), String(x)).toBe(true);
  });

  it("are the funnel's rates, rounded the same way in JSON and to four places in CSV (never -0.0000)", () => {
    const f = new FunnelLedger();
    const offers = Array.from({ length: 10 }, (_, i) => sent(`o${i}`));
    const holds = Array.from({ length: 10 }, (_, i) => sent(`h${i}`, { control: true }));
    f.recordDecision([...offers.map(() => offered), ...holds.map(() => held)], undefined, d1);
    f.recordContacts([], [...offers, ...holds], d1);
    const converted = [...offers.map((c, i) => (i < 3 ? { ...c, converted: 5 } : c)), ...holds.map((c, i) => (i < 1 ? { ...c, converted: 5 } : c))];
    f.recordContacts([...offers, ...holds], converted, d1);
    const [row] = f.report({ campaign: C, by: [] });
    expect(row).toMatchObject({ offered: 10, converted: 3, control: 10, controlConverted: 1, conversionRate: 0.3, upliftRate: 0.2 });
    const [header, line] = funnelCsv([row!]).split('\r\n');
    const cell = (name: string, l = line!) => l.split(',')[header!.split(',').indexOf(name)];
    expect([cell('conversionRate'), cell('upliftRate')]).toEqual(['0.3000', '0.2000']);
    // a rate computed as a hair under 0 is 0.0000 in the file
    const [, noise] = funnelCsv([{ ...row!, upliftRate: -1e-17 }]).split('\r\n');
    expect(cell('upliftRate', noise)).toBe('0.0000');
  });
});

