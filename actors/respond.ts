import type { Catalog } from './catalog/compiled-catalog.js';
import type { CustomerContext, OfferInstance, ResponseRecord } from './customer-state.js';
import { keepUntaught, retention } from './customer-state.js';
import type { GatewayResponse } from './gateway-event.js';
import { negativeOutcomes, terminalOutcomes } from './gateway-event.js';
import type { OutboxEntry } from './outbox-entry.js';
import { boundedResponseData, stateBounds } from './limits.js';
import type { Learned } from './propensity/prior.js';
import { learnedFrom } from './propensity/prior.js';
import type { ReminderSpec } from './reminders.js';
import { cancelExpiry } from './reminders.js';
import { callbackReminder, callbackTime, isOperatorCall, keptForLateAnswer, warmLead } from './call-outcomes.js';
import { notReachedOutcomes } from './outbound-run.js';

/**
 * A customer's answer to an offer instance: recorded; a final answer closes the instance;
 * an acceptance of an offer with a back-office action queues that action (once); a call's
 * `callback` calls again at its time, and an interest past a wave campaign's threshold makes a
 * warm lead (actors/call-outcomes.ts).
 *
 * The back-office action is queued by the `accepted` that decides the instance's outcome: the
 * one that closes the open offer, or the late one that reopens an operator's call closed
 * unanswered (`no_answer`, `expired`: the dialer's file the next morning). Either leaves the
 * instance reached, and a reached instance is not reopened (a later `accepted`, `declined` or
 * any other answer is recorded only), so the action is queued once an instance whatever
 * follows: a bank issues a credit once for one yes, and a correction of a reached call's
 * outcome is the back office's to handle, not a second action's or a withdrawal's.
 *
 * A response naming a button of the offer's screens (`accept`) means the outcome the offer's
 * `buttonOutcomes` maps it to (`accepted`): it is recorded, closes, teaches and queues as that
 * outcome, the button kept in the record's `data.button`. Any other outcome is taken as sent
 * (an unknown one is recorded only, not rejected: docs/protocol.md#responses).
 */

export type RespondResult =
  | { ok: true; ctx: CustomerContext; response: ResponseRecord; outbox: OutboxEntry[]; learned: Learned[]; reminders: ReminderSpec[] }
  | { ok: false; code: 'invalid'; message: string };

export function applyResponse(prev: CustomerContext, r: GatewayResponse, t: number, catalog: Catalog, now = t): RespondResult {
  const contact = prev.contacts.find((c) => c.instance === r.instance);
  const pending = prev.pending.find((p) => p.instance === r.instance);
  const source = pending ?? contact;
  if (source === undefined) {
    return { ok: false, code: 'invalid', message: `field "instance": no offer instance "${r.instance}" for this customer` };
  }
  // A button pressed on the offer's screen means what the offer maps it to (accept: accepted).
  const pressed = buttonOutcome(catalog, source.offer, r.outcome);
  const outcome = pressed ?? r.outcome;
  // A call's outcome (a call centre's or branch's list): a call back needs its time, checked before anything changes.
  const call = contact !== undefined && isOperatorCall(contact);
  const callback = call && outcome === 'callback' ? callbackTime(r.data, t, now) : undefined;
  if (typeof callback === 'object') return { ok: false, code: 'invalid', message: callback.problem };
  const response: ResponseRecord = { id: r.id, instance: r.instance, campaign: source.campaign, offer: source.offer, outcome, at: t };
  const data = boundedResponseData(pressed === undefined ? r.data : withButton(r.data, r.outcome));
  if (data !== undefined) response.data = data;

  let ctx: CustomerContext = { ...prev, responses: withResponse(prev.responses, response) };
  const outbox: OutboxEntry[] = [];
  const learned: Learned[] = [];
  const reminders: ReminderSpec[] = [];
  const closes = terminalOutcomes.has(outcome);
  // A call closed unanswered (expired, no answer) whose real outcome comes later (the dialer's
  // file the next morning, a second attempt): the call's outcome is the later one.
  const reopened = call && contact.outcome !== undefined && notReachedOutcomes.has(contact.outcome);
  if (!closes || (pending === undefined && !reopened)) return { ok: true, ctx, response, outbox, learned, reminders };
  ctx = { ...ctx, contacts: ctx.contacts.map((c) => (c.instance === r.instance ? { ...c, outcome } : c)) };
  const untaught = reopened ? ctx.untaught?.find((p) => p.instance === r.instance) : undefined;
  if (untaught !== undefined && !notReachedOutcomes.has(outcome)) {
    // The late answer to a call closed unanswered is the call's outcome: a yes or a no teaches
    // now, once (it leaves `untaught`: a call reached is not reopened; a `no_answer` again
    // leaves it there, still waiting for its answer).
    const l = outcome === 'accepted' || negativeOutcomes.has(outcome) ? learnedFrom(untaught, outcome === 'accepted') : undefined;
    if (l !== undefined) learned.push(l);
    const rest = (ctx.untaught ?? []).filter((p) => p !== untaught);
    if (rest.length > 0) ctx = { ...ctx, untaught: rest };
    else {
      const { untaught: _none, ...without } = ctx;
      ctx = without;
    }
  }
  if (reopened && outcome === 'accepted') {
    // A call closed unanswered accepted after all: the offer's back-office action, as for an
    // answer in time, with the offer's variables as the call was decided (kept with the call;
    // none when it is no longer: past the latest UNTAUGHT_CALLS_KEPT calls).
    const action = catalog.offers.get(source.offer)?.onAccept?.action;
    if (action !== undefined) outbox.push(backOffice(ctx.id, untaught ?? { instance: r.instance, campaign: source.campaign, offer: source.offer, vars: {} }, action, t));
  }
  if (pending !== undefined) {
    // The first final answer to an open offer teaches its group's propensity, once.
    // A "maybe later" teaches nothing: it is neither a yes nor a no.
    const l = outcome === 'accepted' || negativeOutcomes.has(outcome) ? learnedFrom(pending, outcome === 'accepted') : undefined;
    if (l !== undefined) learned.push(l);
    reminders.push(cancelExpiry(pending.instance));
    ctx = { ...ctx, pending: ctx.pending.filter((p) => p.instance !== r.instance) };
    // A call nobody answered keeps what its models need for its late answer.
    if (call && l === undefined && notReachedOutcomes.has(outcome) && keptForLateAnswer(pending, catalog)) ctx = keepUntaught(ctx, [pending]);
    const action = catalog.offers.get(pending.offer)?.onAccept?.action;
    if (outcome === 'accepted' && action !== undefined) outbox.push(backOffice(ctx.id, pending, action, t));
  }
  if (call) {
    if (typeof callback === 'number') reminders.push(callbackReminder(source.campaign, r.instance, callback));
    const lead = warmLead(ctx, catalog, { campaign: source.campaign, offer: source.offer, instance: r.instance, outcome, ...(r.data !== undefined ? { data: r.data } : {}) }, t);
    if (lead !== undefined) {
      ctx = lead.ctx;
      outbox.push(...lead.outbox);
      reminders.push(...lead.reminders);
    }
  }
  return { ok: true, ctx, response, outbox, learned, reminders };
}

