import type { Channel } from '../catalog/channels.js';
import type { Campaign } from '../catalog/compiled-catalog.js';
import { runs } from '../campaign.machine.js';
import { formatClock } from '../format.js';
import type { GatewayEvent } from '../gateway-event.js';
import type { LocalTime } from '../local-time.js';
import { inWindow } from '../local-time.js';
import type { SegmentChange } from '../ingest.js';
import type { RunCall } from '../outbound-run.js';

/** Why this campaign does not apply to this event and customer now, or undefined when it does. */
export function triggerProblem(c: Campaign, event: GatewayEvent, t: number, local: LocalTime): string | undefined {
  if (!runs(c.status)) return `inactive:${c.status}`;
  if (c.startsAt !== undefined && t < c.startsAt) return 'not_started';
  if (c.endsAt !== undefined && t >= c.endsAt) return 'ended';
  if (c.eventChannels !== undefined && (event.channel === undefined || !c.eventChannels.has(event.channel))) return 'wrong_channel';
  if (c.localTime !== undefined && !inWindow(local.minuteOfDay, c.localTime.from, c.localTime.to)) {
    return `outside_hours:${formatClock(local.hour, local.minute)}`;
  }
  if (c.weekdays !== undefined && !c.weekdays.has(local.weekday === 0 ? 7 : local.weekday)) return 'wrong_weekday';
  return undefined;
}

/**
 * Whether the event triggers campaign `c`: an outbound campaign only by a run of its own
 * handed over (`run`); a run's hand-over no other campaign by its event, but the segment
 * changes it brought (memberships evaluated as of now) trigger theirs as any step's do.
 */
export function triggers(c: Campaign, event: GatewayEvent, session: Channel | undefined, changes: readonly SegmentChange[], run?: RunCall): boolean {
  if (c.outbound !== undefined) return run?.campaign === c.id;
  if (run === undefined && (c.events.has(event.type) || (c.passive && session !== undefined && c.channels.includes(session)))) return true;
  // (a loop, not `some` with a closure: asked for every campaign at every event)
  for (const ch of changes) if ((ch.change === 'entered' ? c.onSegment.entered : c.onSegment.exited).has(ch.segment)) return true;
  return false;
}
