import type { OutboundSchedule } from '../../actors/index.js';
import { instantOfLocal, localTime } from '../../actors/index.js';

/**
 * The latest instant at or before `now` an outbound schedule names (docs/outbound.md), in
 * time zone `tz`: `once`, its instant once come; `daily`, today's time or else yesterday's;
 * `weekly`, the last such weekday's. Undefined: none yet (a `once` still ahead).
 */
export function latestSlot(schedule: OutboundSchedule, tz: string, now: number): number | undefined {
  if ('once' in schedule) return schedule.once <= now ? schedule.once : undefined;
  const today = localTime(now, tz).epochDay;
  // the wall-clock time that day (not midnight plus minutes: a clock change that day moves it)
  const at = (epochDay: number, minuteOfDay: number): number => instantOfLocal(epochDay, minuteOfDay, tz);
  if ('daily' in schedule) {
    const t = at(today, schedule.daily);
    return t <= now ? t : at(today - 1, schedule.daily);
  }
  const { weekday, minuteOfDay } = schedule.weekly;
  for (let back = 0; back <= 7; back++) {
    const day = today - back;
    // epoch day 0 (1970-01-01) was a Thursday: ISO weekday 4
    const iso = ((((day + 3) % 7) + 7) % 7) + 1;
    if (iso !== weekday) continue;
    const t = at(day, minuteOfDay);
    if (t <= now) return t;
  }
  return undefined;
}