/**
 * The outcome a response naming a button of `offer`'s screens means: the offer's
 * `buttonOutcomes` entry for it (the catalog refuses one that is no button of its templates);
 * undefined when the outcome names no mapped button (it is then taken as sent).
 */
export function buttonOutcome(catalog: Catalog, offer: string, outcome: string): string | undefined {
  const map = catalog.offers.get(offer)?.buttonOutcomes;
  return map !== undefined && Object.hasOwn(map, outcome) ? map[outcome] : undefined;
}

/** A response's data with the button pressed (first, so that the bound keeps it). */
function withButton(data: Record<string, unknown> | undefined, button: string): Record<string, unknown> {
  if (data === undefined) return { button };
  const { button: _sent, ...rest } = data;
  return { button, ...rest };
}

/** The back-office action an acceptance of `p` queues (the offer's `onAccept`), with the offer's variables. */
function backOffice(customer: string, p: Pick<OfferInstance, 'instance' | 'campaign' | 'offer' | 'vars'>, action: string, at: number): OutboxEntry {
  return { kind: 'backoffice', instance: p.instance, customer, channel: 'backoffice', campaign: p.campaign, offer: p.offer, action, vars: p.vars, at };
}

/**
 * The response history with one more response, bounded: a repeated outcome for the same
 * instance replaces its earlier record (counted in `count`), an instance keeps at most
 * `stateBounds.responsesPerInstance` records (past it the oldest that did not close the
 * offer goes), and the customer at most `retention.responses` (the oldest go).
 */
export function withResponse(responses: readonly ResponseRecord[], response: ResponseRecord): ResponseRecord[] {
  let count = 1;
  let ofInstance = 0;
  let repeat = -1;
  for (let i = 0; i < responses.length; i++) {
    const x = responses[i] as ResponseRecord;
    if (x.instance !== response.instance) continue;
    ofInstance++;
    if (x.outcome === response.outcome) {
      repeat = i;
      count = (x.count ?? 1) + 1;
    }
  }
  let drop = repeat;
  if (drop < 0 && ofInstance >= stateBounds.responsesPerInstance) {
    drop = responses.findIndex((x) => x.instance === response.instance && !terminalOutcomes.has(x.outcome));
    if (drop < 0) drop = responses.findIndex((x) => x.instance === response.instance);
  }
  const record = count > 1 ? { ...response, count } : response;
  const next = drop < 0 ? [...responses, record] : [...responses.slice(0, drop), ...responses.slice(drop + 1), record];
  return next.length > retention.responses ? next.slice(-retention.responses) : next;
}

/**
 * A two-way SMS reply ("1", "да"): the newest open SMS offer whose reply words include the
 * text, and the outcome it means; undefined when the text answers nothing open.
 */
export function matchSmsReply(ctx: CustomerContext, text: string, catalog: Catalog): { instance: string; outcome: string } | undefined {
  const key = text.trim().toLowerCase();
  for (let i = ctx.pending.length - 1; i >= 0; i--) {
    const p = ctx.pending[i];
    if (p === undefined || p.channel !== 'sms') continue;
    const outcome = catalog.offers.get(p.offer)?.replies.get(key);
    if (outcome !== undefined) return { instance: p.instance, outcome };
  }
  return undefined;
}
