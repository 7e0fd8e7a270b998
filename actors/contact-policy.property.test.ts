import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Channel } from './catalog/channels.js';
import { isOutbound } from './catalog/channels.js';
import type { StopScope } from './contact-policy.js';
import { isStopped } from './contact-policy.js';
import type { CustomerContext } from './customer-state.js';
import { handleEvent, handleResponse } from './customer-logic.js';
import type { GatewayEvent } from './gateway-event.js';
import { inWindow, localTime } from './local-time.js';
import { compileCatalog } from './catalog/compile-catalog.js';
import { at, customer, testCatalogDef } from './test-support/fixtures.js';

/**
 * Property tests: whatever the events, their order of arrival, the customer's time zone,
 * consents and stop-list entries, no decision ever breaks a frequency cap, a quiet hour, a
 * recency rule, a missing consent or the stop list.
 */

const zones = ['Europe/Moscow', 'Asia/Vladivostok', 'Europe/Kaliningrad', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'UTC'];
const base = at('2026-03-01T00:00:00Z');
const DAY = 86_400_000;
/**
 * The test catalog plus a campaign that only the policy restrains: an SMS on any card
 * transaction, at any hour, limited by nothing but the caps, the quiet hours and a campaign
 * recency rule, so breaking any of them shows.
 */
const catalogDef = testCatalogDef();
catalogDef.campaigns.push({
  id: 'any-time-sms',
  name: 'Restrained only by the policy',
  status: 'active',
  offer: 'welcome',
  channels: ['sms'],
  trigger: { events: ['card.transaction'] },
  groups: [{ id: 'everyone', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 50 }],
  // Only a campaign rule, longer than the daily cap, keeps it from texting every day.
  recency: { sameOfferDays: 0, sameCampaignDays: 2, afterDeclineDays: 0 },
});
const testCatalog = compileCatalog(catalogDef);
const policy = testCatalog.policy;

type Step =
  | { kind: 'event'; type: string; offset: number; data?: Record<string, unknown>; location?: GatewayEvent['location'] }
  | { kind: 'response'; pick: number; outcome: string; offset: number };

// Ten days: events crowd together, so the windows of the rules overlap often.
const offset = fc.integer({ min: 0, max: 10 * DAY });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('event' as const), type: fc.constant('atm.withdrawal.declined'), offset, data: fc.record({ requested: fc.integer({ min: 100, max: 5000 }), balance: fc.integer({ min: 0, max: 3000 }) }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('event' as const), type: fc.constantFrom('ib.login', 'callcenter.call'), offset }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('event' as const), type: fc.constant('card.transaction'), offset, data: fc.record({ amount: fc.integer({ min: 1, max: 5000 }), mcc: fc.constantFrom('5812', '5814', '5411') }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('event' as const), type: fc.constant('branch.visit'), offset, location: fc.constant({ lat: 55.7614, lon: 37.609, place: 'branch-1' }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('event' as const), type: fc.constant('sms.received'), offset, data: fc.record({ text: fc.constantFrom('1', 'нет', 'СТОП', 'привет') }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('event' as const), type: fc.constantFrom('consent.granted', 'consent.revoked'), offset, data: fc.record({ channel: fc.constantFrom('sms', 'email') }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('response' as const), pick: fc.nat(), outcome: fc.constantFrom('accepted', 'declined', 'dismissed', 'clicked'), offset }) },
);

const stops: fc.Arbitrary<StopScope[]> = fc.array(
  fc.oneof(
    { weight: 1, arbitrary: fc.constant<StopScope>({}) },
    { weight: 3, arbitrary: fc.record({ channel: fc.constantFrom('sms', 'email', 'ib', 'callcenter') }) },
    { weight: 3, arbitrary: fc.record({ campaign: fc.constantFrom('shortfall', 'senior-deposit', 'lunch') }) },
  ),
  { maxLength: 2, size: 'small' },
);

const consents = fc.oneof(
  { weight: 3, arbitrary: fc.constant(['sms', 'email', 'push']) },
  { weight: 1, arbitrary: fc.subarray(['sms', 'email', 'push']) },
).map((granted) =>
  Object.fromEntries(granted.map((ch) => [ch, { granted: true, at: 0, source: 'import' }])),
);

