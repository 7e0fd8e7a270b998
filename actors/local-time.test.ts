import { describe, expect, it } from 'vitest';
import { bearingDeg, directionRu, distanceM, walkingMinutes } from './geo.js';
import { inWindow, isValidTimeZone, localTime, parseClock, startOfLocalDay } from './local-time.js';

describe('local time', () => {
  it('reads the wall clock in the customer’s zone', () => {
    const t = Date.parse('2026-03-02T09:30:00Z');
    expect(localTime(t, 'Europe/Moscow')).toMatchObject({ hour: 12, minute: 30, minuteOfDay: 750, weekday: 1, day: 2, month: 3 });
    expect(localTime(t, 'Asia/Vladivostok')).toMatchObject({ hour: 19, minute: 30 });
    expect(localTime(t, 'America/New_York')).toMatchObject({ hour: 4, minute: 30 });
  });

  it('follows daylight saving time', () => {
    // Berlin moves to summer time on 2026-03-29 at 02:00 local (01:00 UTC).
    expect(localTime(Date.parse('2026-03-29T00:30:00Z'), 'Europe/Berlin').hour).toBe(1);
    expect(localTime(Date.parse('2026-03-29T01:30:00Z'), 'Europe/Berlin').hour).toBe(3);
  });

  it('counts local calendar days: 23:30 and 00:30 in Moscow are different days', () => {
    const a = localTime(Date.parse('2026-03-02T20:30:00Z'), 'Europe/Moscow');
    const b = localTime(Date.parse('2026-03-02T21:30:00Z'), 'Europe/Moscow');
    expect(b.epochDay - a.epochDay).toBe(1);
  });

  it('never throws on an instant no Date holds: UTC there', () => {
    // 9e15 and 2^53 - 1 pass Number.isSafeInteger but not new Date(): Intl would throw a RangeError.
    for (const t of [9e15, Number.MAX_SAFE_INTEGER, -9e15, Number.NaN]) {
      expect(() => localTime(t, 'Europe/Moscow')).not.toThrow();
    }
    expect(localTime(9e15, 'Europe/Moscow').minuteOfDay).toBe(localTime(9e15, 'UTC').minuteOfDay);
  });

  it('parses clock times and windows, including windows across midnight', () => {
    expect(parseClock('12:00')).toBe(720);
    expect(parseClock('24:00')).toBeUndefined();
    expect(parseClock('9:00')).toBeUndefined();
    expect(inWindow(720, 720, 900)).toBe(true);
    expect(inWindow(900, 720, 900)).toBe(false);
    expect(inWindow(23 * 60, 22 * 60, 6 * 60)).toBe(true);
    expect(inWindow(5 * 60, 22 * 60, 6 * 60)).toBe(true);
    expect(inWindow(12 * 60, 22 * 60, 6 * 60)).toBe(false);
    expect(isValidTimeZone('Europe/Moscow')).toBe(true);
    expect(isValidTimeZone('Nowhere/Town')).toBe(false);
  });
});

describe('walking directions', () => {
  it('measures distance and direction', () => {
    const branch = { lat: 55.7614, lon: 37.609 };
    const north = { lat: 55.7704, lon: 37.609 };
    expect(distanceM(branch, north)).toBeGreaterThan(995);
    expect(distanceM(branch, north)).toBeLessThan(1005);
    expect(directionRu(bearingDeg(branch, north))).toBe('на север');
    expect(directionRu(bearingDeg(north, branch))).toBe('на юг');
    expect(directionRu(bearingDeg(branch, { lat: 55.7614, lon: 37.62 }))).toBe('на восток');
    expect(walkingMinutes(1000)).toBe(16);
    expect(walkingMinutes(10)).toBe(1);
  });
});

