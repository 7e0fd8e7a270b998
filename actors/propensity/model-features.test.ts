import { describe, expect, it } from 'vitest';
import type { Campaign } from '../catalog/compiled-catalog.js';
import type { ContactRecord, CustomerContext } from '../customer-state.js';
import type { GatewayEvent } from '../gateway-event.js';
import { localTime } from '../local-time.js';
import { makeScope } from '../scope.js';
import { at, customer, event, testCatalog } from '../test-support/fixtures.js';
import type { Binning, ModelSpec } from './model-features.js';
import { MAX_DATA_FIELDS, MAX_DATA_KEY_LENGTH, MAX_DATA_VALUE_LENGTH, customerInputs, hashFeatures, ignores, log2Bin, modelFeatureHashes, modelFeatureNames, stepBin } from './model-features.js';

const DAY = 86_400_000;

describe('log2Bin', () => {
  it('keeps 0, 1 and 2 apart, and puts 2 with 3', () => {
    expect(log2Bin(0)).toBe('0');
    expect(log2Bin(1)).toBe('1');
    expect(log2Bin(2)).toBe('2');
    expect(log2Bin(3)).toBe('2');
    expect(log2Bin(4)).toBe('3');
    expect(log2Bin(7)).toBe('3');
    expect(log2Bin(8)).toBe('4');
  });

  it('bins large numbers by their power of two', () => {
    expect(log2Bin(1000)).toBe('10');
    expect(log2Bin(1024)).toBe('11');
    expect(log2Bin(1e12)).toBe('40');
    expect(log2Bin(2 ** 53)).toBe('54');
  });

  it('gives fractions their own bins, apart from 0 and 1', () => {
    expect(log2Bin(0.5)).toBe('f-1');
    expect(log2Bin(0.99)).toBe('f-1');
    expect(log2Bin(0.3)).toBe('f-2');
    expect(log2Bin(1.5)).toBe('1');
    expect(log2Bin(Number.MIN_VALUE)).toBe('f-1074');
  });

  it('signs negative numbers, binned by their size', () => {
    expect(log2Bin(-1)).toBe('-1');
    expect(log2Bin(-3)).toBe('-2');
    expect(log2Bin(-0.5)).toBe('-f-1');
    expect(log2Bin(-0)).toBe('0');
  });

  it('names what is not a finite number', () => {
    expect(log2Bin(Number.NaN)).toBe('na');
    expect(log2Bin(Number.POSITIVE_INFINITY)).toBe('na');
    expect(log2Bin(Number.NEGATIVE_INFINITY)).toBe('na');
  });
});

