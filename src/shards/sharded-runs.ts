import type { Catalog, GatewayResponse } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { CallView } from '../runtime/customer-host.js';
import type { HostReply } from '../runtime/host-options.js';
import type { RunAudit, RunCallRecord, RunRecord, RunsApi, RunState } from '../runtime/outbound-runs.js';
import { freeRunId, nextWaveOf, orphaned, startDueSlot, startableCampaign } from '../runtime/outbound-runs.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { Shards } from './shards.js';

/**
 * The outbound runs of a node with shards (docs/scale-out.md, "Outbound runs on shards"). Each
 * shard runs its own customers' part of every run with its own engine (`OutboundRuns` over its
 * store, on its own timer, src/shards/shard-worker.ts), all parts under the one id the main
 * thread chose: a part is worked page by page, recorded in the shard's store and taken up again
 * from there after a stop, a `kill -9` or a restart of the shard, as a single node's run is. The main
 * thread keeps no record of its own: a run is its parts merged (`mergeRuns`), a change is made
 * in every part; what is planned (a scheduled slot's run, the next wave) is planned here for
 * every shard at once (`tick`).
 *
 * A wave's part ranks the shard's own customers and calls them best first; the call list is
 * every part's calls merged by expected value (`mergeCalls`). The channels' capacity and the
 * budgets are the node's (shared by the shards), so the parts draw on one day's capacity.
 */

/** A state of the parts, the first that any part is in: one part running makes the run running. */
const STATE_ORDER: readonly RunState[] = ['running', 'paused', 'waiting', 'cancelled', 'done'];

/**
 * A run as its parts make it (undefined: no shard has it): the counts summed; running while any
 * part runs, else paused while any is, else waiting (until the earliest part goes on), else
 * cancelled when any part was, else done; started when the first part started, finished when
 * the last one did.
 */
export function mergeRuns(parts: ReadonlyArray<RunRecord | undefined>): RunRecord | undefined {
  const have = parts.filter((p): p is RunRecord => p !== undefined);
  const first = have[0];
  if (first === undefined) return undefined;
  const state = STATE_ORDER.find((s) => have.some((p) => p.state === s)) ?? first.state;
  const out: RunRecord = { ...first, state, selected: 0, gone: 0, pages: 0 };
  for (const key of ['errors', 'nodes', 'listed', 'ranked', 'finishedAt', 'waitingUntil', 'waitingFor', 'slices'] as const) delete out[key];
  const nodes = new Set<string>();
  let slices = 0;
  for (const p of have) {
    out.selected += p.selected;
    out.gone += p.gone;
    out.pages += p.pages;
    if ((p.errors ?? 0) > 0) out.errors = (out.errors ?? 0) + p.errors!;
    if (p.listed !== undefined) out.listed = (out.listed ?? 0) + p.listed;
    for (const n of p.nodes ?? []) nodes.add(n);
    slices += p.slices ?? 1;
    out.startedAt = Math.min(out.startedAt, p.startedAt);
    out.updatedAt = Math.max(out.updatedAt, p.updatedAt);
  }
  out.slices = slices;
  if (nodes.size > 0) out.nodes = [...nodes].sort();
  if (first.wave !== undefined && have.every((p) => p.ranked === true)) out.ranked = true;
  if (state === 'waiting') {
    const next = have.filter((p) => p.state === 'waiting').reduce((a, b) => ((b.waitingUntil ?? Infinity) < (a.waitingUntil ?? Infinity) ? b : a));
    if (next.waitingUntil !== undefined) out.waitingUntil = next.waitingUntil;
    if (next.waitingFor !== undefined) out.waitingFor = next.waitingFor;
  }
  if (state === 'done' || state === 'cancelled') {
    const finished = have.map((p) => p.finishedAt).filter((t): t is number => t !== undefined);
    if (finished.length > 0) out.finishedAt = Math.max(...finished);
  }
  return out;
}

/**
 * A wave's call list from its parts' (each in its shard's call-list order): every call once,
 * best expected value first (calls without a score last, then in their shard's order), ranked
 * again from 1 over the node.
 */
export function mergeCalls(parts: ReadonlyArray<readonly RunCallRecord[]>): RunCallRecord[] {
  const all = parts.flat();
  all.sort((a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity) || a.rank - b.rank || (a.customer < b.customer ? -1 : a.customer > b.customer ? 1 : 0));
  return all.map((c, i) => ({ ...c, rank: i + 1 }));
}

