import { describe, expect, it } from 'vitest';
import { compileCatalog } from './catalog/compile-catalog.js';
import { customerMachine } from './customer.machine.js';
import type { CustomerMessage, CustomerReply, ResponseMessage } from './customer-logic.js';
import type { CustomerContext, ResponseRecord } from './customer-state.js';
import type { CustomerSnapshot } from './customer-stepper.js';
import { createCustomerStepper } from './customer-stepper.js';
import { ingestEvent, newIdentifiers } from './ingest.js';
import type { CustomerLimits } from './limits.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, boundedResponseData, defaultLimits, describeDuration, effectiveRetentionMs, eventTimeProblem, longestOfferExpiryMs, stateBounds } from './limits.js';
import { withResponse } from './respond.js';
import { at, customer, event, message, testCatalog, testCatalogDef } from './test-support/fixtures.js';

/** The per-customer bounds in the brain: idempotency memory by time, `at` around the clock, what accumulates. */

const stepper = createCustomerStepper(customerMachine);
const T = at('2026-03-02T10:00:00+03:00');

function step(s: CustomerSnapshot, msg: CustomerMessage): { next: CustomerSnapshot; reply: CustomerReply | undefined; types: string[] } {
  const [next, effects] = stepper.step(s, msg);
  const reply = effects.find((e) => e.type === 'reply')?.params.reply;
  return { next, reply, types: effects.map((e) => e.type) };
}

const shortfall = (id: string, when?: number) =>
  event('atm.withdrawal.declined', { id, channel: 'atm', ...(when === undefined ? {} : { at: when }), data: { requested: 1000, balance: 800 } });

describe('idempotency memory', () => {
  it('answers a repeated ATM event id with its first decision after 40 other events and 25 hours, and 6 days, with no second contact', () => {
    let s = stepper.restore('client', customer());
    const first = step(s, message(shortfall('atm-1'), T));
    expect(first.reply).toMatchObject({ kind: 'decision', duplicate: false, actions: [expect.objectContaining({ channel: 'sms', campaign: 'shortfall' })] });
    s = first.next;
    for (let i = 0; i < 40; i++) {
      const now = T + (i + 1) * 30 * MINUTE_MS;
      s = step(s, message(event('card.transaction', { id: `tx-${i}`, data: { amount: 10, mcc: '5411' } }), now)).next;
    }
    expect(s.context.seen.id).toHaveLength(41);
    for (const later of [25 * HOUR_MS, 6 * DAY_MS]) {
      const again = step(s, message(shortfall('atm-1'), T + later));
      expect(again.reply).toEqual({ ...first.reply, duplicate: true });
      expect(again.types).toEqual(['reply']);
      expect(again.next).toBe(s);
    }
    expect(s.context.contacts).toHaveLength(1);
    // Past the retention (7 days of the server's clock), the next request forgets it; the id is new again.
    s = step(s, message(event('card.transaction', { id: 'tx-late' }), T + 7 * DAY_MS + 21 * HOUR_MS)).next;
    expect(s.context.seen.id).toEqual(['tx-late']);
    const week = step(s, message(shortfall('atm-1'), T + 7 * DAY_MS + 22 * HOUR_MS));
    expect(week.reply).toMatchObject({ kind: 'decision', duplicate: false });
  });

  it('keeps ids at least as long as the catalog keeps an offer open', () => {
    const def = testCatalogDef();
    def.campaigns[0]!.expiresIn = '30d';
    const catalog = compileCatalog(def);
    expect(longestOfferExpiryMs(catalog)).toBe(30 * DAY_MS);
    expect(effectiveRetentionMs(defaultLimits, catalog)).toBe(30 * DAY_MS);
    expect(effectiveRetentionMs(defaultLimits, testCatalog)).toBe(7 * DAY_MS);
    const first = step(stepper.restore('client', customer()), message(shortfall('atm-2'), T, catalog));
    const again = step(first.next, message(shortfall('atm-2'), T + 20 * DAY_MS, catalog));
    expect(again.reply).toMatchObject({ kind: 'decision', duplicate: true });
  });

  it('forgets the oldest answers without a contact past the cap, and refuses a new request rate_limited rather than forget a contact', () => {
    const limits: CustomerLimits = { ...defaultLimits, idempotencyMaxIds: 3 };
    const withLimits = (m: CustomerMessage): CustomerMessage => ({ ...m, limits }) as CustomerMessage;
    let s = stepper.restore('client', customer());
    s = step(s, withLimits(message(event('card.transaction', { id: 'quiet-1' }), T))).next;
    s = step(s, withLimits(message(shortfall('atm-a'), T + 1000))).next;
    s = step(s, withLimits(message(event('card.transaction', { id: 'quiet-2' }), T + 2000))).next;
    s = step(s, withLimits(message(event('card.transaction', { id: 'quiet-3' }), T + 3000))).next;
    expect(s.context.seen.id).toEqual(['atm-a', 'quiet-2', 'quiet-3']);
    // Three entries, every one of them a contact: a fourth request is refused, and changes nothing.
    const full: CustomerContext = {
      ...s.context,
      seen: { id: ['a', 'b', 'c'], at: [T, T + 1, T + 2], actions: [0, 1, 2].map(() => [{ instance: 'c-1:1.x', campaign: 'shortfall', offer: 'credit', channel: 'sms', content: { text: 'x' } }]) },
    };
    const f = stepper.restore('client', full);
    const refused = step(f, withLimits(message(event('card.transaction', { id: 'new-1' }), T + HOUR_MS)));
    expect(refused.reply).toMatchObject({ kind: 'error', re: 'new-1', code: 'rate_limited', message: expect.stringContaining('3 request ids remembered from the last 7 days') });
    expect(refused.types).toEqual(['reply']);
    expect(refused.next).toBe(f);
    // A repeat is still answered; a response is refused too; the server's own reminder is not.
    expect(step(f, withLimits(message(event('card.transaction', { id: 'b' }), T + HOUR_MS))).reply).toMatchObject({ kind: 'decision', duplicate: true });
    const response: ResponseMessage = { type: 'gateway.response', response: { id: 'r-1', instance: 'c-1:1.x', outcome: 'clicked' }, now: T + HOUR_MS, catalog: testCatalog, limits };
    expect(step(f, response).reply).toMatchObject({ code: 'rate_limited' });
    const reminder = step(f, { ...withLimits(message(event('followup.due', { id: 'reminder:x@1' }), T + HOUR_MS)), reminder: 'x' } as CustomerMessage);
    expect(reminder.reply).toMatchObject({ kind: 'decision' });
    expect(reminder.next.context.seen.id).toEqual(['a', 'b', 'c', 'reminder:x@1']);
    // Once the oldest contact is past the retention, there is room again.
    expect(step(f, withLimits(message(event('card.transaction', { id: 'new-2' }), T + 7 * DAY_MS + 1))).reply).toMatchObject({ kind: 'decision', duplicate: false });
  });
});

