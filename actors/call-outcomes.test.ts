import { describe, expect, it } from 'vitest';
import { compileCatalog } from './catalog/compile-catalog.js';
import type { CatalogDef } from './catalog/definition-schema.js';
import type { CustomerContext } from './customer-state.js';
import { UNTAUGHT_CALLS_KEPT, keepUntaught } from './customer-state.js';
import { handleEvent, handleResponse } from './customer-logic.js';
import type { HandleResult } from './customer-logic.js';
import { mergeCustomers } from './merge-customers.js';
import type { RunCall } from './outbound-run.js';
import { runEvent, waveProblem } from './outbound-run.js';
import { CALLBACK_EVENT, callbackTime, warmLeadEvent } from './call-outcomes.js';
import { OFFER_EXPIRY_EVENT } from './reminders.js';
import { recencyProblem } from './decision/customer-filters.js';
import { at, customer, testCatalogDef } from './test-support/fixtures.js';

/**
 * Call-centre waves as the customer's actor sees them (docs/outbound.md#call-centre-waves):
 * a wave's call and its outcomes; a later wave calls again only who was not reached, recency
 * not counting the call it follows up; a call back at the time asked for; a warm lead once a
 * campaign, with the manager's notice and the event that triggers the personal offer; a call
 * nobody reported on teaches the models nothing.
 */

function def(): CatalogDef {
  const d = testCatalogDef();
  d.offers.push({ id: 'card-personal', name: 'Card', value: 500, templates: { sms: { text: '{{customer.name}}, карта для вас.' } } });
  d.campaigns.push(
    {
      id: 'calls',
      name: 'Calls',
      status: 'active',
      offer: 'deposit',
      channels: ['callcenter'],
      pushTo: ['callcenter'],
      outbound: { segments: ['seniors'], waves: { count: 3, every: '2d', warmLeads: { threshold: 70, interest: { later: 75 } } } },
      groups: [{ id: 'all', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 20 }],
      expiresIn: '1d',
    },
    {
      id: 'calls-lead',
      name: 'Lead',
      status: 'active',
      offer: 'card-personal',
      channels: ['sms'],
      trigger: { events: [warmLeadEvent('calls')] },
      groups: [{ id: 'all', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 30 }],
    },
  );
  return d;
}

const catalog = compileCatalog(def());
const wave1: RunCall = { id: 'calls~20260302T070000', campaign: 'calls', wave: { n: 1, earlier: [] } };
const wave2: RunCall = { id: 'calls~20260302T070000.w2', campaign: 'calls', wave: { n: 2, earlier: [wave1.id] } };
// a Monday noon in Moscow, outside quiet hours
const T = at('2026-03-02T12:00:00+03:00');
const DAY = 86_400_000;

function handOver(ctx: CustomerContext, run: RunCall, now: number): HandleResult {
  return handleEvent(ctx, { type: 'gateway.event', event: runEvent(run, ctx.id, now), now, catalog, stops: [], run });
}

function answer(ctx: CustomerContext, instance: string, outcome: string, now: number, data?: Record<string, unknown>): HandleResult {
  return handleResponse(ctx, { type: 'gateway.response', response: { id: `r-${outcome}-${now}`, instance, outcome, at: now, ...(data === undefined ? {} : { data }) }, now, catalog });
}

/** The customer called by the first wave: the call and its instance. */
function called(): { ctx: CustomerContext; instance: string } {
  const r = handOver(customer(), wave1, T);
  expect(r.reply).toMatchObject({ kind: 'decision', run: { outcome: 'offered', final: true } });
  const action = r.reply.kind === 'decision' ? r.reply.actions[0]! : undefined;
  expect(action).toMatchObject({ channel: 'callcenter', campaign: 'calls' });
  expect(r.reply.kind === 'decision' && typeof r.reply.run?.score === 'number').toBe(true);
  expect(r.outbox.map((e) => e.channel)).toEqual(['callcenter']);
  return { ctx: r.ctx, instance: action!.instance };
}

