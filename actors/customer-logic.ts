import type { Catalog } from './catalog/compiled-catalog.js';
import type { CustomerContext, DecisionAction, Identifiers, SeenLog } from './customer-state.js';
import { appendSeen, keepUntaught, recordedActions, seenFull, seenIndex, suppressReasons, withMasterIdentifiers } from './customer-state.js';
import type { DecideInputs } from './decision/decide.js';
import type { DecisionInputs } from './decision/decision-inputs.js';
import type { Explanation } from './decision/explanation.js';
import { decide } from './decision/decide.js';
import type { DeferralStep } from './decision/deferral.js';
import { recordDeferrals } from './decision/deferral.js';
import type { Conversion } from './goals.js';
import { attributeGoals } from './goals.js';
import { localTime, startOfLocalDay } from './local-time.js';
import { CALLBACK_RETRY_MS, callbackOf, callbackReminder, isOperatorCall, keptForLateAnswer } from './call-outcomes.js';
import { nextAllowedAt } from './decision/deferral.js';
import type { ReminderSpec } from './reminders.js';
import { cancelExpiry, catalogReminders } from './reminders.js';
import { customerTimeZone, makeScope } from './scope.js';
import { SEGMENTS_CHECK_EVENT, segmentTimer } from './segment-timer.js';
import type { EvalScope } from './condition.js';
import type { GatewayEvent, GatewayResponse } from './gateway-event.js';
import type { IdentifierLink, SegmentChange } from './ingest.js';
import { ingestEvent } from './ingest.js';
import type { CustomerLimits } from './limits.js';
import { defaultLimits, describeDuration, effectiveRetentionMs, eventTimeProblem } from './limits.js';
import type { OutboxEntry } from './outbox-entry.js';
import type { Learned } from './propensity/prior.js';
import { learnedFrom } from './propensity/prior.js';
import { applyResponse, matchSmsReply } from './respond.js';
import { BrainError } from './brain-error.js';
import type { RunAnswer, RunCall } from './outbound-run.js';
import { rememberRun, runAnswer, runHandled } from './outbound-run.js';

/**
 * The customer actor's behaviour as pure functions of (context, message): the machine in
 * `customer.machine.ts` calls these and turns their results into named effects.
 */

/** An event for the customer, with what the decision reads from across customers (`decisionInputs`). */
export interface EventMessage extends DecisionInputs {
  type: 'gateway.event';
  event: GatewayEvent;
  /** the server clock when the event arrived; the event's own `at` wins when present */
  now: number;
  catalog: Catalog;
  /** set when the event is a durable reminder firing (its name), not a gateway's */
  reminder?: string;
  /** the server's bounds on idempotency memory and on `at` (defaultLimits when absent) */
  limits?: CustomerLimits;
  /** set when the event is an outbound run's hand-over (actors/outbound-run.ts), never from a gateway */
  run?: RunCall;
  /**
   * set when the event tells the customer its master data changed (the admin API's `PUT` and
   * `PATCH`), never from a gateway: the record's identifiers and those it dropped, laid over
   * the customer's own (`withMasterIdentifiers`) before the event is applied
   */
  masterData?: { identifiers: Partial<Identifiers>; dropped?: Partial<Identifiers> };
}

export interface ResponseMessage {
  type: 'gateway.response';
  response: GatewayResponse;
  now: number;
  catalog: Catalog;
  limits?: CustomerLimits;
}

export interface DeliveryMessage {
  type: 'delivery.report';
  instance: string;
  status: 'delivered' | 'failed' | 'suppressed';
  reason?: string;
  now: number;
}

export type CustomerMessage = EventMessage | ResponseMessage | DeliveryMessage;

export type CustomerReply =
  | { kind: 'decision'; re: string; customer: string; actions: DecisionAction[]; duplicate: boolean; run?: RunAnswer }
  | { kind: 'ack'; re: string; duplicate: boolean }
  | { kind: 'error'; re: string; code: 'invalid' | 'rate_limited'; message: string };

