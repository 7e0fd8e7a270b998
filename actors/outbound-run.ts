import type { Explanation } from './decision/explanation.js';
import type { ContactRecord, CustomerContext } from './customer-state.js';
import type { GatewayEvent } from './gateway-event.js';

/**
 * An outbound campaign's run, as its customers' actors see it (docs/outbound.md): the host
 * hands each customer of the run's segments the event `campaign.run` with the run beside it
 * (`EventMessage.run`, never from a gateway), and the run's campaign alone is decided for it,
 * under every rule an event's decision keeps. The customer remembers each run it was handed
 * and what became of it (`CustomerContext.runs`): handed again (a page redone after a crash, a
 * customer in two of the run's segments), it answers with that and does nothing, so a run
 * contacts a customer at most once (a run forgotten from `runs` is still known by the contact it
 * made: `runHandled`).
 */

/** The event type of a run's hand-over. */
export const RUN_EVENT = 'campaign.run';

/** A run as a customer is handed it. */
export interface RunCall {
  id: string;
  campaign: string;
  /** a call-centre wave's run: its number, and the runs of the waves before it (the re-calls' series) */
  wave?: { n: number; earlier: readonly string[] };
}

/** What a run's hand-over answered: the outcome remembered, and whether it is final (a capacity-blocked one is handed again another day). */
export interface RunAnswer {
  outcome: string;
  final: boolean;
  /** the expected value the decision gave the campaign (offered or held out), for a wave's call list */
  score?: number;
}

/**
 * Call outcomes that say the customer was not reached: the next wave calls again. A call with
 * no outcome by the time its offer expired (`expired`, or none yet) was not reached either.
 */
export const notReachedOutcomes: ReadonlySet<string> = new Set(['no_answer', 'expired']);

/**
 * Why a later wave does not call this customer again, or undefined when it does: a call of an
 * earlier wave reached them (any outcome but no answer or expiry; a callback was asked for,
 * and is made at its time), or an earlier call is still open. A customer no earlier wave
 * called (held off by a cap, say) is called now, if every rule allows.
 */
export function waveProblem(ctx: CustomerContext, run: RunCall): string | undefined {
  const earlier = run.wave?.earlier;
  if (earlier === undefined || earlier.length === 0) return undefined;
  const calls = ctx.contacts.filter((k) => k.run !== undefined && earlier.includes(k.run) && k.control !== true);
  const reached = calls.find((k) => k.outcome !== undefined && !notReachedOutcomes.has(k.outcome));
  if (reached !== undefined) return `reached:${reached.outcome!}`;
  // an earlier call still open (its outcome not in yet): not called again over it
  if (calls.some((k) => ctx.pending.some((p) => p.instance === k.instance))) return 'call_open';
  return undefined;
}

/** Whether a contact is an earlier wave's call the run re-calls (recency does not count it). */
export function isEarlierWave(k: ContactRecord, run: RunCall | undefined): boolean {
  return run?.wave !== undefined && k.run !== undefined && run.wave.earlier.includes(k.run);
}

/** Runs a customer remembers; the oldest is forgotten past this many. */
export const RUNS_REMEMBERED = 64;

/** The hand-over event of `run` for `customer` at `at` (its id names both: the same on a redo). */
export function runEvent(run: RunCall, customer: string, at: number): GatewayEvent {
  return { id: `run:${run.id}:${customer}`, type: RUN_EVENT, customer: { id: customer }, at, data: { run: run.id } };
}

/**
 * What became of the run's campaign in a decision: `offered`, `control`, or the reason code
 * (the part before a colon: `deferred`, `cap`, `stop_list`, `not_in_segment`…). Not final when
 * a channel was left out for want of capacity today (`…=capacity`: the run hands the customer
 * again when there is room), or when the campaign is not running now (paused, not started,
 * ended: the run stops there), or the run itself was paused or cancelled when it was decided.
 */
export function runAnswer(explain: readonly Explanation[], campaign: string): RunAnswer {
  const e = explain.find((x) => x.campaign === campaign);
  if (e === undefined) return { outcome: 'not_triggered', final: true };
  if (e.verdict !== 'suppressed') return e.score === undefined ? { outcome: e.verdict, final: true } : { outcome: e.verdict, final: true, score: e.score };
  const reason = e.reason ?? 'unknown';
  const code = reason.split(':')[0] ?? 'unknown';
  const capacity = code === 'no_channel' && /=capacity(,|$)/.test(reason);
  // the campaign not running now (paused, not started, ended), or the run itself paused or
  // cancelled meanwhile: the run stops, the customer is handed it again if it goes on
  const notNow = code === 'inactive' || code === 'not_started' || code === 'ended' || code === 'run_paused' || code === 'run_cancelled';
  return { outcome: code, final: !capacity && !notNow };
}

/**
 * What the customer answered run `run` before, or undefined when it was not handed it: the
 * outcome remembered (`runs`), or, once the run has been forgotten there (only the latest
 * `RUNS_REMEMBERED` are kept), the contact the run made, still in the history: `control` for a
 * hold-out, `offered` otherwise. So a page redone after many other runs contacts no one twice.
 */
export function runHandled(ctx: Pick<CustomerContext, 'runs' | 'contacts'>, run: string): string | undefined {
  const remembered = ctx.runs?.[run];
  if (remembered !== undefined) return remembered;
  const contact = ctx.contacts.find((k) => k.run === run);
  return contact === undefined ? undefined : contact.control === true ? 'control' : 'offered';
}

/** The runs remembered with this one added (the oldest forgotten past `RUNS_REMEMBERED`). */
export function rememberRun(runs: Readonly<Record<string, string>> | undefined, run: string, outcome: string): Record<string, string> {
  const next: Record<string, string> = { ...runs, [run]: outcome };
  const ids = Object.keys(next);
  for (let i = 0; i < ids.length - RUNS_REMEMBERED; i++) delete next[ids[i]!];
  return next;
}
