/**
 * The background lane of outbound runs' hand-overs (`CustomerHost.submitRun`, docs/outbound.md):
 * a run fills the time the gateways leave idle. A hand-over goes at once only while the host
 * holds no gateway request (`foregroundBusy`: admitted and not yet answered), fewer than `maxActive` of the run's hand-overs
 * are being decided (so a run never holds the store's read threads or the mailboxes for long),
 * and the run's slice of this turn of the event loop (`sliceMs` of monotonic time, from the
 * first hand-over of the turn) is not used up; otherwise it waits for a later turn
 * (`setImmediate`: the timers and the sockets' I/O of the loop go first, so a gateway request
 * that arrived meanwhile is decided before it). A hand-over waits for busy gateways at most
 * `maxWaitMs`: a steady inbound load still leaves a run one slice a turn.
 */

export interface RunLaneOptions {
  /** monotonic milliseconds (the host's) */
  now: () => number;
  /** whether gateway requests (anything but a run's hand-over) are admitted and not yet answered */
  foregroundBusy: () => boolean;
  /** the run's milliseconds of a turn of the event loop before its hand-overs wait for the next (0: never wait) */
  sliceMs?: number;
  /** the longest a waiting hand-over lets busy gateways go first */
  maxWaitMs?: number;
  /** hand-overs being decided at once (admitted, not yet `left`) */
  maxActive?: number;
}

/** 2 ms of run work a turn: the gateways' p99 is kept within a few ms of its idle value. */
export const RUN_SLICE_MS = 2;
/** A run's hand-over waits at most this for gateways that stay busy. */
export const RUN_MAX_WAIT_MS = 50;
/** A run's hand-overs being decided at once, at most. */
export const RUN_MAX_ACTIVE = 8;

interface Waiter {
  since: number;
  go: () => void;
}

export class RunLane {
  private readonly sliceMs: number;
  private readonly maxWaitMs: number;
  private readonly maxActive: number;
  /** hand-overs let go and not yet decided */
  private active = 0;
  private readonly waiters: Waiter[] = [];
  /** when this turn's slice began, or undefined when no slice is open */
  private sliceStart: number | undefined;
  private scheduled = false;
  private bound: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(private readonly o: RunLaneOptions) {
    this.sliceMs = o.sliceMs ?? RUN_SLICE_MS;
    this.maxWaitMs = o.maxWaitMs ?? RUN_MAX_WAIT_MS;
    this.maxActive = o.maxActive ?? RUN_MAX_ACTIVE;
  }

  /** Hand-overs waiting for their turn. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Undefined: the hand-over goes now; else a promise resolved when its turn comes. Either way, `left` once it is decided. */
  turn(): Promise<void> | undefined {
    if (this.closed || this.sliceMs <= 0) {
      this.active++;
      return undefined;
    }
    const now = this.o.now();
    if (this.waiters.length === 0 && this.active < this.maxActive && !this.o.foregroundBusy()) {
      if (this.sliceStart === undefined) this.open(now);
      if (now - this.sliceStart! < this.sliceMs) {
        this.active++;
        return undefined;
      }
    }
    return new Promise<void>((go) => {
      this.waiters.push({ since: now, go });
      this.schedule();
    });
  }

  /** The host answered its last gateway request in hand: waiting hand-overs may go at the next turn. */
  quiet(): void {
    if (this.waiters.length > 0) this.schedule();
  }

  /** A hand-over let go by `turn` was decided (or refused): the next may go, at the next turn. */
  left(): void {
    this.active--;
    if (this.waiters.length > 0) this.schedule();
  }

  /** Lets every waiting hand-over go and never holds one again (the host is closing: they are refused there). */
  close(): void {
    this.closed = true;
    if (this.bound !== undefined) clearTimeout(this.bound);
    this.bound = undefined;
    for (const w of this.waiters.splice(0)) {
      this.active++;
      w.go();
    }
  }

  private open(now: number): void {
    this.sliceStart = now;
    // The slice ends with this turn.
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.next);
  }

  /** A later turn: the slice of the last one ends; the waiting hand-overs go, unless the gateways are busy (and not for too long). */
  private readonly next = (): void => {
    this.scheduled = false;
    this.sliceStart = undefined;
    const oldest = this.waiters[0];
    if (oldest === undefined || this.closed || this.active >= this.maxActive) return;
    const now = this.o.now();
    if (this.o.foregroundBusy() && now - oldest.since < this.maxWaitMs) {
      // `quiet` or the bound brings the next turn
      if (this.bound === undefined) this.arm(this.maxWaitMs - (now - oldest.since));
      return;
    }
    this.release(now);
  };

  /** The bound on a wait for the gateways, checked in `ms` (in the host's monotonic time: a test moves it). */
  private arm(ms: number): void {
    this.bound = setTimeout(() => {
      this.bound = undefined;
      const oldest = this.waiters[0];
      if (oldest === undefined || this.closed) return;
      const now = this.o.now();
      if (!this.o.foregroundBusy() || now - oldest.since >= this.maxWaitMs) this.release(now);
      else this.arm(this.maxWaitMs - (now - oldest.since));
    }, Math.max(1, ms));
    this.bound.unref();
  }

  private release(now: number): void {
    if (this.bound !== undefined) clearTimeout(this.bound);
    this.bound = undefined;
    if (this.waiters.length === 0 || this.closed) return;
    this.open(now);
    for (const w of this.waiters.splice(0, Math.max(0, this.maxActive - this.active))) {
      this.active++;
      w.go();
    }
  }
}
