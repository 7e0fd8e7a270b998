import type { Catalog } from './catalog/compiled-catalog.js';
import { channelKind, isChannel } from './catalog/channels.js';
import type { CustomerContext, OfferInstance } from './customer-state.js';
import type { GatewayEvent } from './gateway-event.js';
import type { OutboxEntry } from './outbox-entry.js';
import type { ReminderSpec } from './reminders.js';

/**
 * What a call's outcome does beyond being recorded (docs/outbound.md#call-centre-waves):
 * `callback` with a time in `data.at` calls the customer again then (a durable reminder that
 * decides the campaign once more, every rule kept); an outcome whose interest crosses the
 * campaign's `warmLeads.threshold` makes the customer a warm lead, once a campaign: the
 * customer's manager is notified (a back-office action) and the event `lead.warm.<campaign>`
 * triggers the campaigns that make the personal offer, on their best channel.
 */

/** The event type of a call back at the time the customer asked for (a durable reminder firing). */
export const CALLBACK_EVENT = 'offer.callback';

/** How far ahead a call back may be asked for. */
export const MAX_CALLBACK_MS = 90 * 86_400_000;

/** Warm leads a customer remembers (one a campaign); the oldest is forgotten past this many. */
export const LEADS_REMEMBERED = 32;

/** The event a warm lead of `campaign` triggers its personal offer with. */
export function warmLeadEvent(campaign: string): string {
  return `lead.warm.${campaign}`;
}

/** A call back the customer asked for, when the event is one (only the server's reminder counts: the caller checks it is one). */
export interface Callback {
  campaign: string;
  /** the call it follows: not counted by caps against the call back */
  instance?: string;
  /** the time first asked for: a call back the day's capacity or a cap holds off is tried on later days, up to a week after it */
  first?: number;
}

export function callbackOf(event: GatewayEvent): Callback | undefined {
  if (event.type !== CALLBACK_EVENT) return undefined;
  const { campaign, instance, first } = event.data ?? {};
  if (typeof campaign !== 'string') return undefined;
  const cb: Callback = { campaign };
  if (typeof instance === 'string') cb.instance = instance;
  if (typeof first === 'number') cb.first = first;
  return cb;
}

/** How long after the time first asked for a call back held off by capacity or a cap is tried again. */
export const CALLBACK_RETRY_MS = 7 * 86_400_000;

/** An instant given as epoch ms or an ISO date-time with its offset (`2026-12-09T12:00:00+03:00`); undefined when it is neither. */
export function instantOf(v: unknown): number | undefined {
  const at = typeof v === 'number' ? v : typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v) ? Date.parse(v) : Number.NaN;
  return Number.isFinite(at) ? at : undefined;
}

/**
 * When to call back: `data.at` as epoch ms or an ISO date-time with its offset, after both the
 * response's time and the server's now, and within 90 days; else what is wrong.
 */
export function callbackTime(data: Readonly<Record<string, unknown>> | undefined, t: number, now = t): number | { problem: string } {
  const at = instantOf(data?.at);
  if (at === undefined) return { problem: 'field "data.at": a callback needs the time to call back, epoch milliseconds or an ISO date-time with its offset' };
  if (at <= Math.max(t, now)) return { problem: 'field "data.at": the time to call back has passed' };
  if (at > t + MAX_CALLBACK_MS) return { problem: 'field "data.at": the time to call back is more than 90 days ahead' };
  return at;
}

/** The reminder that calls back: the campaign decided again at `due` (one waiting a campaign; a later callback replaces it). */
export function callbackReminder(campaign: string, instance: string, due: number, first = due): ReminderSpec {
  return { name: `callback:${campaign}`, due, event: CALLBACK_EVENT, data: { campaign, instance, first } };
}

/**
 * Whether an operator's call closed unanswered (no answer, or expired with nothing reported)
 * is kept for its late answer (`untaught`, the latest UNTAUGHT_CALLS_KEPT): for what that answer
 * still does with the call as it was decided, teach its target group and model (it has a
 * group), or, a yes, queue the offer's back-office action with the offer's variables (the
 * offer has `onAccept`).
 */
export function keptForLateAnswer(p: OfferInstance, catalog: Catalog): boolean {
  return p.group !== undefined || catalog.offers.get(p.offer)?.onAccept !== undefined;
}

/** Whether a contact is a call pushed to an operator's list (a call centre's, a branch's), not shown in a session. */
export function isOperatorCall(k: { channel: string; delivery?: string }): boolean {
  return isChannel(k.channel) && channelKind(k.channel) === 'operator' && k.delivery !== 'shown';
}

export interface WarmLead {
  ctx: CustomerContext;
  outbox: OutboxEntry[];
  reminders: ReminderSpec[];
}

/**
 * The customer as a warm lead of `campaign` when this call's outcome (the caller passes only
 * an operator's call's: `isOperatorCall`) means an interest (`data.interest`, 0..100, else what
 * the campaign's `warmLeads.interest` says the outcome means) at its threshold, and they are
 * not one of it already; undefined otherwise.
 */
export function warmLead(
  ctx: CustomerContext,
  catalog: Catalog,
  answer: { campaign: string; offer: string; instance: string; outcome: string; data?: Readonly<Record<string, unknown>> },
  t: number,
): WarmLead | undefined {
  const rule = catalog.campaigns.find((c) => c.id === answer.campaign)?.outbound?.waves?.warmLeads;
  if (rule === undefined || ctx.leads?.[answer.campaign] !== undefined) return undefined;
  const given = answer.data?.interest;
  const interest = typeof given === 'number' && Number.isFinite(given) && given >= 0 && given <= 100 ? given : rule.interest.get(answer.outcome);
  if (interest === undefined || interest < rule.threshold) return undefined;
  const leads: Record<string, number> = { ...ctx.leads, [answer.campaign]: t };
  const ids = Object.keys(leads);
  for (let i = 0; i < ids.length - LEADS_REMEMBERED; i++) delete leads[ids[i]!];
  return {
    ctx: { ...ctx, leads },
    outbox: [
      {
        kind: 'backoffice',
        instance: `${answer.instance}~lead`,
        customer: ctx.id,
        channel: 'backoffice',
        campaign: answer.campaign,
        offer: answer.offer,
        action: rule.action,
        vars: { interest, outcome: answer.outcome },
        at: t,
      },
    ],
    reminders: [{ name: `lead:${answer.campaign}`, due: t, event: warmLeadEvent(answer.campaign), data: { campaign: answer.campaign, interest, outcome: answer.outcome } }],
  };
}