export interface ShardedRunsOptions {
  shards: Pick<Shards, 'count' | 'call' | 'callEvery'>;
  /** the node's catalog (every shard has it: a change is handed to each before it is answered) */
  catalog: () => Catalog;
  clock: Clock;
  /**
   * the node's store: the audit entries of the changes asked through the API, written in the
   * node's trail once every part has moved (the parts are in the shards' stores: no one
   * transaction holds both; docs/audit.md)
   */
  store: Pick<Store, 'appendAudit'>;
}

export class ShardedRuns implements RunsApi {
  constructor(private readonly o: ShardedRunsOptions) {}

  /**
   * A run: its parts merged. A shard that cannot answer now (being started again) leaves its
   * part out when another has one, so that a run can still be paused or cancelled on the others;
   * with no part at hand its error is answered (the run may be that shard's alone).
   */
  async get(id: string): Promise<RunRecord | undefined> {
    const parts = await Promise.allSettled(this.shardIndexes().map((i) => this.o.shards.call(i, { op: 'run', id })));
    const merged = mergeRuns(parts.map((p) => (p.status === 'fulfilled' ? p.value : undefined)));
    const failed = parts.find((p): p is PromiseRejectedResult => p.status === 'rejected');
    if (failed !== undefined && merged === undefined) throw failed.reason;
    return merged;
  }