export interface Trace {
  explain: Explanation[];
  segmentChanges: SegmentChange[];
  /** answers to open offers that this event carried (a two-way SMS reply) */
  answered: Array<{ instance: string; outcome: string }>;
  /** outcomes to learn group propensities from: answers, and offers that expired unanswered */
  learned: Learned[];
  /** campaign goals this event reached after a contact (real or withheld), for the uplift report */
  conversions: Conversion[];
  /** deferred messages this step resumed (a retry's outcome, not a new trigger) or superseded; absent: none */
  deferrals?: DeferralStep;
  /**
   * campaigns whose decision here the funnel does not count: a run's hand-over that is not final
   * (no capacity today, the campaign or the run stopped: the customer is handed over again and
   * counted then, once); absent: none
   */
  uncounted?: string[];
}

export interface HandleResult {
  ctx: CustomerContext;
  reply: CustomerReply;
  outbox: OutboxEntry[];
  links: IdentifierLink[];
  trace: Trace;
  /** durable reminders to set or cancel, committed with the new state */
  reminders: ReminderSpec[];
}

/** The call back again the next day when this decision of it was held off by capacity or a cap (within CALLBACK_RETRY_MS of the time first asked for). */
function callbackRetry(event: GatewayEvent, explain: readonly Explanation[], ctx: CustomerContext, catalog: Catalog): ReminderSpec | undefined {
  const cb = callbackOf(event);
  if (cb === undefined || cb.instance === undefined) return undefined;
  const reason = explain.find((e) => e.campaign === cb.campaign && e.verdict === 'suppressed')?.reason;
  if (reason === undefined || !(reason.startsWith('cap:') || /=capacity(,|$)/.test(reason))) return undefined;
  const tz = customerTimeZone(ctx, catalog);
  const at = event.at ?? 0;
  const midnight = startOfLocalDay(localTime(at, tz).epochDay + 1, tz);
  const due = nextAllowedAt(catalog.policy, tz, midnight) ?? midnight;
  const first = cb.first ?? at;
  return due <= first + CALLBACK_RETRY_MS ? callbackReminder(cb.campaign, cb.instance, due, first) : undefined;
}

/**
 * Whether an expired offer teaches nothing: an operator's call pushed outside a session (a
 * call list's) with no outcome reported (perhaps never made), or a message that never reached
 * the customer (cancelled at send time, or failed).
 */
function unreportedCall(ctx: CustomerContext, p: { instance: string }): boolean {
  return ctx.contacts.some((k) => k.instance === p.instance && (isOperatorCall(k) || k.delivery === 'suppressed' || k.delivery === 'failed'));
}

/** A follow-up reminder firing: tell the campaigns it triggers what became of the offer it follows. */
function withOutcome(ctx: CustomerContext, event: GatewayEvent): GatewayEvent {
  const instance = event.data?.instance;
  if (typeof instance !== 'string') return event;
  const contact = ctx.contacts.find((c) => c.instance === instance);
  return { ...event, data: { ...event.data, outcome: contact?.outcome ?? (ctx.pending.some((p) => p.instance === instance) ? 'open' : 'unknown') } };
}

/**
 * The seen log with this request remembered: kept by time (the effective retention, counted
 * on the server's clock), the oldest answers without a contact forgotten past the cap.
 */
function remember(seen: SeenLog, id: string, actions: DecisionAction[] | null, msg: EventMessage | ResponseMessage): SeenLog {
  const limits = msg.limits ?? defaultLimits;
  return appendSeen(seen, id, msg.now, actions, limits.idempotencyMaxIds, msg.now - effectiveRetentionMs(limits, msg.catalog));
}

/**
 * Why a new request (not a repeat) is refused before it changes anything, or undefined: its
 * `at` outside the bounds around the server's clock (`invalid`), or no room in the customer's
 * idempotency memory without forgetting a contact (`rate_limited`; never for the server's own
 * reminders, whose `at` is their due time).
 */
