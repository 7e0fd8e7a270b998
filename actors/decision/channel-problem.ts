import type { Channel } from '../catalog/channels.js';
import type { Campaign, Policy } from '../catalog/compiled-catalog.js';
import { isOutbound } from '../catalog/channels.js';
import type { StopScope } from '../contact-policy.js';
import { isStopped } from '../contact-policy.js';
import type { CustomerContext } from '../customer-state.js';
import type { LocalTime } from '../local-time.js';
import { inWindow } from '../local-time.js';

/** Where an outbound message to the customer goes: the first phone for SMS, the first e-mail; none for push (the app knows its device). */
export function addressFor(ctx: CustomerContext, channel: Channel): string | undefined {
  if (channel === 'sms') return ctx.identifiers.phone[0];
  if (channel === 'email') return ctx.identifiers.email[0];
  return undefined;
}

/** Whether the customer can be reached on an outbound channel at all. */
export function reachable(ctx: CustomerContext, channel: Channel): boolean {
  if (channel === 'sms') return ctx.identifiers.phone.length > 0;
  if (channel === 'email') return ctx.identifiers.email.length > 0;
  return true;
}

/** Whether the customer's local time is inside the hours a push channel may be used. */
export function allowedHours(policy: Policy, local: LocalTime): boolean {
  const weekend = local.weekday === 0 || local.weekday === 6;
  const h = weekend ? policy.quietHours.weekends : policy.quietHours.weekdays;
  return inWindow(local.minuteOfDay, h.from, h.to);
}

/** Why this campaign cannot use this channel now, or undefined when it can. */
export function channelProblem(
  ctx: CustomerContext,
  c: Campaign,
  channel: Channel,
  session: Channel | undefined,
  stops: readonly StopScope[],
  policy: Policy,
  local: LocalTime,
): string | undefined {
  if (isOutbound(channel)) {
    if (!reachable(ctx, channel)) return 'unreachable';
  } else if (channel !== session && !c.pushTo.has(channel)) {
    return 'no_session';
  }
  if (isStopped(stops, c.id, channel)) return 'stop_list';
  if (c.marketing && policy.consentRequired.has(channel) && ctx.consents[channel]?.granted !== true) return 'no_consent';
  if (c.marketing && !c.quietHoursExempt && policy.quietHours.channels.has(channel) && !allowedHours(policy, local)) return 'quiet_hours';
  if (ctx.pending.some((p) => p.offer === c.offer.id && p.channel === channel)) return 'already_pending';
  return undefined;
}