describe('time sanity', () => {
  it('bounds at around the server clock, naming at and the bound', () => {
    expect(eventTimeProblem(undefined, T, defaultLimits)).toBeUndefined();
    expect(eventTimeProblem(T - MINUTE_MS, T, defaultLimits)).toBeUndefined();
    expect(eventTimeProblem(T + 5 * MINUTE_MS, T, defaultLimits)).toBeUndefined();
    expect(eventTimeProblem(T + 6 * MINUTE_MS, T, defaultLimits)).toBe(`field "at": ${T + 6 * MINUTE_MS} is 6 min after the server's clock; at most 5 min ahead is accepted`);
    expect(eventTimeProblem(T + 20 * 365 * DAY_MS, T, defaultLimits)).toMatch(/20 years after the server's clock/);
    expect(eventTimeProblem(9e15, T, defaultLimits)).toMatch(/^field "at": 9000000000000000 is .* years after/);
    expect(eventTimeProblem(T - 7 * DAY_MS, T, defaultLimits)).toBeUndefined();
    expect(eventTimeProblem(T - 8 * DAY_MS, T, defaultLimits)).toBe(`field "at": ${T - 8 * DAY_MS} is 8 days before the server's clock; at most 7 days old is accepted`);
    // The host's first look lets through what a remembered request may have had, naming the same bound.
    expect(eventTimeProblem(T - 8 * DAY_MS, T, defaultLimits, 7 * DAY_MS)).toBeUndefined();
    expect(eventTimeProblem(0, T, defaultLimits, 7 * DAY_MS)).toMatch(/at most 7 days old is accepted$/);
    expect(describeDuration(90_000)).toBe('90 s');
    expect(describeDuration(3 * HOUR_MS)).toBe('3 h');
  });

  it('refuses an event out of bounds in the actor before any stage change, but answers a repeat of an accepted one', () => {
    const prospect = stepper.restore('prospect', { ...customer(), stage: 'prospect' });
    const opened = event('account.opened', { id: 'open-1', at: T + 365 * DAY_MS });
    const refused = step(prospect, message(opened, T));
    expect(refused.reply).toMatchObject({ kind: 'error', code: 'invalid', message: expect.stringContaining('field "at"') });
    expect(refused.next).toBe(prospect);
    // Accepted 6 days late; repeated 2 days on (now 8 days old): the first answer, not a refusal.
    const late = shortfall('late-1', T - 6 * DAY_MS);
    const first = step(stepper.restore('client', customer()), message(late, T));
    expect(first.reply).toMatchObject({ kind: 'decision' });
    expect(step(first.next, message(late, T + 2 * DAY_MS)).reply).toMatchObject({ kind: 'decision', duplicate: true });
    expect(step(first.next, message({ ...late, id: 'late-2' }, T + 2 * DAY_MS)).reply).toMatchObject({ kind: 'error', code: 'invalid' });
  });
});

describe('bounded state', () => {
  const rec = (i: number, outcome: string, instance = 'c-1:1.a'): ResponseRecord => ({ id: `r-${i}`, instance, campaign: 'shortfall', offer: 'credit', outcome, at: i });

  it('keeps a response data of scalars only, within its bounds', () => {
    expect(boundedResponseData(undefined)).toBeUndefined();
    const small = { button: 'ok', n: 1, yes: true };
    expect(boundedResponseData(small)).toBe(small);
    expect(boundedResponseData({ note: 'я'.repeat(60_000), nested: { a: [1] }, list: [1, 2], n: Number.NaN, button: 'ok' })).toEqual({ button: 'ok' });
    expect(boundedResponseData({ nested: { a: 1 } })).toBeUndefined();
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'x'.repeat(200)]));
    const kept = boundedResponseData(many)!;
    expect(Object.keys(kept).length).toBeLessThanOrEqual(stateBounds.responseDataEntries);
    expect(Object.entries(kept).reduce((n, [k, v]) => n + k.length + String(v).length, 0)).toBeLessThanOrEqual(stateBounds.responseDataChars);
    expect(Object.getPrototypeOf(boundedResponseData(JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as Record<string, unknown>))).toBe(Object.prototype);
  });

  it('replaces a repeated outcome for an instance and counts it, keeps 8 records an instance and 200 in all', () => {
    let rs: ResponseRecord[] = [];
    for (let i = 0; i < 5; i++) rs = withResponse(rs, rec(i, 'clicked'));
    expect(rs).toEqual([{ ...rec(4, 'clicked'), count: 5 }]);
    rs = withResponse(rs, rec(5, 'declined'));
    for (let i = 6; i < 30; i++) rs = withResponse(rs, rec(i, `custom-${i}`));
    expect(rs).toHaveLength(stateBounds.responsesPerInstance);
    // The closing answer stays; the oldest of the others went.
    expect(rs.map((r) => r.outcome)).toEqual(['declined', ...Array.from({ length: 7 }, (_, i) => `custom-${i + 23}`)]);
    for (let i = 0; i < 300; i++) rs = withResponse(rs, rec(100 + i, 'accepted', `c-1:${i}.b`));
    expect(rs).toHaveLength(200);
    expect(rs.at(-1)).toMatchObject({ instance: 'c-1:299.b' });
  });

  it('collects at most so many identifiers of a kind from events, and neither adds nor indexes more', () => {
    const ctx = customer({ identifiers: { cookie: Array.from({ length: stateBounds.identifiers.cookie }, (_, i) => `ck-${i}`), phone: ['+79161234567'] } });
    expect(newIdentifiers(ctx.identifiers, event('web.pageview', { customer: { id: 'c-1', cookie: 'ck-new', phone: '+79160000000' } }))).toEqual([{ kind: 'phone', value: '+79160000000' }]);
    const r = ingestEvent(ctx, event('web.pageview', { customer: { id: 'c-1', cookie: 'ck-new' } }), T, testCatalog);
    expect(r.links).toEqual([]);
    expect(r.ctx.identifiers.cookie).toHaveLength(stateBounds.identifiers.cookie);
  });

  it('records consent for channels Kairos knows only, and takes no profile string past its bound', () => {
    const channels = ['sms', ...Array.from({ length: 1000 }, (_, i) => `made-up-${i}`)];
    const r = ingestEvent(customer(), event('consent.revoked', { data: { channels } }), T, testCatalog);
    expect(Object.keys(r.ctx.consents).sort()).toEqual(['email', 'push', 'sms']);
    expect(r.ctx.consents.sms?.granted).toBe(false);
    const p = ingestEvent(customer(), event('profile.updated', { data: { city: 'x'.repeat(60_000), job: 'engineer' } }), T, testCatalog);
    expect(p.ctx.profile).toMatchObject({ job: 'engineer' });
    expect(p.ctx.profile.city).toBeUndefined();
  });

  it('drops the feature series of features a new catalog no longer has', () => {
    const fed = ingestEvent(customer(), event('card.transaction', { data: { amount: 100, mcc: '5812' } }), T, testCatalog).ctx;
    const withStale = { ...fed, features: { ...fed.features, gone_30d: [1, 1, 1, 1, 1] } };
    expect(Object.keys(ingestEvent(withStale, event('ib.login'), T + 1000, testCatalog).ctx.features)).toContain('gone_30d');
    const next = compileCatalog({ ...testCatalogDef(), version: 2 });
    expect(Object.keys(ingestEvent(withStale, event('ib.login'), T + 2000, next).ctx.features).sort()).toEqual(Object.keys(fed.features).sort());
  });

  it('keeps the last 50 lifecycle entries', () => {
    let s = stepper.restore('client', customer());
    for (let i = 0; i < 60; i++) {
      const when = T + i * MINUTE_MS;
      const type = i % 2 === 0 ? 'client.churned' : 'account.opened';
      s = step(s, message(event(type, { id: `life-${i}`, at: when }), when)).next;
    }
    expect(s.context.lifecycle).toHaveLength(50);
    expect(s.context.lifecycle.at(-1)).toMatchObject({ reason: 'account.opened', at: T + 59 * MINUTE_MS });
  });
});
