import type { Channel } from '../catalog/channels.js';
import type { Policy } from '../catalog/compiled-catalog.js';
import type { DecisionAction } from '../customer-state.js';
import { localTime } from '../local-time.js';

/**
 * Channel capacity: what a channel can take a day across all customers (the call centre's
 * calls). The day is the local day in the policy's default time zone.
 */
export function capacityDay(policy: Policy, now: number): number {
  return localTime(now, policy.defaultTimezone).epochDay;
}

/** No channel: what fullChannels answers while every channel has room (asked at every event: no set is made for it). */
const NONE_FULL: ReadonlySet<string> = new Set<string>();

/** The channels whose capacity for the day is used up, given the contacts made on each that day (`usedOn`). */
export function fullChannels(policy: Policy, usedOn: (channel: Channel) => number): ReadonlySet<string> {
  let out: Set<string> | undefined;
  for (const [channel, perDay] of policy.channelCapacity) {
    if (usedOn(channel) >= perDay) (out ??= new Set<string>()).add(channel);
  }
  return out ?? NONE_FULL;
}

/** What one action takes of its channel's capacity for the day. */
export interface CapacityCharge {
  channel: Channel;
  contacts: 1;
  perDay: number;
}

/** What these actions take of channel capacity; actions on channels without a capacity take nothing. */
export function capacityCharges(actions: readonly DecisionAction[], policy: Policy): CapacityCharge[] {
  return actions.flatMap((a) => {
    const perDay = policy.channelCapacity.get(a.channel as Channel);
    return perDay === undefined ? [] : [{ channel: a.channel as Channel, contacts: 1 as const, perDay }];
  });
}
