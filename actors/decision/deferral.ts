import type { Campaign, Policy } from '../catalog/compiled-catalog.js';
import type { GatewayEvent } from '../gateway-event.js';
import { localTime } from '../local-time.js';
import type { ReminderSpec } from '../reminders.js';
import { allowedHours } from './channel-problem.js';

/**
 * Deferred, not dropped: a push message the contact policy's quiet hours (the customer's
 * local night) blocked waits, as a durable reminder, for the customer's next allowed window,
 * and is then decided again under every rule of that moment. It carries the time its offer
 * would have expired (`until`): past it, the message is not sent but recorded as expired.
 */

/** The event type of a deferred message's retry (a durable reminder firing). */
export const DEFERRED_EVENT = 'offer.deferred';

const MINUTE_MS = 60_000;

/**
 * The first instant at or after `from` (rounded up to the minute) at which the policy's
 * quiet hours allow a push channel in time zone `tz`, or undefined when none within 8 days
 * (a policy with empty windows).
 */
export function nextAllowedAt(policy: Policy, tz: string, from: number): number | undefined {
  let t = Math.ceil(from / MINUTE_MS) * MINUTE_MS;
  // Jump to the window's opening, check again (weekdays and weekends differ, DST moves clocks).
  for (let i = 0; i < 32; i++) {
    const local = localTime(t, tz);
    if (allowedHours(policy, local)) return t;
    const h = local.weekday === 0 || local.weekday === 6 ? policy.quietHours.weekends : policy.quietHours.weekdays;
    // Today's opening if it is still ahead, else the next local midnight (tomorrow's hours may differ).
    const minutes = local.minuteOfDay < h.from ? h.from - local.minuteOfDay : 1440 - local.minuteOfDay;
    t += minutes * MINUTE_MS;
    if (t - from > 8 * 86_400_000) return undefined;
  }
  return undefined;
}

/** What a deferred retry carries: the campaign, its deadline and the event that triggered it. */
export interface Deferred {
  campaign: string;
  until: number;
  trigger: string;
}

/** The deferral this event is the retry of, or undefined for any other event. */
export function deferredOf(event: GatewayEvent): Deferred | undefined {
  if (event.type !== DEFERRED_EVENT) return undefined;
  const d = event.data?.deferred;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return undefined;
  const { campaign, until, trigger } = d as Record<string, unknown>;
  if (typeof campaign !== 'string' || typeof until !== 'number' || typeof trigger !== 'string') return undefined;
  return { campaign, until, trigger };
}

/**
 * The reminder that retries campaign `c` at `due`, with the triggering event's data (what the
 * campaign's variables and templates read) and the deferral under `deferred`. One per
 * campaign and customer: a later deferral of the same campaign moves it.
 */
export function deferralReminder(c: Campaign, event: GatewayEvent, due: number, until: number): ReminderSpec {
  const prior = deferredOf(event);
  const deferred: Deferred = { campaign: c.id, until, trigger: prior?.trigger ?? event.type };
  return { name: `deferred:${c.id}`, due, event: DEFERRED_EVENT, data: { ...(event.data ?? {}), deferred: { ...deferred } } };
}

/** Whether the policy's quiet hours are why a campaign found no channel (each reason `channel=problem`). */
export function blockedByQuietHours(why: readonly string[]): boolean {
  return why.some((w) => w.endsWith('=quiet_hours'));
}
