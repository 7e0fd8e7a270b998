/**
 * Milliseconds of a task's own work: the spans between `pause()` and `resume()` (waits for a
 * later turn) left out, unless `waitsCount` (the wait is itself part of the work: a network
 * round trip).
 */
export class WorkClock {
  private total = 0;
  private since = performance.now();

  constructor(private readonly waitsCount = false) {}

  pause(): void {
    if (!this.waitsCount) this.total += performance.now() - this.since;
  }

  resume(): void {
    if (!this.waitsCount) this.since = performance.now();
  }

  stop(): number {
    return this.total + performance.now() - this.since;
  }
}