describe('what the model sees', () => {
  const catalog = testCatalog;
  const campaign = catalog.campaigns.find((c) => c.id === 'senior-deposit')!;
  const t = at('2026-03-02T10:00:00+03:00');
  const local = localTime(t, catalog.policy.defaultTimezone);

  function names(ctx: CustomerContext, e: GatewayEvent, c: Campaign = campaign, when = t): string[] {
    const l = localTime(when, catalog.policy.defaultTimezone);
    const base = customerInputs(ctx, makeScope(ctx, catalog, l.epochDay, e), e, l, catalog);
    return modelFeatureNames(base, ctx, e, c, when);
  }

  it('reads the event\'s scalar data: numbers binned, text and yes/no as categories', () => {
    const e = event('callcenter.call', { at: t, channel: 'callcenter', data: { duration: 3, contact: 'cellular', previous: 0, success: true, nested: { a: 1 }, list: [1] } });
    const n = names(customer(), e);
    expect(n).toEqual(expect.arrayContaining(['bias', 'data.duration=2', 'data.contact=cellular', 'data.previous=0', 'data.success=true', 'event=callcenter.call', 'channel=callcenter']));
    expect(n.some((x) => x.startsWith('data.nested') || x.startsWith('data.list'))).toBe(false);
  });

  it('keeps within the bounds: fields, key and value lengths', () => {
    const data: Record<string, unknown> = { long: 'x'.repeat(MAX_DATA_VALUE_LENGTH + 1), ['k'.repeat(MAX_DATA_KEY_LENGTH + 1)]: 1 };
    for (let i = 0; i < MAX_DATA_FIELDS + 10; i++) data[`f${String(i).padStart(2, '0')}`] = i;
    const n = names(customer(), event('ib.login', { at: t, data }));
    const read = n.filter((x) => x.startsWith('data.'));
    expect(read).toHaveLength(MAX_DATA_FIELDS);
    expect(read[0]).toBe('data.f00=0');
    expect(n.some((x) => x.startsWith('data.long') || x.startsWith('data.kkk'))).toBe(false);
  });

  it('reads the calendar of the event time in the customer\'s time zone', () => {
    expect(local.month).toBe(3);
    const n = names(customer(), event('ib.login', { at: t }));
    // 2 March: day 61 of 2026, in its 9th week
    expect(n).toEqual(expect.arrayContaining(['cal.month=3', 'cal.day=2', 'cal.week=9', 'weekday=1', 'daypart=3']));
    const dec31 = at('2026-12-31T22:00:00+03:00');
    expect(names(customer(), event('ib.login', { at: dec31 }), campaign, dec31)).toEqual(expect.arrayContaining(['cal.month=12', 'cal.day=31', 'cal.week=53']));
  });

  it('counts days since the campaign started, when it has a start', () => {
    const started: Campaign = { ...campaign, startsAt: t - 5 * DAY - 1000 };
    expect(names(customer(), event('ib.login', { at: t }), started)).toContain('cal.campaignDay=3');
    expect(names(customer(), event('ib.login', { at: t })).some((x) => x.startsWith('cal.campaignDay'))).toBe(false);
  });

  it('reads this campaign\'s history with the customer: contacts, days since the last, its outcome', () => {
    const fresh = names(customer(), event('ib.login', { at: t }));
    expect(fresh).toEqual(expect.arrayContaining(['history.contacts=0', 'history.lastOutcome=none']));
    expect(fresh.some((x) => x.startsWith('history.sinceLast'))).toBe(false);
    const contact = (campaignId: string, when: number, extra: Partial<ContactRecord> = {}): ContactRecord => ({
      instance: `i${when}`, campaign: campaignId, offer: 'deposit', channel: 'ib', at: when, marketing: true, delivery: 'shown', ...extra,
    });
    const ctx: CustomerContext = {
      ...customer(),
      contacts: [
        contact('senior-deposit', t - 20 * DAY, { outcome: 'expired' }),
        contact('senior-deposit', t - 9 * DAY, { outcome: 'declined' }),
        contact('senior-deposit', t - 2 * DAY, { control: true, delivery: 'withheld' }),
        contact('shortfall', t - DAY, { outcome: 'accepted' }),
      ],
    };
    expect(names(ctx, event('ib.login', { at: t }))).toEqual(expect.arrayContaining(['history.contacts=2', 'history.sinceLast=4', 'history.lastOutcome=declined']));
  });

  it('leaves out, bins otherwise and crosses what the catalog says', () => {
    const spec: ModelSpec = {
      ignore: ['cal.*', 'data.id', 'weekday'],
      bins: new Map<string, Binning>([
        ['data.amount', { kind: 'steps', steps: [1000, 5000] }],
        ['data.code', { kind: 'category' }],
        ['age', { kind: 'steps', steps: [30, 60] }],
      ]),
      crosses: [['data.contact', 'segment'], ['event', 'data.missing']],
    };
    const ctx: CustomerContext = { ...customer(), segments: { seniors: 1, savers: 1 } };
    const e = event('ib.login', { at: t, data: { id: 'r-123', amount: 2500, code: 17, contact: 'cellular' } });
    const n = names(ctx, e, { ...campaign, model: spec });
    expect(n.some((x) => x.startsWith('cal.') || x.startsWith('data.id') || x.startsWith('weekday'))).toBe(false);
    expect(n).toEqual(expect.arrayContaining(['data.amount=>=1000', 'data.code=17', 'age=>=60', 'data.contact=cellular&segment=seniors', 'data.contact=cellular&segment=savers']));
    // a cross with an input the moment does not have gives nothing
    expect(n.some((x) => x.startsWith('event=ib.login&'))).toBe(false);
    expect(names(ctx, e)).toContain('age=6');
    expect(names(ctx, e)).toContain('data.amount=12');
  });

  it('hashes the names without making them: the same numbers as hashing each name', () => {
    const spec: ModelSpec = { ignore: ['cal.*', 'data.id'], bins: new Map<string, Binning>([['age', { kind: 'steps', steps: [30, 60] }]]), crosses: [] };
    const ctx: CustomerContext = { ...customer(), segments: { seniors: 1, savers: 1 } };
    const e = event('ib.login', { at: t, data: { id: 'r-123', amount: 2500, contact: 'célular', ok: true } });
    const base = customerInputs(ctx, makeScope(ctx, catalog, local.epochDay, e), e, local, catalog);
    const crossed: ModelSpec = { ...spec, crosses: [['data.contact', 'segment']] };
    for (const c of [campaign, { ...campaign, model: spec }, { ...campaign, model: crossed }]) {
      for (const ev of [e, event('ib.login', { at: t })]) {
        const hashes = modelFeatureHashes(base, ctx, ev, c, t);
        expect(hashes).toEqual(hashFeatures(modelFeatureNames(base, ctx, ev, c, t)));
        expect(hashes.length).toBeGreaterThan(10);
      }
    }
  });

  it('bins by steps: below the first, then at or above each', () => {
    expect(stepBin(5, [10, 20])).toBe('<10');
    expect(stepBin(10, [10, 20])).toBe('>=10');
    expect(stepBin(25, [10, 20])).toBe('>=20');
    expect(stepBin(Number.NaN, [10])).toBe('na');
  });

  it('ignores exact inputs and families', () => {
    const spec: ModelSpec = { ignore: ['data.*', 'stage'], bins: new Map(), crosses: [] };
    expect(ignores(spec, 'data.x')).toBe(true);
    expect(ignores(spec, 'stage')).toBe(true);
    expect(ignores(spec, 'stages')).toBe(false);
    expect(ignores(spec, 'cal.day')).toBe(false);
  });
});