function allowedAt(t: number, tz: string): boolean {
  const local = localTime(t, tz);
  const weekend = local.weekday === 0 || local.weekday === 6;
  const h = weekend ? policy.quietHours.weekends : policy.quietHours.weekdays;
  return inWindow(local.minuteOfDay, h.from, h.to);
}

describe('contact policy, for any sequence of events', () => {
  it('never breaks a cap, a quiet hour, a recency rule, consent or the stop list', () => {
    let offered = 0;
    fc.assert(
      fc.property(fc.constantFrom(...zones), consents, stops, fc.array(step, { minLength: 5, maxLength: 60 }), (tz, granted, stopList, steps) => {
        let ctx: CustomerContext = customer({ consents: granted, profile: { firstName: 'Ирина', patronymic: 'Петровна', lastName: 'Соколова', age: 62, timezone: tz } });
        let n = 0;
        for (const s of steps) {
          n++;
          const t = base + s.offset;
          if (s.kind === 'response') {
            const target = ctx.contacts[s.pick % Math.max(1, ctx.contacts.length)];
            if (target === undefined) continue;
            ctx = handleResponse(ctx, { type: 'gateway.response', response: { id: `r-${n}`, instance: target.instance, outcome: s.outcome, at: t }, now: t, catalog: testCatalog }).ctx;
            continue;
          }
          const before = ctx;
          const e: GatewayEvent = { id: `e-${n}`, type: s.type, customer: { id: 'c-1' }, at: t };
          if (s.data !== undefined) e.data = s.data;
          if (s.location !== undefined) e.location = s.location;
          const r = handleEvent(ctx, { type: 'gateway.event', event: e, now: t, catalog: testCatalog, stops: stopList });
          ctx = r.ctx;
          if (r.reply.kind !== 'decision') continue;
          for (const a of r.reply.actions) {
            offered++;
            const campaign = testCatalog.campaigns.find((c) => c.id === a.campaign)!;
            const channel = a.channel as Channel;
            // The stop list.
            expect(isStopped(stopList, a.campaign, a.channel)).toBe(false);
            // Consent, as it stood once the event itself was taken in.
            if (policy.consentRequired.has(channel)) expect(r.ctx.consents[channel]?.granted).toBe(true);
            // Quiet hours, in the customer's own time zone.
            if (isOutbound(channel) && policy.quietHours.channels.has(channel) && !campaign.quietHoursExempt) expect(allowedAt(t, tz)).toBe(true);
            // Recency, against everything known before this event.
            for (const k of before.contacts.filter((c) => c.marketing)) {
              if (k.offer === a.offer) expect(Math.abs(k.at - t)).toBeGreaterThanOrEqual(campaign.recency.sameOfferMs);
              if (k.campaign === a.campaign) expect(Math.abs(k.at - t)).toBeGreaterThanOrEqual(campaign.recency.sameCampaignMs);
            }
            for (const d of before.responses.filter((x) => x.offer === a.offer && x.outcome === 'declined')) {
              expect(t >= d.at && t < d.at + campaign.recency.afterDeclineMs).toBe(false);
            }
          }
        }
        // Caps, over the whole history, whatever order the events came in.
        const counted = ctx.contacts.filter((c) => c.marketing && !policy.sessionExempt.has(c.channel as Channel));
        for (const cap of policy.caps) {
          const groups = cap.channel === 'any' ? [counted] : [...new Set(counted.map((c) => c.channel))].map((ch) => counted.filter((c) => c.channel === ch));
          for (const g of groups) {
            if (cap.channel !== '*' && cap.channel !== 'any' && g[0]?.channel !== cap.channel) continue;
            for (const s of g) expect(g.filter((c) => c.at >= s.at && c.at < s.at + cap.windowMs).length).toBeLessThanOrEqual(cap.max);
          }
        }
      }),
      { numRuns: 500, seed: 20261123 },
    );
    // The property is about decisions that were made: make sure plenty were.
    expect(offered).toBeGreaterThan(500);
  });
});
