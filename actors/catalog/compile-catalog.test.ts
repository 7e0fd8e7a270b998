import { describe, expect, it } from 'vitest';
import type { CatalogDef } from './definition-schema.js';
import { compileCatalog } from './compile-catalog.js';
import { parseDuration } from './field-checks.js';
import { BrainError } from '../brain-error.js';
import { testCatalogDef } from '../test-support/fixtures.js';

/** A broken copy of the test catalog: `mutate` changes it; the compile error must name the field. */
function problemOf(mutate: (def: CatalogDef) => void): { path: string; problem: string } {
  const def = structuredClone(testCatalogDef());
  mutate(def);
  try {
    compileCatalog(def);
  } catch (err) {
    if (err instanceof BrainError) return { path: err.path, problem: err.problem };
    throw err;
  }
  throw new Error('the catalog compiled');
}

describe('catalog compilation', () => {
  it('compiles the test catalog, indexing features by event type', () => {
    const c = compileCatalog(testCatalogDef());
    expect(c.campaigns.map((x) => x.id)).toEqual(['shortfall', 'senior-deposit', 'welcome', 'lunch']);
    expect(c.featuresByEvent.get('card.transaction')?.map((f) => f.id)).toEqual(['cafe_30d', 'spend_7d']);
    expect(c.campaigns[1]!.groups.map((g) => g.probability)).toEqual([0.1, 0.05, 0.005]);
    expect(c.campaigns[0]!.expiresInMs).toBe(3_600_000);
    expect(c.policy.caps).toEqual([
      { channel: '*', max: 1, windowMs: 86_400_000 },
      { channel: 'any', max: 3, windowMs: 7 * 86_400_000 },
    ]);
    expect(c.policy.recency).toEqual({ sameOfferMs: 7 * 86_400_000, sameCampaignMs: 86_400_000, afterDeclineMs: 30 * 86_400_000 });
    expect(c.campaigns[0]!.recency).toEqual({ sameOfferMs: 0, sameCampaignMs: 0, afterDeclineMs: 86_400_000 });
    expect(c.campaigns[0]!.quietHoursExempt).toBe(true);
    expect(c.policy.quietHours.weekdays).toEqual({ from: 540, to: 1260 });
  });

  it.each<[string, (d: CatalogDef) => void, string, RegExp]>([
    ['an unknown offer', (d) => void (d.campaigns[0]!.offer = 'nope'), 'campaigns[0].offer', /unknown offer "nope"/],
    [
      'an unknown template variable (at save time)',
      (d) => void (d.offers[0]!.templates.sms = { text: 'Hi {{customer.nickname}}' }),
      'offers[0].templates.sms.text',
      /unknown variable "customer.nickname"/,
    ],
    ['a variable the campaign does not define', (d) => void (d.offers[0]!.templates.sms = { text: '{{vars.amount}}' }), 'offers[0].templates.sms.text', /unknown variable "vars.amount"/],
    ['an unknown filter', (d) => void (d.offers[0]!.templates.sms = { text: '{{vars.gap | dollars}}' }), 'offers[0].templates.sms.text', /unknown filter "dollars"/],
    ['an unclosed placeholder', (d) => void (d.offers[0]!.templates.sms = { text: 'Hi {{customer.name' }), 'offers[0].templates.sms.text', /malformed/],
    ['partner variables without "near"', (d) => void (d.campaigns[3]!.trigger!.near = undefined), 'offers[3].templates.sms.text', /need a trigger with "near"/],
    ['a channel the offer has no template for', (d) => void (d.campaigns[0]!.channels = ['sms', 'email']), 'campaigns[0].channels[1]', /no template for channel "email"/],
    ['an unknown channel', (d) => void ((d.campaigns[0]!.channels as string[])[0] = 'fax'), 'campaigns[0].channels[0]', /unknown channel/],
    ['a template field the channel lacks', (d) => void (d.offers[0]!.templates.sms = { text: 'x', title: 'y' }), 'offers[0].templates.sms.title', /sms template has text/],
    ['a missing screen title', (d) => void (d.offers[1]!.templates.ib = { text: 'x' }), 'offers[1].templates.ib.title', /needs title/],
    ['an unknown feature in a rule', (d) => void (d.segments[1]!.rule = { attr: 'feature.cafe_31d', op: 'gte', value: 3 }), 'segments[1].rule.attr', /unknown feature "cafe_31d"/],
    ['an unknown profile field', (d) => void (d.segments[0]!.rule = { attr: 'profile.shoeSize', op: 'gte', value: 3 }), 'segments[0].rule.attr', /unknown profile field "shoeSize"/],
    ['a segment used inside a segment', (d) => void (d.segments[0]!.rule = { attr: 'segment.cafe_lovers', op: 'eq', value: true }), 'segments[0].rule.attr', /segments cannot be used here/],
    ['event attributes in a segment', (d) => void (d.segments[0]!.rule = { attr: 'event.type', op: 'eq', value: 'x' }), 'segments[0].rule.attr', /event attributes cannot be used here/],
    ['an unknown operator', (d) => void (d.segments[0]!.rule = { attr: 'profile.age', op: 'around' as never, value: 3 }), 'segments[0].rule.op', /must be one of/],
    ['a between without two numbers', (d) => void (d.segments[0]!.rule = { attr: 'profile.age', op: 'between', value: [60] }), 'segments[0].rule.value', /\[low, high\]/],
    ['a reversed between', (d) => void (d.segments[0]!.rule = { attr: 'profile.age', op: 'between', value: [70, 60] }), 'segments[0].rule.value', /low is above high/],
    ['gt with text', (d) => void (d.segments[0]!.rule = { attr: 'profile.age', op: 'gt', value: 'sixty' }), 'segments[0].rule.value', /needs a number/],
    ['an empty all', (d) => void (d.segments[0]!.rule = { all: [] }), 'segments[0].rule.all', /non-empty list/],
    ['a malformed local time', (d) => void (d.campaigns[3]!.trigger!.localTime = { from: '12', to: '15:00' }), 'campaigns[3].trigger.localTime.from', /HH:MM/],
    ['active hours given twice', (d) => void (d.campaigns[3]!.activeHours = { from: '12:00', to: '15:00' }), 'campaigns[3].activeHours', /not both/],
    ['malformed active hours', (d) => void (d.campaigns[1]!.activeHours = { from: '9', to: '18:00' }), 'campaigns[1].activeHours.from', /HH:MM/],
    ['a response percent above 100', (d) => void (d.campaigns[0]!.groups[0]!.responsePercent = 130), 'campaigns[0].groups[0].responsePercent', /from 0 to 100/],
    ['no target group', (d) => void (d.campaigns[0]!.groups = []), 'campaigns[0].groups', /at least one target group/],
    ['a duplicate campaign id', (d) => void (d.campaigns[1]!.id = 'shortfall'), 'campaigns[1].id', /duplicate id "shortfall"/],
    ['a bad id', (d) => void (d.campaigns[1]!.id = 'Senior Deposit'), 'campaigns[1].id', /must be an id/],
    ['a bad duration', (d) => void (d.campaigns[0]!.expiresIn = '1 hour'), 'campaigns[0].expiresIn', /duration/],
    ['an end before the start', (d) => Object.assign(d.campaigns[0]!, { startsAt: '2026-02-01T00:00:00Z', endsAt: '2026-01-01T00:00:00Z' }), 'campaigns[0].endsAt', /after startsAt/],
    ['no trigger events', (d) => void (d.campaigns[0]!.trigger = {}), 'campaigns[0].trigger', /needs event types, or passive/],
    ['an unknown time zone', (d) => void (d.policy.defaultTimezone = 'Mars/Olympus'), 'policy.defaultTimezone', /unknown time zone/],
    ['a cap on an unknown channel', (d) => void (d.policy.caps = [{ channel: 'fax' as never, max: 1, window: '1d' }]), 'policy.caps[0].channel', /must be a channel/],
    ['a sum feature without a field', (d) => void delete d.features[1]!.field, 'features[1].field', /a sum needs the event field/],
    ['a fixed SMS text longer than the campaign allows', (d) => void (d.offers[0]!.templates.sms = { text: 'Я'.repeat(250) }), 'offers[0].templates.sms.text', /takes 4 SMS parts; the campaign allows 3/],
    ['a seed on a channel the campaign does not use', (d) => void (d.campaigns[0]!.seeds = [{ channel: 'email', to: 'qa@bank.example' }]), 'campaigns[0].seeds[0].channel', /does not send on email/],
    ['a money budget without costs', (d) => void (d.campaigns[0]!.budget = { maxCost: 1000 }), 'campaigns[0].budget.costPerChannel', /needs the cost per channel/],
    ['an empty budget', (d) => void (d.campaigns[0]!.budget = {}), 'campaigns[0].budget', /needs maxContacts or maxCost/],
    ['a control group over 100 %', (d) => void (d.campaigns[0]!.controlPercent = 120), 'campaigns[0].controlPercent', /from 0 to 100/],
    ['a partner kind nobody has', (d) => void (d.campaigns[3]!.trigger!.near = { partners: 'bar', radiusM: 100 }), 'campaigns[3].trigger.near.partners', /no partners of kind "bar"/],
    ['a button outcome for no button of the offer', (d) => void (d.offers[1]!.buttonOutcomes = { accept: 'accepted', yes: 'accepted' }), 'offers[1].buttonOutcomes.yes', /is no button of the offer's templates \(its buttons: accept\)/],
    ['a button outcome on an offer without buttons', (d) => void (d.offers[0]!.buttonOutcomes = { accept: 'accepted' }), 'offers[0].buttonOutcomes.accept', /is no button of the offer's templates \(they have none\)/],
  ])('rejects %s, naming the field', (_what, mutate, path, problem) => {
    const got = problemOf(mutate);
    expect(got.path).toBe(path);
    expect(got.problem).toMatch(problem);
  });

  describe("an outbound campaign's schedule", () => {
    /** The test catalog with senior-deposit (campaigns[1]) made outbound on `schedule`. */
    const outbound = (schedule: unknown, timeZone?: string) => (d: CatalogDef) => {
      const c = d.campaigns[1]! as unknown as Record<string, unknown>;
      delete c.trigger;
      c.outbound = { segments: ['seniors'], schedule };
      if (timeZone !== undefined) d.policy.defaultTimezone = timeZone;
    };
    const compiled = (schedule: unknown, timeZone?: string) => {
      const def = structuredClone(testCatalogDef());
      outbound(schedule, timeZone)(def);
      return compileCatalog(def).campaigns.find((c) => c.id === 'senior-deposit')!.outbound!.schedule;
    };

    it("reads a once without an offset in the policy's defaultTimezone, not the server's", () => {
      expect(compiled({ once: '2027-01-15T10:00:00' })).toEqual({ once: Date.UTC(2027, 0, 15, 7, 0) });
      expect(compiled({ once: '2027-01-15T10:00' }, 'Asia/Vladivostok')).toEqual({ once: Date.UTC(2027, 0, 15, 0, 0) });
      expect(compiled({ once: '2027-01-15' })).toEqual({ once: Date.UTC(2027, 0, 14, 21, 0) });
      // with its offset (or Z) it is that instant, whatever the policy's zone
      expect(compiled({ once: '2027-01-15T10:00:00+05:00' }, 'Asia/Vladivostok')).toEqual({ once: Date.UTC(2027, 0, 15, 5, 0) });
      expect(compiled({ once: '2027-01-15T10:00:00.500Z' })).toEqual({ once: Date.UTC(2027, 0, 15, 10, 0, 0, 500) });
    });

    it('takes a whole weekday from 1 to 7', () => {
      expect(compiled({ weekly: { weekday: 7, at: '10:00' } })).toEqual({ weekly: { weekday: 7, minuteOfDay: 600 } });
    });

    it.each<[string, unknown, string, RegExp]>([
      ['a fractional weekday', { weekly: { weekday: 2.5, at: '10:00' } }, 'campaigns[1].outbound.schedule.weekly.weekday', /whole number from 1 to 7/],
      ['weekday 0', { weekly: { weekday: 0, at: '10:00' } }, 'campaigns[1].outbound.schedule.weekly.weekday', /whole number from 1 to 7/],
      ['a once that is no ISO date-time', { once: 'Jan 15 2027 10:00' }, 'campaigns[1].outbound.schedule.once', /ISO date-time/],
      ['a once on a day the month lacks', { once: '2027-02-30T10:00:00' }, 'campaigns[1].outbound.schedule.once', /ISO date-time/],
      ['two schedules at once', { once: '2027-01-15T10:00:00+03:00', daily: '10:00' }, 'campaigns[1].outbound.schedule', /must be \{once: date-time\}/],
      ['a once at an hour the day lacks', { once: '2027-01-15T24:00:00+03:00' }, 'campaigns[1].outbound.schedule.once', /ISO date-time/],
    ])('refuses %s, naming the field', (_what, schedule, path, problem) => {
      const got = problemOf(outbound(schedule));
      expect(got.path).toBe(path);
      expect(got.problem).toMatch(problem);
    });
  });

  it('parses durations', () => {
    expect(parseDuration('30m', 'x')).toBe(1_800_000);
    expect(parseDuration('7d', 'x')).toBe(604_800_000);
    expect(() => parseDuration('0s', 'x')).toThrow(BrainError);
    expect(() => parseDuration(5, 'x')).toThrow(/duration/);
  });
});