describe('call-centre waves in the catalog', () => {
  it('compile the operator channel, the interest map and its defaults; refuse waves without an operator channel or shorter than an offer lives', () => {
    const waves = catalog.campaigns.find((c) => c.id === 'calls')!.outbound!.waves!;
    expect(waves).toMatchObject({ count: 3, everyMs: 2 * DAY, channel: 'callcenter', warmLeads: { threshold: 70, action: 'notify_manager' } });
    expect(Object.fromEntries(waves.warmLeads!.interest)).toEqual({ interested: 80, callback: 60, later: 75 });
    const refused = (change: (d: CatalogDef) => void, message: RegExp): void => {
      const d = def();
      change(d);
      expect(() => compileCatalog(d)).toThrow(message);
    };
    refused((d) => (d.campaigns.find((c) => c.id === 'calls')!.pushTo = []), /every channel of the campaign must be an operator channel/);
    refused((d) => {
      const c = d.campaigns.find((x) => x.id === 'calls')!;
      c.channels = ['sms', 'callcenter'];
    }, /every channel of the campaign must be an operator channel/);
    refused((d) => (d.campaigns.find((c) => c.id === 'calls')!.expiresIn = '3d'), /waves\.every: must be at least the campaign's expiresIn/);
    refused((d) => (d.campaigns.find((c) => c.id === 'calls')!.outbound!.waves!.count = 11), /count: must be a number from 1 to 10/);
  });
});

describe('a later wave', () => {
  it('calls again who did not answer, recency aside, and not who was reached', () => {
    const { ctx, instance } = called();
    const missed = answer(ctx, instance, 'no_answer', T + 3_600_000);
    expect(missed.reply).toMatchObject({ kind: 'ack' });
    // the call is closed, and teaches nothing
    expect(missed.ctx.pending).toEqual([]);
    expect(missed.trace.learned).toEqual([]);
    expect(waveProblem(missed.ctx, wave2)).toBeUndefined();
    const again = handOver(missed.ctx, wave2, T + 2 * DAY);
    expect(again.reply).toMatchObject({ run: { outcome: 'offered' } });

    // reached: declined (any outcome but no answer)
    const declined = answer(ctx, instance, 'declined', T + 3_600_000);
    expect(waveProblem(declined.ctx, wave2)).toBe('reached:declined');
    expect(handOver(declined.ctx, wave2, T + 2 * DAY).reply).toMatchObject({ run: { outcome: 'reached', final: true } });
    // never called by the first wave (a cap held it off, say): called now
    expect(handOver(customer(), wave2, T + 2 * DAY).reply).toMatchObject({ run: { outcome: 'offered' } });
    // the first call still open (its outcome not in, not expired yet): not called over it
    expect(handOver(ctx, wave2, T + 3_600_000).reply).toMatchObject({ run: { outcome: 'call_open', final: true } });
  });

  it('takes a call\'s outcome that comes after it was closed unanswered: reached after all', () => {
    const { ctx, instance } = called();
    const missed = answer(ctx, instance, 'no_answer', T + 3_600_000);
    // the dialer's file the next morning: declined
    const late = answer(missed.ctx, instance, 'declined', T + DAY);
    expect(late.ctx.contacts[0]!.outcome).toBe('declined');
    expect(waveProblem(late.ctx, wave2)).toBe('reached:declined');
    // interested, later still: a warm lead
    const lead = answer(missed.ctx, instance, 'interested', T + DAY);
    expect(lead.ctx.leads).toEqual({ calls: T + DAY });
    // a reached call's outcome is not replaced
    expect(answer(late.ctx, instance, 'interested', T + DAY + 1).ctx.contacts[0]!.outcome).toBe('declined');
  });

  it('leaves recency as it is for offers that are not an operator\'s calls', () => {
    const c = catalog.campaigns.find((x) => x.id === 'calls-lead')!;
    const contact = { instance: 'c-1:1.a', campaign: c.id, offer: c.offer.id, channel: 'sms', at: T, marketing: true, delivery: 'delivered' as const, outcome: 'no_answer' };
    // the policy's week between two offers of the same offer: a "no answer" on an SMS does not lift it
    expect(c.recency.sameOfferMs).toBeGreaterThan(60_000);
    expect(recencyProblem({ ...customer(), contacts: [contact] }, c, T + 60_000)).toBe('recency:offer');
    // an operator's call not answered does not count
    expect(recencyProblem({ ...customer(), contacts: [{ ...contact, channel: 'callcenter', delivery: 'queued' as const }] }, c, T + 60_000)).toBeUndefined();
  });

  it('calls again a call that expired with no outcome reported, which taught the models nothing', () => {
    const { ctx, instance } = called();
    const expiry = handleEvent(ctx, {
      type: 'gateway.event',
      event: { id: `expiry:${instance}`, type: OFFER_EXPIRY_EVENT, customer: { id: ctx.id }, at: T + DAY, data: { instance } },
      now: T + DAY,
      catalog,
      stops: [],
      reminder: `expiry:${instance}`,
    });
    expect(expiry.ctx.contacts[0]!.outcome).toBe('expired');
    expect(expiry.trace.learned).toEqual([]);
    expect(handOver(expiry.ctx, wave2, T + 2 * DAY).reply).toMatchObject({ run: { outcome: 'offered' } });
    // Its outcome reported after all (the dialer's file): it teaches then, once.
    const late = answer(expiry.ctx, instance, 'accepted', T + DAY + 60_000);
    expect(late.trace.learned).toEqual([expect.objectContaining({ campaign: 'calls', offer: 'deposit', positive: true })]);
    expect(late.ctx.untaught).toBeUndefined();
  });

  it("learns from a call's late yes or no once, with the features and score the call was decided with", () => {
    const { ctx, instance } = called();
    const open = ctx.pending[0]!;
    const missed = answer(ctx, instance, 'no_answer', T + 3_600_000);
    expect(missed.trace.learned).toEqual([]);
    expect(missed.ctx.untaught).toEqual([open]);
    // the next morning: declined, a no for the models and the group, as if it had come in time
    const late = answer(missed.ctx, instance, 'declined', T + DAY);
    const taught = { campaign: 'calls', group: open.group, offer: 'deposit', positive: false, ...(open.x === undefined ? {} : { x: open.x }), ...(open.p === undefined ? {} : { p: open.p }), ...(open.arm === undefined ? {} : { arm: open.arm }) };
    expect(late.trace.learned).toEqual([taught]);
    expect(late.ctx.untaught).toBeUndefined();
    // once: the same answer again, or another, teaches nothing more
    expect(answer(late.ctx, instance, 'declined', T + DAY + 1).trace.learned).toEqual([]);
    expect(answer(late.ctx, instance, 'accepted', T + DAY + 2).trace.learned).toEqual([]);
    // an answer that is neither yes nor no teaches nothing, and the call is reached: no later yes teaches either
    const lead = answer(missed.ctx, instance, 'interested', T + DAY);
    expect(lead.trace.learned).toEqual([]);
    expect(answer(lead.ctx, instance, 'accepted', T + DAY + 1).trace.learned).toEqual([]);
    // a merge keeps it: the survivor's late answer teaches
    const merged = mergeCustomers({ ...customer(), id: 'c-2' }, missed.ctx, T + DAY).ctx;
    expect(merged.untaught).toEqual([open]);
    expect(answer(merged, instance, 'accepted', T + DAY).trace.learned).toEqual([{ ...taught, positive: true }]);
  });

  it('keeps the latest 20 untaught calls, and only while their contact record is kept', () => {
    let { ctx } = called();
    const first = ctx.pending[0]!;
    ctx = { ...ctx, pending: [] };
    const calls = Array.from({ length: 25 }, (_, i) => ({ ...first, instance: `${first.instance}-${i}` }));
    ctx = { ...ctx, contacts: [...ctx.contacts, ...calls.slice(1).map((p) => ({ ...ctx.contacts[0]!, instance: p.instance }))] };
    ctx = keepUntaught(ctx, calls);
    expect(ctx.untaught?.map((p) => p.instance)).toEqual(calls.slice(5).map((p) => p.instance));
    expect(UNTAUGHT_CALLS_KEPT).toBe(20);
  });
});

describe('a call back', () => {
  it('needs its time, and decides the campaign again then, outside any run', () => {
    const { ctx, instance } = called();
    expect(answer(ctx, instance, 'callback', T + 60_000).reply).toMatchObject({ kind: 'error', code: 'invalid', message: expect.stringContaining('data.at') });
    expect(answer(ctx, instance, 'callback', T + 60_000, { at: T }).reply).toMatchObject({ kind: 'error', message: expect.stringContaining('has passed') });
    expect(answer(ctx, instance, 'callback', T + 60_000, { at: T + 100 * DAY }).reply).toMatchObject({ kind: 'error', message: expect.stringContaining('90 days') });
    const due = at('2026-03-03T15:00:00+03:00');
    const asked = answer(ctx, instance, 'callback', T + 60_000, { at: '2026-03-03T15:00:00+03:00' });
    expect(asked.reminders).toContainEqual({ name: 'callback:calls', due, event: CALLBACK_EVENT, data: { campaign: 'calls', instance, first: due } });
    // reached: the next wave does not call
    expect(waveProblem(asked.ctx, wave2)).toBe('reached:callback');
    // the reminder firing: the campaign decided again (recency does not count the call asked to be made again)
    const back = handleEvent(asked.ctx, { type: 'gateway.event', event: { id: 'cb-1', type: CALLBACK_EVENT, customer: { id: ctx.id }, at: due, data: { campaign: 'calls', instance } }, now: due, catalog, stops: [], reminder: 'callback:calls' });
    expect(back.reply).toMatchObject({ kind: 'decision', actions: [{ campaign: 'calls', channel: 'callcenter' }] });
    expect(back.ctx.contacts.at(-1)!.run).toBeUndefined();
    // the policy's one-a-day cap does not count the call it follows (asked the same day)
    const soon = answer(ctx, instance, 'callback', T + 60_000, { at: T + 7_200_000 });
    const sameDay = handleEvent(soon.ctx, { type: 'gateway.event', event: { id: 'cb-3', type: CALLBACK_EVENT, customer: { id: ctx.id }, at: T + 7_200_000, data: { campaign: 'calls', instance, first: T + 7_200_000 } }, now: T + 7_200_000, catalog, stops: [], reminder: 'callback:calls' });
    expect(sameDay.reply).toMatchObject({ actions: [{ campaign: 'calls' }] });
    // the day's capacity used up: tried again at the next day's opening, not dropped
    const full = handleEvent(soon.ctx, { type: 'gateway.event', event: { id: 'cb-4', type: CALLBACK_EVENT, customer: { id: ctx.id }, at: T + 7_200_000, data: { campaign: 'calls', instance, first: T + 7_200_000 } }, now: T + 7_200_000, catalog, stops: [], reminder: 'callback:calls', channelsFull: new Set(['callcenter']) });
    expect(full.reply).toMatchObject({ actions: [] });
    const retry = full.reminders.find((r) => r.name === 'callback:calls');
    expect(retry).toMatchObject({ due: at('2026-03-03T09:00:00+03:00'), data: { campaign: 'calls', instance, first: T + 7_200_000 } });
    // a week after the time first asked for, no more
    const stale = handleEvent(soon.ctx, { type: 'gateway.event', event: { id: 'cb-5', type: CALLBACK_EVENT, customer: { id: ctx.id }, at: T + 7_200_000, data: { campaign: 'calls', instance, first: T - 7 * DAY } }, now: T + 7_200_000, catalog, stops: [], reminder: 'callback:calls', channelsFull: new Set(['callcenter']) });
    expect(stale.reminders.some((r) => r.name === 'callback:calls')).toBe(false);
    // a gateway's event of that type is no call back
    const forged = handleEvent(asked.ctx, { type: 'gateway.event', event: { id: 'cb-2', type: CALLBACK_EVENT, customer: { id: ctx.id }, at: due, data: { campaign: 'calls' } }, now: due, catalog, stops: [] });
    expect(forged.reply).toMatchObject({ actions: [] });
    expect(callbackTime({ at: 'tomorrow' }, T)).toEqual({ problem: expect.stringContaining('ISO date-time') });
    expect(callbackTime({ at: '2026-03-03T15:00:00' }, T)).toEqual({ problem: expect.stringContaining('with its offset') });
    // a response dated in the past cannot set a call back between its time and now
    expect(callbackTime({ at: T + 60_000 }, T, T + 120_000)).toEqual({ problem: expect.stringContaining('has passed') });
  });
});

describe('a warm lead', () => {
  it('is made once a campaign when the interest reaches the threshold: the manager notified, the personal offer triggered', () => {
    const { ctx, instance } = called();
    // interest 60 (a call back's) is under 70: no lead
    const low = answer(ctx, instance, 'callback', T + 60_000, { at: T + DAY });
    expect(low.ctx.leads).toBeUndefined();
    expect(low.outbox).toEqual([]);
    // the operator's estimate wins over what the outcome means
    expect(answer(ctx, instance, 'interested', T + 60_000, { interest: 40 }).ctx.leads).toBeUndefined();
    const lead = answer(ctx, instance, 'interested', T + 60_000);
    expect(lead.ctx.leads).toEqual({ calls: T + 60_000 });
    expect(lead.outbox).toEqual([
      { kind: 'backoffice', instance: `${instance}~lead`, customer: ctx.id, channel: 'backoffice', campaign: 'calls', offer: 'deposit', action: 'notify_manager', vars: { interest: 80, outcome: 'interested' }, at: T + 60_000 },
    ]);
    const reminder = lead.reminders.find((r) => r.name === 'lead:calls');
    expect(reminder).toEqual({ name: 'lead:calls', due: T + 60_000, event: 'lead.warm.calls', data: { campaign: 'calls', interest: 80, outcome: 'interested' } });
    // the reminder firing triggers the personal offer
    const personal = handleEvent(lead.ctx, { type: 'gateway.event', event: { id: 'lead-1', type: 'lead.warm.calls', customer: { id: ctx.id }, at: T + 120_000, data: { campaign: 'calls', interest: 80 } }, now: T + 120_000, catalog, stops: [], reminder: 'lead:calls' });
    expect(personal.reply).toMatchObject({ actions: [{ campaign: 'calls-lead', channel: 'sms' }] });

    // the next wave's call, "maybe later" (75 here): a lead already, not notified again
    const missed = answer(ctx, instance, 'no_answer', T + 60_000);
    const recall = handOver(missed.ctx, wave2, T + 2 * DAY);
    const second = recall.reply.kind === 'decision' ? recall.reply.actions[0]!.instance : '';
    const later = answer({ ...recall.ctx, leads: { calls: T } }, second, 'later', T + 2 * DAY + 60_000);
    expect(later.outbox).toEqual([]);
    expect(answer(recall.ctx, second, 'later', T + 2 * DAY + 60_000).ctx.leads).toEqual({ calls: T + 2 * DAY + 60_000 });
    // a merge keeps the leads of both
    expect(mergeCustomers(customer({ id: 'c-2' }), lead.ctx, T + 3 * DAY).ctx.leads).toEqual({ calls: T + 60_000 });
  });
});

describe("a call's back-office action", () => {
  // the deposit opened by the back office on a yes, for an amount the call was decided with
  function actionDef(): CatalogDef {
    const d = def();
    d.offers.find((o) => o.id === 'deposit')!.onAccept = { action: 'open_deposit' };
    d.campaigns.find((c) => c.id === 'calls')!.vars = { years: { from: 'profile.age', tiers: [[60, 1], [70, 2]] } };
    return d;
  }
  const withAction = compileCatalog(actionDef());
  const answerIn = (ctx: CustomerContext, instance: string, outcome: string, now: number, id = `r-${outcome}-${now}`): HandleResult =>
    handleResponse(ctx, { type: 'gateway.response', response: { id, instance, outcome, at: now }, now, catalog: withAction });
  // the offer's action (a warm lead's notice to the manager aside)
  const actions = (r: HandleResult) => r.outbox.filter((e) => e.kind === 'backoffice' && e.action === 'open_deposit');
  function calledWithAction(): { ctx: CustomerContext; instance: string; vars: Record<string, number | string> } {
    const r = handleEvent(customer(), { type: 'gateway.event', event: runEvent(wave1, 'c-1', T), now: T, catalog: withAction, stops: [], run: wave1 });
    const p = r.ctx.pending[0]!;
    expect(p.vars).toEqual({ years: 1 });
    return { ctx: r.ctx, instance: p.instance, vars: p.vars };
  }
  const queued = (instance: string, vars: Record<string, number | string>, at: number) => ({ kind: 'backoffice', instance, customer: 'c-1', channel: 'backoffice', campaign: 'calls', offer: 'deposit', action: 'open_deposit', vars, at });

  it('is queued by a yes in time, once', () => {
    const { ctx, instance, vars } = calledWithAction();
    const yes = answerIn(ctx, instance, 'accepted', T + 60_000);
    expect(actions(yes)).toEqual([queued(instance, vars, T + 60_000)]);
    // a yes again, or a no then a yes (a correction of a reached call): recorded, nothing queued
    expect(actions(answerIn(yes.ctx, instance, 'accepted', T + 120_000))).toEqual([]);
    const no = answerIn(yes.ctx, instance, 'declined', T + 120_000);
    expect(actions(no)).toEqual([]);
    expect(actions(answerIn(no.ctx, instance, 'accepted', T + 180_000))).toEqual([]);
  });

  it('is queued by the late yes that reopens a call closed unanswered, with the call\'s variables, once', () => {
    const { ctx, instance, vars } = calledWithAction();
    const missed = answerIn(ctx, instance, 'no_answer', T + 3_600_000);
    expect(actions(missed)).toEqual([]);
    // the dialer's file the next morning: accepted after all
    const late = answerIn(missed.ctx, instance, 'accepted', T + DAY);
    expect(actions(late)).toEqual([queued(instance, vars, T + DAY)]);
    expect(late.ctx.contacts[0]!.outcome).toBe('accepted');
    expect(late.trace.learned).toEqual([expect.objectContaining({ campaign: 'calls', positive: true })]);
    // reached now: a yes again (another file, another id), a no then a yes, queue nothing more
    expect(actions(answerIn(late.ctx, instance, 'accepted', T + DAY + 1, 'another-yes'))).toEqual([]);
    const no = answerIn(late.ctx, instance, 'declined', T + DAY + 2);
    expect(no.ctx.contacts[0]!.outcome).toBe('accepted');
    expect(actions(answerIn(no.ctx, instance, 'accepted', T + DAY + 3))).toEqual([]);

    // a no answer twice (a second attempt), then the yes: still queued once, with the variables
    const twice = answerIn(missed.ctx, instance, 'no_answer', T + 7_200_000);
    expect(twice.ctx.untaught?.map((p) => p.instance)).toEqual([instance]);
    const after = answerIn(twice.ctx, instance, 'accepted', T + DAY);
    expect(actions(after)).toEqual([queued(instance, vars, T + DAY)]);
    expect(after.trace.learned).toHaveLength(1);
    // a late no queues nothing; a late "interested" neither (it is reached: a later yes is recorded only)
    expect(actions(answerIn(missed.ctx, instance, 'declined', T + DAY))).toEqual([]);
    const interested = answerIn(missed.ctx, instance, 'interested', T + DAY);
    expect(actions(interested)).toEqual([]);
    expect(actions(answerIn(interested.ctx, instance, 'accepted', T + DAY + 1))).toEqual([]);
  });

  it('is queued by a late yes to a call that expired with nothing reported', () => {
    const { ctx, instance, vars } = calledWithAction();
    const expiry = handleEvent(ctx, {
      type: 'gateway.event',
      event: { id: `expiry:${instance}`, type: OFFER_EXPIRY_EVENT, customer: { id: ctx.id }, at: T + DAY, data: { instance } },
      now: T + DAY,
      catalog: withAction,
      stops: [],
      reminder: `expiry:${instance}`,
    });
    expect(expiry.ctx.contacts[0]!.outcome).toBe('expired');
    expect(actions(expiry)).toEqual([]);
    const late = answerIn(expiry.ctx, instance, 'accepted', T + DAY + 60_000);
    expect(actions(late)).toEqual([queued(instance, vars, T + DAY + 60_000)]);
    expect(actions(answerIn(late.ctx, instance, 'accepted', T + DAY + 120_000))).toEqual([]);
  });

  it('keeps a call without a target group for its late yes (its variables), and queues without them once the call is no longer kept', () => {
    const { ctx, instance, vars } = calledWithAction();
    const { group: _g, ...ungrouped } = ctx.pending[0]!;
    const missed = answerIn({ ...ctx, pending: [ungrouped] }, instance, 'no_answer', T + 3_600_000);
    expect(missed.ctx.untaught).toEqual([ungrouped]);
    const late = answerIn(missed.ctx, instance, 'accepted', T + DAY);
    expect(actions(late)).toEqual([queued(instance, vars, T + DAY)]);
    // an offer without a back-office action (the plain catalog's) keeps no call without a group
    expect(handleResponse({ ...ctx, pending: [ungrouped] }, { type: 'gateway.response', response: { id: 'r-na', instance, outcome: 'no_answer', at: T + 1 }, now: T + 1, catalog }).ctx.untaught).toBeUndefined();
    // past the calls kept: the action all the same, without the variables
    const { untaught: _u, ...forgotten } = missed.ctx;
    expect(actions(answerIn(forgotten, instance, 'accepted', T + DAY))).toEqual([queued(instance, {}, T + DAY)]);
  });

  it('is not queued for an offer without one', () => {
    const { ctx, instance } = called();
    const missed = answer(ctx, instance, 'no_answer', T + 3_600_000);
    expect(answer(missed.ctx, instance, 'accepted', T + DAY).outbox).toEqual([]);
  });
});