export function refusal(ctx: CustomerContext, msg: EventMessage | ResponseMessage): { code: 'invalid' | 'rate_limited'; message: string } | undefined {
  if (msg.type === 'gateway.event' && (msg.reminder !== undefined || msg.run !== undefined)) return undefined;
  const limits = msg.limits ?? defaultLimits;
  const at = msg.type === 'gateway.event' ? msg.event.at : msg.response.at;
  const problem = eventTimeProblem(at, msg.now, limits);
  if (problem !== undefined) return { code: 'invalid', message: problem };
  const retentionMs = effectiveRetentionMs(limits, msg.catalog);
  if (seenFull(ctx.seen, limits.idempotencyMaxIds, msg.now - retentionMs)) {
    return {
      code: 'rate_limited',
      message: `customer "${ctx.id}" has ${limits.idempotencyMaxIds} request ids remembered from the last ${describeDuration(retentionMs)} (the idempotency limit), each of which made a contact; retry later`,
    };
  }
  return undefined;
}

/** The reply to a refused request (see `refusal`). */
export function refusalReply(ctx: CustomerContext, msg: EventMessage | ResponseMessage): CustomerReply {
  const re = msg.type === 'gateway.event' ? msg.event.id : msg.response.id;
  const r = refusal(ctx, msg);
  if (r === undefined) throw new BrainError('internal', 'refusalReply: the request is not refused');
  return { kind: 'error', re, code: r.code, message: r.message };
}

/** Whether this customer has seen request id `id` (within the retention). */
export function hasSeen(ctx: CustomerContext, id: string): boolean {
  return seenIndex(ctx.seen, id) >= 0;
}

/** Whether this event repeats one seen: its id, or the hand-over of a run the customer was handed already. */
export function isRepeat(ctx: CustomerContext, msg: EventMessage): boolean {
  return msg.run !== undefined ? runHandled(ctx, msg.run.id) !== undefined : hasSeen(ctx, msg.event.id);
}

/** The answer to a repeated request id: the first answer again, and no new effect. */
export function replayReply(ctx: CustomerContext, msg: EventMessage | ResponseMessage): CustomerReply {
  const id = msg.type === 'gateway.event' ? msg.event.id : msg.response.id;
  const done = msg.type === 'gateway.event' && msg.run !== undefined ? runHandled(ctx, msg.run.id) : undefined;
  if (done !== undefined) return { kind: 'decision', re: id, customer: ctx.id, actions: [], duplicate: true, run: { outcome: done, final: true } };
  const i = seenIndex(ctx.seen, id);
  // undefined: not seen; null: seen as a response; an array: an event's decision
  const actions = i < 0 ? undefined : (ctx.seen.actions[i] ?? null);
  if (msg.type === 'gateway.event') {
    if (actions === undefined || actions === null) {
      return { kind: 'error', re: id, code: 'invalid', message: `field "id": "${id}" was already used by a response` };
    }
    return { kind: 'decision', re: id, customer: ctx.id, actions, duplicate: true };
  }
  if (actions !== undefined && actions !== null) {
    return { kind: 'error', re: id, code: 'invalid', message: `field "id": "${id}" was already used by an event` };
  }
  return { kind: 'ack', re: id, duplicate: true };
}

