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
    if (!Number.isSafeInteger(now) || now < 0) throw new KairosError('invalid', 'field "now": must be epoch milliseconds');
    this.current = now;
  }

  advance(ms: number): void {
    if (!Number.isSafeInteger(ms) || ms < 0) throw new KairosError('invalid', 'field "advance": must be a non-negative whole number of milliseconds');
    this.current += ms;
  }
}
