import { KairosError } from './errors.js';

/**
 * The server's one notion of "now". The system clock in production; a manual clock for QA
 * (`--clock manual`), moved only by `POST /v1/clock`.
 */
export interface Clock {
  readonly mode: 'system' | 'manual';
  now(): number;
}

export const systemClock: Clock = { mode: 'system', now: () => Date.now() };

/**
 * The latest time the manual clock may show: the end of the year 9999 (UTC). Everything
 * computed from "now" (offer expiries, feature windows, reminders) must still be a date,
 * and JavaScript dates end at 8.64e15 ms (year 275760): a clock set there made every
 * decision a 500.
 */
export const MAX_MANUAL_CLOCK_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export class ManualClock implements Clock {
  readonly mode = 'manual';
  private current: number;

  constructor(start: number) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  set(now: number): void {
    if (!Number.isSafeInteger(now) || now < 0 || now > MAX_MANUAL_CLOCK_MS) {
      throw new KairosError('invalid', `field "now": must be epoch milliseconds from 0 to ${MAX_MANUAL_CLOCK_MS} (the end of 9999)`);
    }
    this.current = now;
  }

  advance(ms: number): void {
    if (!Number.isSafeInteger(ms) || ms < 0) throw new KairosError('invalid', 'field "advance": must be a non-negative whole number of milliseconds');
    if (this.current + ms > MAX_MANUAL_CLOCK_MS) throw new KairosError('invalid', `field "advance": would move the clock past ${MAX_MANUAL_CLOCK_MS} (the end of 9999)`);
    this.current += ms;
  }
}
