import type { RunState } from './outbound-runs.js';

/**
 * The outbound runs whose deferred messages must not go out at their retry as they are: the
 * cancelled ones (the retry is suppressed, `run_cancelled`) and the paused ones (the retry
 * waits again: actors/decision/decide.ts). Kept current by this node's `OutboundRuns` from every
 * state it writes or reads (its own moves at once; another node's at its next tick), read by the
 * host at each decision (`decisionInputs`). A run is never cancelled back into running, so a
 * cancelled run's id is kept; a paused one leaves the set when it runs again or ends.
 */
export class RunStops {
  readonly cancelled = new Set<string>();
  readonly paused = new Set<string>();

  /** The run is in `state` now. */
  note(run: string, state: RunState): void {
    if (state === 'cancelled') {
      this.cancelled.add(run);
      this.paused.delete(run);
    } else if (state === 'paused') this.paused.add(run);
    else this.paused.delete(run);
  }
}
