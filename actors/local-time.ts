/**
 * Local time of day in a customer's time zone, from an instant. Pure: the instant is an
 * argument, never the wall clock. Intl's time-zone data does the DST arithmetic.
 */

export interface LocalTime {
  /** minutes since local midnight, 0..1439 */
  minuteOfDay: number;
  /** 0 = Sunday .. 6 = Saturday */
  weekday: number;
  /** days since 1970-01-01 in local time (for day buckets and calendar days) */
  epochDay: number;
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function localTime(at: number, timeZone: string): LocalTime {
  const parts = formatter(timeZone).formatToParts(new Date(at));
  let year = 1970;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  for (const p of parts) {
    switch (p.type) {
      case 'year':
        year = Number(p.value);
        break;
      case 'month':
        month = Number(p.value);
        break;
      case 'day':
        day = Number(p.value);
        break;
      case 'hour':
        hour = Number(p.value);
        break;
      case 'minute':
        minute = Number(p.value);
        break;
      default:
        break;
    }
  }
  const epochDay = Math.floor(Date.UTC(year, month - 1, day) / 86_400_000);
  // 1970-01-01 was a Thursday (4).
  const weekday = (((epochDay + 4) % 7) + 7) % 7;
  return { minuteOfDay: hour * 60 + minute, weekday, epochDay, year, month, day, hour, minute };
}

/** Parses "HH:MM" into minutes since midnight; undefined when malformed. */
export function parseClock(text: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (m === null) return undefined;
  return Number(m[1]) * 60 + Number(m[2]);
}

/**
 * Whether a minute of the day falls in [from, to). A window whose end is before its start
 * wraps midnight (22:00-06:00).
 */
export function inWindow(minuteOfDay: number, from: number, to: number): boolean {
  if (from <= to) return minuteOfDay >= from && minuteOfDay < to;
  return minuteOfDay >= from || minuteOfDay < to;
}