  /** The runs (of one campaign), oldest first, each its parts merged. */
  async list(campaign?: string): Promise<RunRecord[]> {
    const byId = new Map<string, Array<RunRecord | undefined>>();
    (await this.o.shards.callEvery({ op: 'runs', campaign })).forEach((records, shard) => {
      for (const r of records) {
        const parts = byId.get(r.id) ?? [];
        parts[shard] = r;
        byId.set(r.id, parts);
      }
    });
    const runs = [...byId.values()].map((parts) => mergeRuns(parts)!);
    return runs.sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id));
  }

  /**
   * Starts a run in every shard under one id: checked first as a single node checks it (404 an
   * unknown campaign; 409 one not outbound, not active, or with a run not finished), then made
   * in two steps: every shard makes its part paused, then every part is resumed. A shard that
   * cannot make its part (being started again: 503) leaves every part cancelled, none having
   * handed anything over, and its error is answered; a retry starts a new run. A part that
   * cannot be resumed stays paused and the error is answered: the run's `resume` takes it up.
   */
  async start(campaignId: string, startedBy: 'hand' | 'schedule' = 'hand', at = this.o.clock.now(), options: { audit?: RunAudit } = {}): Promise<RunRecord> {
    startableCampaign(this.o.catalog(), campaignId, await this.list(campaignId));
    const id = await freeRunId(campaignId, at, startedBy, async (id) => (await this.get(id)) !== undefined);
    const shards = this.shardIndexes();
    const made = await Promise.allSettled(shards.map((i) => this.o.shards.call(i, { op: 'runStart', campaign: campaignId, id, at, startedBy })));
    const failed = made.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) {
      // (every shard asked: one whose answer was lost may have made its part)
      await Promise.allSettled(shards.map((i) => this.o.shards.call(i, { op: 'runMove', id, verb: 'cancel' })));
      throw failed.reason;
    }
    const resumed = await Promise.allSettled(shards.map((i) => this.o.shards.call(i, { op: 'runMove', id, verb: 'resume' })));
    const stuck = resumed.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (stuck !== undefined) throw stuck.reason;
    const run = mergeRuns(resumed.map((s) => (s as PromiseFulfilledResult<RunRecord>).value))!;
    if (options.audit !== undefined) await this.o.store.appendAudit(options.audit(undefined, run));
    return run;
  }

  /**
   * What the main thread plans for every shard at once (each shard's engine plans nothing: a
   * shard deciding alone would start a slot's run another shard refused, or plan the next wave
   * of a wave whose other part was cancelled): scheduled campaigns' runs whose slot came
   * (the slot's mark in the node's store), and the next wave of a wave done in every part,
   * planned in every shard with one start (the last part's end and the waves' interval).
   */
  async tick(store: Store, logger: Logger): Promise<void> {
    const catalog = this.o.catalog();
    const now = this.o.clock.now();
    for (const run of await this.list()) {
      if (run.state !== 'done' || run.wave === undefined) continue;
      const next = nextWaveOf(run, catalog, now);
      if (next === undefined) continue;
      const parts = await this.o.shards.callEvery({ op: 'run', id: next.id });
      if (parts.every((p) => p !== undefined)) continue;
      // (each part one slice, as a wave's run is: the merged run's count is the parts')
      await this.o.shards.callEvery({ op: 'runPlan', run: { ...next, slices: 1 } });
      logger.info({ run: next.id, campaign: next.campaign, at: next.waitingUntil }, 'outbound wave planned on every shard');
    }
    for (const c of catalog.campaigns) if (c.outbound?.schedule !== undefined && c.status === 'active') await startDueSlot(store, c, catalog, now, (slot) => this.start(c.id, 'schedule', slot), logger);
  }

  private shardIndexes(): number[] {
    return Array.from({ length: this.o.shards.count }, (_, i) => i);
  }

  pause(id: string, audit?: RunAudit): Promise<RunRecord> {
    return this.move(id, 'pause', audit);
  }

  resume(id: string, audit?: RunAudit): Promise<RunRecord> {
    return this.move(id, 'resume', audit);
  }

  /** Cancels in every shard the open runs of a campaign deleted or no longer outbound (OutboundRuns.cancelOrphaned); the runs cancelled. */
  async cancelOrphaned(): Promise<string[]> {
    const catalog = this.o.catalog();
    const orphans = (await this.list()).filter((r) => orphaned(r, catalog));
    const cancelled: string[] = [];
    for (const r of orphans) {
      try {
        await this.cancel(r.id);
        cancelled.push(r.id);
      } catch (err) {
        // (cancelled meanwhile by the shards' own look: nothing left to do)
        if (!(err instanceof KairosError && (err.code === 'conflict' || err.code === 'not_found'))) throw err;
      }
    }
    return cancelled;
  }

  /**
   * Cancels every part, a part done too (a run still holding deferred messages: OutboundRuns.cancel):
   * a run whose parts are not all done is cancelled whole, the done parts' deferred messages
   * dropped as a single node's would be. `opts.done` (the run done in every part) is the same
   * call: the admin API has refused it already when nothing waits.
   */
  cancel(id: string, audit?: RunAudit, _opts: { done?: boolean } = {}): Promise<RunRecord> {
    return this.move(id, 'cancel', audit);
  }

  /**
   * A move made in every part that can make it (a part already done cannot be paused): made
   * when any part made it. 404 when no shard has the run, 409 when none could move. A shard that
   * could not be asked (503) is answered as such once the others moved: asked again, they answer
   * that they are there already and it moves. `audit`: the move's entry, in the node's trail
   * once it is made (the run before it as its parts were, read first).
   */
  private async move(id: string, verb: 'pause' | 'resume' | 'cancel', audit?: RunAudit): Promise<RunRecord> {
    const before = audit === undefined ? undefined : await this.get(id);
    // (a cancel reaches a part done too: `cancel` above)
    const moves = await Promise.allSettled(this.shardIndexes().map((i) => this.o.shards.call(i, { op: 'runMove', id, verb, ...(verb === 'cancel' ? { done: true } : {}) })));
    const errors = moves.flatMap((m) => (m.status === 'rejected' ? [m.reason instanceof Error ? m.reason : new KairosError('internal', String(m.reason))] : []));
    const unexpected = errors.find((e) => !(e instanceof KairosError && (e.code === 'conflict' || e.code === 'not_found')));
    if (unexpected !== undefined) throw unexpected;
    const run = await this.get(id);
    if (run === undefined) throw new KairosError('not_found', `no run "${id}"`);
    if (errors.length === moves.length) throw new KairosError('conflict', `run "${id}" is ${run.state}: it cannot be ${verb === 'resume' ? 'resumed' : verb === 'pause' ? 'paused' : 'cancelled'}`);
    if (audit !== undefined) await this.o.store.appendAudit(audit(before, run));
    return run;
  }

  /** A wave's calls: every part's, merged by expected value (`mergeCalls`). */
  async calls(id: string): Promise<RunCallRecord[]> {
    return mergeCalls(await this.o.shards.callEvery({ op: 'runCalls', id }));
  }
}

/** What the wave routes ask of the customers on a node with shards: a call asked of the customer's shard; an answer routed as a gateway's. */
export function shardedCalls(shards: Pick<Shards, 'call' | 'shardOf' | 'submitResponse'>): { callOf: (customer: string, run: string) => Promise<CallView | undefined>; submitResponse: (r: GatewayResponse) => Promise<HostReply> } {
  return {
    callOf: (customer, run) => shards.call(shards.shardOf(customer), { op: 'callOf', customer, run }),
    submitResponse: (r) => shards.submitResponse(r),
  };
}
