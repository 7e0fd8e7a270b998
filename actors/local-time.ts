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

/**
 * The zone's UTC offset, in minutes, during the quarter hour holding `at`. Offsets change
 * only on quarter-hour boundaries (DST switches are on the hour or the half hour), so one
 * Intl lookup serves a whole quarter hour; the memo is a pure function's cache.
 */
const offsets = new Map<string, Map<number, number>>();
const QUARTER_HOUR = 900_000;
/** The largest instant a Date holds (±100,000,000 days around 1970); past it `new Date()` is invalid and Intl throws. */
const DATE_RANGE_MS = 8.64e15;

function offsetMinutes(at: number, timeZone: string): number {
  const bucket = Math.floor(at / QUARTER_HOUR);
  let zone = offsets.get(timeZone);
  if (zone === undefined) {
    zone = new Map();
    offsets.set(timeZone, zone);
  }
  let offset = zone.get(bucket);
  if (offset === undefined) {
    const start = bucket * QUARTER_HOUR;
    // An instant no Date holds (a gateway's `at` is bounded before it gets here; this is the
    // last line): UTC, never a RangeError.
    if (!(Math.abs(start) <= DATE_RANGE_MS)) return 0;
    const fields: Record<string, number> = {};
    for (const p of formatter(timeZone).formatToParts(new Date(start))) {
      if (p.type === 'year' || p.type === 'month' || p.type === 'day' || p.type === 'hour' || p.type === 'minute') fields[p.type] = Number(p.value);
    }
    const wall = Date.UTC(fields.year ?? 1970, (fields.month ?? 1) - 1, fields.day ?? 1, fields.hour ?? 0, fields.minute ?? 0);
    offset = Math.round((wall - start) / 60_000);
    if (zone.size >= 100_000) zone.clear();
    zone.set(bucket, offset);
  }
  return offset;
}

/** Civil date of an epoch day (Howard Hinnant's days-to-civil), without a Date object. */
export function civilDate(epochDay: number): [year: number, month: number, day: number] {
  const z = epochDay + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, doy - Math.floor((153 * mp + 2) / 5) + 1];
}

/** Epoch day of a civil date (days-from-civil); a day past the month's end runs into the next month (Feb 29 of a common year is Mar 1). */
export function epochDayOf(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * The first instant of local day `epochDay` in `timeZone`: its midnight, or where a DST switch
 * skips midnight, the first minute the day has.
 */
export function startOfLocalDay(epochDay: number, timeZone: string): number {
  const wall = epochDay * 86_400_000;
  let at = wall - offsetMinutes(wall, timeZone) * 60_000;
  // The offset at the instant itself (it differs when a switch lies between the guess and it).
  at = wall - offsetMinutes(at, timeZone) * 60_000;
  // A day whose midnight a switch skipped starts at the switch: step to the first minute it has.
  for (let i = 0; i < 4 && localTime(at, timeZone).epochDay < epochDay; i++) at += 900_000;
  // Never later than the day's start (an offset change just after midnight): back while the
  // quarter hour before is still this day.
  for (let i = 0; i < 8 && localTime(at - 900_000, timeZone).epochDay === epochDay; i++) at -= 900_000;
  return at;
}

/**
 * The instant local day `epochDay` reads `minuteOfDay` on the clock in `timeZone` (on a day a
 * switch skips that minute, the first minute after the gap; where a switch repeats it, one of
 * the two).
 */
export function instantOfLocal(epochDay: number, minuteOfDay: number, timeZone: string): number {
  const wall = epochDay * 86_400_000 + minuteOfDay * 60_000;
  let at = wall - offsetMinutes(wall, timeZone) * 60_000;
  at = wall - offsetMinutes(at, timeZone) * 60_000;
  // inside a skipped hour the guess lands past the wanted minute: back to the switch, the first minute after the gap
  for (let i = 0; i < 180; i++) {
    const before = localTime(at - 60_000, timeZone);
    if (before.epochDay !== epochDay || before.minuteOfDay < minuteOfDay) break;
    at -= 60_000;
  }
  return at;
}

export function localTime(at: number, timeZone: string): LocalTime {
  // Plain arithmetic on the local instant (no Date object): the day number, the time of day,
  // and the civil date from the day number.
  const local = at + offsetMinutes(at, timeZone) * 60_000;
  const epochDay = Math.floor(local / 86_400_000);
  const minuteOfDay = Math.floor((local - epochDay * 86_400_000) / 60_000);
  const [year, month, day] = civilDate(epochDay);
  const hour = Math.floor(minuteOfDay / 60);
  const minute = minuteOfDay - hour * 60;
  // 1970-01-01 was a Thursday (4).
  const weekday = (((epochDay + 4) % 7) + 7) % 7;
  return { minuteOfDay, weekday, epochDay, year, month, day, hour, minute };
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
