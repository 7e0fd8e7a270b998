import type { Cap } from './catalog/compiled-catalog.js';

/**
 * The contact policy's checks: the stop list and frequency caps over sliding windows.
 * Pure functions of the contact history, the time and the policy.
 */

/**
 * A stop-list entry that matched this customer: no scope means everything; a channel or a
 * campaign narrows it to that channel or that campaign.
 */
export interface StopScope {
  channel?: string;
  campaign?: string;
}

/** Whether the stop list forbids this campaign on this channel. */
export function isStopped(stops: readonly StopScope[], campaign: string, channel: string): boolean {
  return stops.some(
    (s) => (s.channel === undefined || s.channel === channel) && (s.campaign === undefined || s.campaign === campaign),
  );
}

/** Whether the stop list forbids everything (a global entry). */
export function isStoppedEverywhere(stops: readonly StopScope[]): boolean {
  return stops.some((s) => s.channel === undefined && s.campaign === undefined);
}

export interface CountedContact {
  channel: string;
  at: number;
  marketing: boolean;
}

/**
 * Whether one more marketing contact on `channel` at time `t` keeps every window of
 * `cap.windowMs` at or under `cap.max`. Exact for any order of times: a contact recorded
 * later than `t` (an event that arrived late) counts too.
 */
export function capAllows(contacts: readonly CountedContact[], cap: Cap, channel: string, t: number): boolean {
  if (cap.channel !== '*' && cap.channel !== 'any' && cap.channel !== channel) return true;
  const w = cap.windowMs;
  const times: number[] = [];
  for (const c of contacts) {
    // A cap on one channel (or "*", each channel) counts that channel's contacts; "any" counts all.
    const counted = cap.channel === 'any' || c.channel === channel;
    if (counted && c.marketing && c.at > t - w && c.at < t + w) times.push(c.at);
  }
  if (times.length + 1 <= cap.max) return true;
  times.sort((a, b) => a - b);
  // Every window holding t starts in (t - w, t]; the fullest starts at t or at a contact.
  const starts = [t, ...times.filter((x) => x <= t)];
  for (const s of starts) {
    let n = 1;
    for (const x of times) if (x >= s && x < s + w) n++;
    if (n > cap.max) return false;
  }
  return true;
}

/** The first cap that forbids one more contact, or undefined when all allow it. */
export function blockingCap(contacts: readonly CountedContact[], caps: readonly Cap[], channel: string, t: number): Cap | undefined {
  return caps.find((cap) => !capAllows(contacts, cap, channel, t));
}
