import { describe, expect, it } from 'vitest';
import { compileCatalog } from './catalog/compile-catalog.js';
import type { CatalogDef } from './catalog/definition-schema.js';
import type { CustomerContext } from './customer-state.js';
import type { EventMessage } from './customer-logic.js';
import { handleEvent, isRepeat, refusal, replayReply } from './customer-logic.js';
import { mergeCustomers } from './merge-customers.js';
import { RUN_EVENT, RUNS_REMEMBERED, rememberRun, runAnswer, runEvent } from './outbound-run.js';
import { DEFERRED_EVENT } from './decision/deferral.js';
import { at, customer, event, testCatalogDef } from './test-support/fixtures.js';

/**
 * An outbound run as the customer's actor sees it: the hand-over decides the run's campaign
 * alone, under every rule; it is remembered, so handed again it answers the same and does
 * nothing; a capacity-blocked one is not final; it is not the customer's activity.
 */

/** The test catalog with an outbound campaign over the seniors: SMS, else e-mail. */
function def(): CatalogDef {
  const d = testCatalogDef();
  d.offers.find((o) => o.id === 'deposit')!.templates.sms = { text: '{{customer.name}}, вклад {{offer.rate | percent}}.' };
  d.campaigns.push({
    id: 'deposit-run',
    name: 'Deposit run',
    status: 'active',
    offer: 'deposit',
    channels: ['sms', 'email'],
    outbound: { segments: ['seniors'] },
    groups: [{ id: 'all', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 20 }],
  });
  return d;
}

const catalog = compileCatalog(def());
const run = { id: 'deposit-run~20260302T070000', campaign: 'deposit-run' };
const T = at('2026-03-02T12:00:00+03:00');

function handOver(ctx: CustomerContext, now = T, cat = catalog, extra: Partial<EventMessage> = {}): ReturnType<typeof handleEvent> {
  return handleEvent(ctx, { type: 'gateway.event', event: runEvent(run, ctx.id, now), now, catalog: cat, stops: [], run, ...extra });
}

describe('an outbound campaign in the catalog', () => {
  it('compiles its segments and schedule, and refuses a trigger event, an unknown segment, a bad schedule', () => {
    const c = catalog.campaigns.find((x) => x.id === 'deposit-run')!;
    expect(c.outbound).toEqual({ segments: ['seniors'] });
    const withSchedule = def();
    withSchedule.campaigns.at(-1)!.outbound = { segments: ['seniors'], schedule: { weekly: { weekday: 1, at: '10:00' } } };
    expect(compileCatalog(withSchedule).campaigns.at(-1)!.outbound?.schedule).toEqual({ weekly: { weekday: 1, minuteOfDay: 600 } });
    const refused = (change: (d: CatalogDef) => void, message: RegExp): void => {
      const d = def();
      change(d);
      expect(() => compileCatalog(d)).toThrow(message);
    };
    refused((d) => (d.campaigns.at(-1)!.trigger = { events: ['ib.login'] }), /started by its runs: no events/);
    refused((d) => (d.campaigns.at(-1)!.outbound = { segments: ['nope'] }), /unknown segment "nope"/);
    refused((d) => (d.campaigns.at(-1)!.outbound = { schedule: { daily: '25:00' } }), /HH:MM/);
    refused((d) => delete d.campaigns[0]!.trigger, /campaigns\[0\].trigger: must be a trigger/);
  });
});

/** def() with a campaign that greets a customer entering the seniors by e-mail. */
function withGreeting(): CatalogDef {
  const d = def();
  d.campaigns.push({ id: 'senior-greeting', name: 'Greeting', status: 'active', offer: 'deposit', channels: ['email'], trigger: { events: ['segment.entered.seniors'] }, groups: [{ id: 'all', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 20 }] });
  return d;
}