export function handleEvent(prev: CustomerContext, msg: EventMessage): HandleResult {
  const { catalog } = msg;
  // The segment timer firing: memberships as of now (a node down for days catches up in one
  // step, not a day at a time).
  const timerFired = msg.reminder !== undefined && msg.event.type === SEGMENTS_CHECK_EVENT;
  const t = timerFired ? msg.now : (msg.event.at ?? msg.now);
  const base = msg.masterData === undefined ? prev : withMasterIdentifiers(prev, msg.masterData.identifiers, msg.masterData.dropped);
  const ingested = ingestEvent(base, msg.event, t, catalog, msg.now);
  let ctx = ingested.ctx;
  // A reminder, or a run's hand-over, is not the customer's activity.
  if ((msg.reminder !== undefined || msg.run !== undefined) && ctx.lastEventAt !== prev.lastEventAt) {
    const { lastEventAt: _reminderTime, ...rest } = ctx;
    ctx = prev.lastEventAt === undefined ? rest : { ...rest, lastEventAt: prev.lastEventAt };
  }
  // A follow-up reminder learns what became of its offer after the expiries above.
  const event = msg.reminder === undefined ? msg.event : withOutcome(ctx, msg.event);
  const outbox: OutboxEntry[] = [];
  const answered: Trace['answered'] = [];
  // An offer left unanswered is a "no", but a call pushed to the call centre's list that nobody
  // reported on was not made, and a message cancelled at send time or failed was never seen: they teach nothing.
  const learned: Learned[] = [];
  for (const p of ingested.expired) {
    const l = unreportedCall(prev, p) ? undefined : learnedFrom(p, false);
    if (l !== undefined) learned.push(l);
  }
  // An operator's call closed so keeps what its models and its back-office action need: its late answer (the dialer's file) teaches then, and a yes queues the action.
  const closedCalls = ingested.expired.filter((p) => keptForLateAnswer(p, catalog) && ctx.contacts.some((k) => k.instance === p.instance && isOperatorCall(k) && k.outcome === 'expired' && k.delivery !== 'suppressed' && k.delivery !== 'failed'));
  ctx = keepUntaught(ctx, closedCalls);

  const scopeNow = (): EvalScope => makeScope(ctx, catalog, localTime(t, customerTimeZone(ctx, catalog)).epochDay, event);
  const goals = attributeGoals(ctx, event, t, catalog, scopeNow);
  ctx = goals.ctx;
  // Offers this event found expired need their expiry reminder no more.
  const reminders: ReminderSpec[] = catalog.reminders.length === 0 ? [] : catalogReminders(event, t, catalog, scopeNow);
  if (ingested.expired.length > 0) reminders.unshift(...ingested.expired.map((p) => cancelExpiry(p.instance)));

  const replyText = event.data?.text;
  if (event.type === 'sms.received' && typeof replyText === 'string') {
    const match = matchSmsReply(ctx, replyText, catalog);
    if (match !== undefined) {
      const r = applyResponse(ctx, { id: event.id, instance: match.instance, outcome: match.outcome, data: { reply: replyText } }, t, catalog);
      if (r.ok) {
        ctx = r.ctx;
        outbox.push(...r.outbox);
        answered.push(match);
        learned.push(...r.learned);
        reminders.push(...r.reminders);
      }
    }
  }

  const { stops, budgetSpent, channelsFull, evidence, models, seed } = msg;
  // Late past the bound: applied above (history, features, segments), decided without push contacts.
  // A reminder's `at` is its due time, not lateness.
  const stale = msg.reminder === undefined && msg.event.at !== undefined && msg.now - msg.event.at > (msg.limits ?? defaultLimits).staleEventMs;
  const inputs: DecideInputs = { stops, budgetSpent, channelsFull, evidence, models, seed, segmentChanges: ingested.segmentChanges, now: msg.now, stale };
  if (msg.run !== undefined) inputs.run = msg.run;
  if (msg.reminder !== undefined) inputs.fromReminder = true;
  if (msg.runsCancelled !== undefined) inputs.runsCancelled = msg.runsCancelled;
  if (msg.runsPaused !== undefined) inputs.runsPaused = msg.runsPaused;
  const decided = decide(ctx, event, t, catalog, inputs);
  ctx = decided.ctx;
  outbox.push(...decided.outbox);
  reminders.push(...decided.reminders);
  // A call back the day's capacity or a cap held off is tried again at the next day's opening, for a week.
  const again = msg.reminder !== undefined ? callbackRetry(event, decided.explain, ctx, catalog) : undefined;
  if (again !== undefined) reminders.push(again);
  // Deferred messages into the customer's history (durable, on the card), retries resolved.
  const deferrals = recordDeferrals(ctx.deferrals ?? [], event, decided.explain, decided.reminders, Math.max(t, msg.now), msg.reminder !== undefined);
  // From here `ctx` is this step's own copy (ingestEvent made it; what came after only replaced
  // it by newer copies): its changed parts are set in place, not copied with it again.
  if (ctx === prev) ctx = { ...prev };
  if (deferrals !== undefined) ctx.deferrals = deferrals.deferrals;
  // A run's hand-over is remembered with the run (once a run, whatever its id), not among the request ids.
  const run = msg.run !== undefined ? runAnswer(decided.explain, msg.run.campaign) : undefined;
  if (msg.run !== undefined && run !== undefined) {
    if (run.final) ctx.runs = rememberRun(ctx.runs, msg.run.id, run.outcome);
  } else ctx.seen = remember(ctx.seen, event.id, recordedActions(decided.actions), msg);
  // The next moment time alone can move a membership: the segment timer, moved when it changed.
  // Armed again (not only moved) when the time zone may have changed: a profile change, a merge or a new catalog.
  const timer = segmentTimer(ctx, catalog, ingested.segmentsDay, timerFired || msg.event.type === 'profile.updated' || ingested.segmentsReset);
  ctx = timer.ctx;
  if (timer.reminder !== undefined) reminders.push(timer.reminder);
  const trace: Trace = { explain: deferrals?.explain ?? decided.explain, segmentChanges: ingested.segmentChanges, answered, learned, conversions: goals.conversions };
  if (deferrals !== undefined && (deferrals.step.resumed.length > 0 || deferrals.step.superseded.length > 0)) trace.deferrals = deferrals.step;
  if (msg.run !== undefined && run !== undefined && !run.final) trace.uncounted = [msg.run.campaign];
  return {
    ctx,
    reply: { kind: 'decision', re: event.id, customer: ctx.id, actions: decided.actions, duplicate: false, ...(run !== undefined ? { run } : {}) },
    outbox,
    links: ingested.links,
    trace,
    reminders,
  };
}