describe('local time against Intl, minute by minute', () => {
  it('reads the civil date, time and weekday of any instant as Date does (UTC, 1600-2400)', () => {
    const check = (t: number): void => {
      const d = new Date(t);
      const lt = localTime(t, 'UTC');
      expect([lt.year, lt.month, lt.day, lt.hour, lt.minute, lt.weekday, lt.minuteOfDay, lt.epochDay], d.toISOString()).toEqual([
        d.getUTCFullYear(),
        d.getUTCMonth() + 1,
        d.getUTCDate(),
        d.getUTCHours(),
        d.getUTCMinutes(),
        d.getUTCDay(),
        d.getUTCHours() * 60 + d.getUTCMinutes(),
        Math.floor(t / 86_400_000),
      ]);
    };
    // Leap days, century years (1700, 1900 and 2100 are not leap years, 2000 is), year ends,
    // the epoch and before it.
    for (const iso of ['1600-02-29T23:59:59.999Z', '1700-02-28T12:00:00Z', '1700-03-01T00:00:00Z', '1900-03-01T00:00:00Z', '1969-12-31T23:59:59.999Z', '1970-01-01T00:00:00Z', '2000-02-29T18:30:00Z', '2024-12-31T23:59:00Z', '2100-02-28T23:00:00Z', '2100-03-01T00:00:00Z', '2399-12-31T23:59:59Z']) {
      check(Date.parse(iso));
    }
    // A week, 17 minutes and 13 seconds at a time, over eight centuries.
    for (let t = Date.parse('1600-01-01T00:00:00Z'); t < Date.parse('2400-01-01T00:00:00Z'); t += 605_833_000) check(t);
  });

  it('agrees with Intl across DST switches in several zones', () => {
    const zones = ['Europe/Moscow', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham'];
    const f = (tz: string) =>
      new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    for (const tz of zones) {
      const fmt = f(tz);
      // Around the 2026 spring and autumn switches of both hemispheres, every 7 minutes.
      for (const start of [Date.parse('2026-03-27T00:00:00Z'), Date.parse('2026-04-03T00:00:00Z'), Date.parse('2026-09-25T00:00:00Z'), Date.parse('2026-10-23T00:00:00Z'), Date.parse('2026-11-01T00:00:00Z')]) {
        for (let t = start; t < start + 4 * 86_400_000; t += 7 * 60_000 + 13_000) {
          const parts = Object.fromEntries(fmt.formatToParts(new Date(t)).map((p) => [p.type, p.value]));
          const lt = localTime(t, tz);
          expect([lt.year, lt.month, lt.day, lt.hour, lt.minute], `${tz} ${new Date(t).toISOString()}`).toEqual(
            ['year', 'month', 'day', 'hour', 'minute'].map((k) => Number(parts[k])),
          );
        }
      }
    }
  });
});

describe('startOfLocalDay', () => {
  it('is the local midnight, in any zone, across a DST switch, and the first minute of a day whose midnight was skipped', () => {
    const dayOf = (iso: string, zone: string): number => localTime(Date.parse(iso), zone).epochDay;
    expect(startOfLocalDay(dayOf('2030-03-16T12:00:00+03:00', 'Europe/Moscow'), 'Europe/Moscow')).toBe(Date.parse('2030-03-16T00:00:00+03:00'));
    expect(startOfLocalDay(dayOf('2030-03-16T12:00:00+07:00', 'Asia/Novosibirsk'), 'Asia/Novosibirsk')).toBe(Date.parse('2030-03-16T00:00:00+07:00'));
    // Berlin: the day of the spring switch (02:00 -> 03:00) and the day after it start at midnight.
    expect(startOfLocalDay(dayOf('2030-03-31T12:00:00+02:00', 'Europe/Berlin'), 'Europe/Berlin')).toBe(Date.parse('2030-03-31T00:00:00+01:00'));
    expect(startOfLocalDay(dayOf('2030-04-01T12:00:00+02:00', 'Europe/Berlin'), 'Europe/Berlin')).toBe(Date.parse('2030-04-01T00:00:00+02:00'));
    // São Paulo, 4 November 2018: clocks went from 00:00 straight to 01:00; the day began at 01:00 (-02).
    expect(startOfLocalDay(dayOf('2018-11-04T12:00:00-02:00', 'America/Sao_Paulo'), 'America/Sao_Paulo')).toBe(Date.parse('2018-11-04T01:00:00-02:00'));
  });
});