describe('a run handed to a customer', () => {
  it('decides its campaign alone, names the run on the explanation and the contact, and remembers it', () => {
    const r = handOver(customer());
    expect(r.trace.explain).toEqual([expect.objectContaining({ campaign: 'deposit-run', verdict: 'offered', channel: 'sms', run: run.id })]);
    expect(r.reply).toMatchObject({ kind: 'decision', duplicate: false, run: { outcome: 'offered', final: true } });
    expect(r.outbox).toEqual([expect.objectContaining({ campaign: 'deposit-run', channel: 'sms' })]);
    expect(r.ctx.contacts.at(-1)).toMatchObject({ campaign: 'deposit-run', run: run.id });
    expect(r.ctx.runs).toEqual({ [run.id]: 'offered' });
    // not an activity, not a request id
    expect(r.ctx.lastEventAt).toBe(customer().lastEventAt);
    expect(r.ctx.seen.id).toEqual(customer().seen.id);
  });

  it('handed the same run again: a repeat, answered as before, with nothing done', () => {
    const first = handOver(customer()).ctx;
    const msg: EventMessage = { type: 'gateway.event', event: runEvent(run, 'c-1', T + 60_000), now: T + 60_000, catalog, stops: [], run };
    expect(isRepeat(first, msg)).toBe(true);
    expect(replayReply(first, msg)).toEqual({ kind: 'decision', re: `run:${run.id}:c-1`, customer: 'c-1', actions: [], duplicate: true, run: { outcome: 'offered', final: true } });
    // another run is new
    expect(isRepeat(first, { ...msg, run: { ...run, id: 'deposit-run~20260303T070000' } })).toBe(false);
  });

  it('handed a run again after more than RUNS_REMEMBERED other runs: still a repeat, by the contact the run made', () => {
    let ctx = handOver(customer()).ctx;
    const handedAgain = (c: CustomerContext, r: typeof run, now: number): EventMessage => ({ type: 'gateway.event', event: runEvent(r, c.id, now), now, catalog, stops: [], run: r });
    // as many other runs as are remembered and one more, each final (held off by the caps), push the run out of `runs`
    for (let i = 0; i <= RUNS_REMEMBERED; i++) {
      const other = { id: `deposit-run~202603${String(3 + Math.floor(i / 24)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}0000`, campaign: 'deposit-run' };
      const now = T + (i + 1) * 60_000;
      ctx = handleEvent(ctx, handedAgain(ctx, other, now)).ctx;
    }
    expect(ctx.runs?.[run.id]).toBeUndefined();
    expect(ctx.contacts.filter((k) => k.run === run.id)).toHaveLength(1);
    const again = handedAgain(ctx, run, T + 2 * 3_600_000);
    expect(isRepeat(ctx, again)).toBe(true);
    expect(replayReply(ctx, again)).toEqual({ kind: 'decision', re: `run:${run.id}:c-1`, customer: 'c-1', actions: [], duplicate: true, run: { outcome: 'offered', final: true } });
    // a control-group hold-out of the run answers as the run counted it
    const heldOut = { ...ctx, contacts: ctx.contacts.map((k) => (k.run === run.id ? { ...k, control: true } : k)) };
    expect(replayReply(heldOut, again)).toMatchObject({ duplicate: true, run: { outcome: 'control', final: true } });
  });

  it('no other campaign answers a run, and the outbound campaign answers no event', () => {
    const c = customer();
    // senior-deposit would answer ib.login for this senior; the run does not trigger it
    expect(handOver(c).trace.explain.map((e) => e.campaign)).toEqual(['deposit-run']);
    const login = handleEvent(c, { type: 'gateway.event', event: event('ib.login', { at: T, channel: 'ib' }), now: T, catalog, stops: [] });
    expect(login.trace.explain.map((e) => e.campaign)).not.toContain('deposit-run');
    // a gateway's event of the run's type, without the run beside it, triggers nothing
    const forged = handleEvent(c, { type: 'gateway.event', event: { ...event(RUN_EVENT, { at: T }), data: { run: run.id } }, now: T, catalog, stops: [] });
    expect(forged.trace.explain).toEqual([]);
  });

  it('a customer out of the run\'s segments now is suppressed not_in_segment, and that is final', () => {
    const young = customer({ profile: { firstName: 'Ира', patronymic: 'Петровна', lastName: 'С', age: 30 } });
    const r = handOver(young);
    expect(r.trace.explain).toEqual([expect.objectContaining({ campaign: 'deposit-run', verdict: 'suppressed', reason: 'not_in_segment', run: run.id })]);
    expect(r.ctx.runs).toEqual({ [run.id]: 'not_in_segment' });
  });

  it('falls back to e-mail where the SMS may not go, and keeps the stop list', () => {
    const noSms = customer({ consents: { email: { granted: true, at: 0, source: 'import' } } });
    expect(handOver(noSms).outbox).toEqual([expect.objectContaining({ channel: 'email' })]);
    // a stop with no channel and no campaign: everything, everywhere
    const stopped = handOver(customer(), T, catalog, { stops: [{}] });
    expect(stopped.trace.explain).toEqual([expect.objectContaining({ verdict: 'suppressed', reason: 'stop_list' })]);
    expect(stopped.ctx.runs).toEqual({ [run.id]: 'stop_list' });
  });

  it('at night defers the SMS with the run on it; the retry in the morning counts for the run', () => {
    const noEmail = customer({ consents: { sms: { granted: true, at: 0, source: 'import' } } });
    const night = at('2026-03-02T23:00:00+03:00');
    const r = handOver(noEmail, night);
    expect(r.trace.explain).toEqual([expect.objectContaining({ reason: expect.stringMatching(/^deferred:sms=quiet_hours/), run: run.id })]);
    expect(r.ctx.runs).toEqual({ [run.id]: 'deferred' });
    const retry = r.reminders.find((x): x is Extract<typeof x, { due: number }> => 'event' in x && x.event === DEFERRED_EVENT)!;
    expect(retry.data).toMatchObject({ run: run.id });
    const morning = handleEvent(r.ctx, { type: 'gateway.event', event: { id: 'retry-1', type: DEFERRED_EVENT, customer: { id: 'c-1' }, at: retry.due, data: retry.data }, now: retry.due, catalog, stops: [], reminder: retry.name });
    expect(morning.trace.explain).toEqual([expect.objectContaining({ campaign: 'deposit-run', verdict: 'offered', channel: 'sms', run: run.id })]);
    expect(morning.ctx.contacts.at(-1)).toMatchObject({ run: run.id });
  });

  it('blocked for want of channel capacity today: not final, not remembered', () => {
    const r = handOver(customer(), T, catalog, { channelsFull: new Set(['sms', 'email']) });
    expect(r.reply).toMatchObject({ run: { outcome: 'no_channel', final: false } });
    expect(r.ctx.runs).toBeUndefined();
    expect(runAnswer([{ campaign: 'x', verdict: 'suppressed', reason: 'no_channel:sms=capacity,email=no_consent' }], 'x')).toEqual({ outcome: 'no_channel', final: false });
    expect(runAnswer([{ campaign: 'x', verdict: 'suppressed', reason: 'no_channel:sms=no_consent' }], 'x')).toEqual({ outcome: 'no_channel', final: true });
  });

  it('brings the segment changes it evaluated to their campaigns, counted for no run', () => {
    const cat = compileCatalog(withGreeting());
    const r = handOver(customer(), T, cat);
    // entered "seniors" with this step: the greeting answers the entry as any step's would
    expect(r.trace.segmentChanges).toEqual([expect.objectContaining({ segment: 'seniors', change: 'entered' })]);
    const byCampaign = new Map(r.trace.explain.map((e) => [e.campaign, e]));
    expect(byCampaign.get('deposit-run')).toMatchObject({ verdict: 'offered', channel: 'sms', run: run.id });
    expect(byCampaign.get('senior-greeting')).toMatchObject({ verdict: 'offered', channel: 'email' });
    expect(byCampaign.get('senior-greeting')?.run).toBeUndefined();
    expect(r.ctx.contacts.find((c) => c.campaign === 'senior-greeting')?.run).toBeUndefined();
    expect(r.reply).toMatchObject({ run: { outcome: 'offered', final: true } });
  });

  it('a gateway cannot forge a retry: an offer.deferred event not fired by the server triggers no campaign and counts for no run', () => {
    const forged = handleEvent(customer(), {
      type: 'gateway.event',
      event: { id: 'forged-1', type: DEFERRED_EVENT, customer: { id: 'c-1' }, at: T, data: { deferred: { campaign: 'deposit-run', until: T + 86_400_000, trigger: 'x' }, run: run.id } },
      now: T,
      catalog,
      stops: [],
    });
    expect(forged.trace.explain).toEqual([]);
    expect(forged.outbox).toEqual([]);
    expect(forged.ctx.deferrals).toBeUndefined();
  });

  it('the campaign paused or ended: not final, so the run stops there and hands the customer again if it goes on', () => {
    const paused = def();
    paused.campaigns.at(-1)!.status = 'paused';
    const r = handOver(customer(), T, compileCatalog(paused));
    expect(r.reply).toMatchObject({ run: { outcome: 'inactive', final: false } });
    expect(r.ctx.runs).toBeUndefined();
    const ended = def();
    ended.campaigns.at(-1)!.endsAt = '2026-03-01T00:00:00+03:00';
    expect(handOver(customer(), T, compileCatalog(ended)).reply).toMatchObject({ run: { outcome: 'ended', final: false } });
  });

  it('the run paused or cancelled when its hand-over is decided: nobody offered, not final, not counted', () => {
    const cancelled = handOver(customer(), T, catalog, { runsCancelled: new Set([run.id]) });
    expect(cancelled.reply).toMatchObject({ run: { outcome: 'run_cancelled', final: false } });
    expect(cancelled.outbox).toEqual([]);
    expect(cancelled.ctx.runs).toBeUndefined();
    expect(cancelled.ctx.contacts).toEqual(customer().contacts);
    expect(cancelled.trace.uncounted).toEqual(['deposit-run']);
    const paused = handOver(customer(), T, catalog, { runsPaused: new Set([run.id]) });
    expect(paused.reply).toMatchObject({ run: { outcome: 'run_paused', final: false } });
    expect(paused.outbox).toEqual([]);
    // another run's stop is not this one's
    expect(handOver(customer(), T, catalog, { runsCancelled: new Set(['other~20260302T070000']) }).reply).toMatchObject({ run: { outcome: 'offered', final: true } });
  });

  it('two customers merged keep the runs either was handed', () => {
    const a = handOver(customer()).ctx;
    const other = { id: 'deposit-run~20260301T070000', campaign: 'deposit-run' };
    const b = handleEvent(customer({ id: 'c-2' }), { type: 'gateway.event', event: runEvent(other, 'c-2', T), now: T, catalog, stops: [], run: other }).ctx;
    const merged = mergeCustomers(b, a, T + 1).ctx;
    expect(merged.runs).toEqual({ [other.id]: 'offered', [run.id]: 'offered' });
  });

  it('is never refused for a full idempotency memory, and remembers the latest runs only', () => {
    const full = { ...customer(), seen: { ...customer().seen } };
    expect(refusal(full, { type: 'gateway.event', event: runEvent(run, 'c-1', T), now: T, catalog, stops: [], run, limits: { idempotencyMaxIds: 0, idempotencyRetentionMs: 1, maxClockSkewMs: 1, maxEventAgeMs: 1, staleEventMs: 1 } })).toBeUndefined();
    let runs: Record<string, string> | undefined;
    for (let i = 0; i < RUNS_REMEMBERED + 5; i++) runs = rememberRun(runs, `r${i}`, 'offered');
    expect(Object.keys(runs!)).toHaveLength(RUNS_REMEMBERED);
    expect(runs!.r0).toBeUndefined();
    expect(runs![`r${RUNS_REMEMBERED + 4}`]).toBe('offered');
  });
});