export function handleResponse(prev: CustomerContext, msg: ResponseMessage): HandleResult {
  const r = msg.response;
  const t = r.at ?? msg.now;
  const noTrace: Trace = { explain: [], segmentChanges: [], answered: [], learned: [], conversions: [] };
  const applied = applyResponse(prev, r, t, msg.catalog, msg.now);
  if (!applied.ok) {
    return { ctx: prev, reply: { kind: 'error', re: r.id, code: applied.code, message: applied.message }, outbox: [], links: [], trace: noTrace, reminders: [] };
  }
  const ctx = { ...applied.ctx, seen: remember(applied.ctx.seen, r.id, null, msg) };
  return {
    ctx,
    reply: { kind: 'ack', re: r.id, duplicate: false },
    outbox: applied.outbox,
    links: [],
    // (the outcome as recorded: a button pressed is the outcome its offer maps it to)
    trace: { ...noTrace, answered: [{ instance: r.instance, outcome: applied.response.outcome }], learned: applied.learned },
    reminders: applied.reminders,
  };
}

/** A delivery endpoint confirmed (or failed) an outbox entry, or the send-time check cancelled it (`suppressed`, the reason in `reason`). */
export function handleDelivery(prev: CustomerContext, msg: DeliveryMessage): CustomerContext {
  if (!prev.contacts.some((c) => c.instance === msg.instance)) return prev;
  const reason = msg.status === 'suppressed' ? suppressReasons.find((r) => r === msg.reason) : undefined;
  return {
    ...prev,
    contacts: prev.contacts.map((c) => (c.instance === msg.instance ? { ...c, delivery: msg.status, ...(reason === undefined ? {} : { suppressed: reason }) } : c)),
  };
}
