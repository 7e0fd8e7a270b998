import type { Campaign, Policy } from '../catalog/compiled-catalog.js';
import type { DeferralRecord } from '../customer-state.js';
import { retention } from '../customer-state.js';
import type { GatewayEvent } from '../gateway-event.js';
import { localTime } from '../local-time.js';
import type { ReminderSpec } from '../reminders.js';
import { allowedHours } from './channel-problem.js';
import type { Explanation } from './explanation.js';

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

/**
 * What a step did to the deferred messages, for the funnel (src/runtime/funnel-ledger.ts):
 * `resumed`, the campaigns whose explanation in this step is a waiting deferral's retry (its
 * outcome, not a new trigger); `superseded`, the campaigns whose waiting deferral a later
 * one of the same campaign replaced (its reminder moved to the later one's data).
 */
export interface DeferralStep {
  resumed: string[];
  superseded: string[];
}

/** The channels a reason `deferred:sms=quiet_hours,push=no_consent` names as blocked by quiet hours. */
function quietChannels(reason: string): string[] {
  const list = reason.slice(reason.indexOf(':') + 1);
  return list
    .split(',')
    .filter((w) => w.endsWith('=quiet_hours'))
    .map((w) => w.slice(0, w.indexOf('=')));
}

/** The index of the campaign's waiting deferral (at most one: one reminder per campaign), or -1. */
function waitingIndex(records: readonly DeferralRecord[], campaign: string): number {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i] as DeferralRecord;
    if (r.campaign === campaign && r.status === 'deferred') return i;
  }
  return -1;
}

/**
 * Bounded: records older than `retention.contactDays` that no longer wait go, then the oldest
 * that no longer wait while more than `retention.deferrals` remain. A waiting one is kept
 * (its reminder will come back to it); there is at most one per campaign.
 */
export function pruneDeferrals(records: DeferralRecord[], t: number): DeferralRecord[] {
  const oldest = t - retention.contactDays * 86_400_000;
  let kept = records.some((r) => r.status !== 'deferred' && r.at < oldest) ? records.filter((r) => r.status === 'deferred' || r.at >= oldest) : records;
  let excess = kept.length - retention.deferrals;
  if (excess > 0) {
    kept = kept.filter((r) => {
      if (excess > 0 && r.status !== 'deferred') {
        excess--;
        return false;
      }
      return true;
    });
  }
  return kept;
}

/**
 * The customer's deferral history after one decision at `decidedAt` of `event`: a campaign
 * deferred (`deferred:…=quiet_hours`) gets a waiting record with its retry time and deadline
 * (from its reminder); one that could not wait (`expired:…=quiet_hours`) an `expired` record;
 * a retry (`offer.deferred`) resolves the campaign's waiting record: `retried` with its
 * outcome, `expired`, or still `deferred` with a new retry time. A new deferral of a campaign
 * that already waits supersedes the waiting one. A retry whose campaign the catalog no longer
 * has gets the explanation `not_in_catalog` (appended to `explain`), so nothing waits for ever.
 */
export function recordDeferrals(
  records: readonly DeferralRecord[],
  event: GatewayEvent,
  explain: Explanation[],
  reminders: readonly ReminderSpec[],
  decidedAt: number,
  /** the event is the server's own reminder firing: only then is it a retry (never a gateway's `offer.deferred`) */
  reminder = true,
): { deferrals: DeferralRecord[]; step: DeferralStep; explain: Explanation[] } | undefined {
  const retry = reminder ? deferredOf(event) : undefined;
  const touched = explain.some((e) => e.reason !== undefined && (e.reason.startsWith('deferred:') || e.reason.startsWith('expired:')));
  if (retry === undefined && !touched) return undefined;
  const next = [...records];
  const step: DeferralStep = { resumed: [], superseded: [] };
  let explained = explain;
  if (retry !== undefined && !explain.some((e) => e.campaign === retry.campaign)) {
    explained = [...explain, { campaign: retry.campaign, verdict: 'suppressed', reason: 'not_in_catalog' }];
  }
  for (const e of explained) {
    const reason = e.reason ?? '';
    const waiting = waitingIndex(next, e.campaign);
    const isRetry = retry !== undefined && retry.campaign === e.campaign;
    const reminder = reminders.find((r): r is Extract<ReminderSpec, { due: number }> => r.name === `deferred:${e.campaign}` && 'due' in r);
    const deferredNow = reason.startsWith('deferred:') && reminder !== undefined;
    if (isRetry && waiting >= 0) {
      step.resumed.push(e.campaign);
      const w = next[waiting] as DeferralRecord;
      if (deferredNow) next[waiting] = { ...w, retryAt: reminder.due };
      else {
        const { retryAt: _done, ...rest } = w;
        const expired = reason === 'expired' || reason.startsWith('expired:');
        next[waiting] = expired
          ? { ...rest, status: 'expired', resolvedAt: decidedAt }
          : { ...rest, status: 'retried', resolvedAt: decidedAt, outcome: e.verdict === 'suppressed' ? reason : e.verdict };
      }
      continue;
    }
    if (deferredNow) {
      if (waiting >= 0) {
        const { retryAt: _moved, ...rest } = next[waiting] as DeferralRecord;
        next[waiting] = { ...rest, status: 'superseded', resolvedAt: decidedAt };
        step.superseded.push(e.campaign);
      }
      const d = deferredOf({ ...event, type: DEFERRED_EVENT, data: reminder.data });
      next.push({ campaign: e.campaign, at: decidedAt, status: 'deferred', channels: quietChannels(reason), reason: 'quiet_hours', trigger: d?.trigger ?? event.type, retryAt: reminder.due, ...(d === undefined ? {} : { until: d.until }) });
    } else if (reason.startsWith('expired:')) {
      next.push({ campaign: e.campaign, at: decidedAt, status: 'expired', channels: quietChannels(reason), reason: 'quiet_hours', trigger: retry?.trigger ?? event.type, resolvedAt: decidedAt });
    }
  }
  return { deferrals: pruneDeferrals(next, decidedAt), step, explain: explained };
}
