import type { Campaign, Catalog, RunCall } from '../../actors/index.js';
import { fnv1a, localTime, nextAllowedAt, startOfLocalDay } from '../../actors/index.js';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AuditDraft, Store } from '../store/store.js';
import type { HostReply } from './host-options.js';
import { latestSlot } from './outbound-schedule.js';
import type { RunStops } from './run-stops.js';

/**
 * Outbound runs (docs/outbound.md): an outbound campaign handed to every customer of its
 * segments (or of the whole base), page by page in id order, each through the customer's actor
 * (`CustomerHost.submitRun`) so that every rule of an event's decision holds. A page is
 * finished when each of its customers answered finally, and only then is its slice's record
 * (below) moved past it. A run stopped at any moment (kill -9 included) goes on from the record: the
 * page it was in is handed over again, and the customers who had answered it answer with what
 * they answered then and do nothing (the actor remembers its runs), so nobody is contacted
 * twice by one run. A page a customer could not be decided for today for want of channel
 * capacity waits for the next day (in the policy's time zone, from when its quiet hours allow)
 * and is handed over again then.
 *
 * A run is cut into slices by a hash of the customer id (one on a single node; several on a
 * store nodes share), each with its own record (`outbound/slice/<run>/<k>`: its cursor and
 * counts) and worked by one node at a time under a lease (`Coordination.claimLease`), renewed
 * at each page: the nodes of a shared store share a run, and a node that dies leaves its slice
 * to another when the lease runs out. The run's own record keeps its state; its counts are the
 * sums of its slices'.
 */

export type RunState = 'running' | 'paused' | 'waiting' | 'done' | 'cancelled';

export interface RunRecord {
  id: string;
  campaign: string;
  /** the segments it goes over (a customer in any of them); empty: the whole base */
  segments: string[];
  state: RunState;
  /** `hand` (the API or the CLI), `schedule`, or `wave`: a later wave of call-centre waves, made by the engine when the wave before was done (the first wave's own is on `wave.earlier[0]`) */
  startedBy: 'hand' | 'schedule' | 'wave';
  startedAt: number;
  updatedAt: number;
  finishedAt?: number;
  /** while `waiting`: when it goes on (the next day, for channel capacity; a wave's start) */
  waitingUntil?: number;
  /** why it waits: channel capacity, a later wave's start, or its segments' memberships still being worked out (no `waitingUntil`) */
  waitingFor?: 'capacity' | 'wave' | 'segments';
  /** a call-centre wave's run (docs/outbound.md#call-centre-waves): its number of `count`, and the runs of the waves before it */
  wave?: RunWave;
  /** a wave's run: its customers are ranked (the call list's order, `outbound/list/<run>/…`), `listed` of them */
  ranked?: boolean;
  listed?: number;
  /** the slices it is cut into (by a hash of the customer id), each worked by one node at a time */
  slices?: number;
  /** customers handed over and decided in finished pages, each once (the sum of the slices'; neither `gone` nor `errors`) */
  selected: number;
  /** of them, not in the store any more when handed over (erased) */
  gone: number;
  /** of them, whose actor failed on the hand-over (logged with the customer's id): not decided */
  errors?: number;
  /** pages finished */
  pages: number;
  /** the nodes that worked its slices (their KAIROS_NODE_ID), when it has any */
  nodes?: string[];
}

/** A wave of an outbound campaign's call-centre waves. */
export interface RunWave {
  n: number;
  count: number;
  /** the runs of the waves before this one, oldest first */
  earlier: string[];
}

/** A call a wave's run made: the customer, their place in the call list, and the expected value that placed them. */
export interface RunCallRecord {
  customer: string;
  rank: number;
  score?: number;
}

/** One slice of a run: where its next page starts, its counts, whether it is done. */
interface SliceRecord {
  /** the last customer id its finished pages looked at (segments), or the scan's cursor (the whole base) */
  cursor?: string;
  /** the whole base's scan has no page left after the cursor's */
  end?: boolean;
  done: boolean;
  selected: number;
  gone: number;
  errors?: number;
  pages: number;
  /** the nodes that worked it (their names) */
  nodes?: string[];
}

const noSlice = (): SliceRecord => ({ done: false, selected: 0, gone: 0, pages: 0 });

/** A run not finished: running, paused or waiting (one a campaign at a time). */
const open = (state: RunState): boolean => state === 'running' || state === 'paused' || state === 'waiting';

/** An open run whose campaign is gone from `catalog` or no longer outbound: cancelled (`cancelOrphaned`, a node's or every shard's). */
export function orphaned(run: Pick<RunRecord, 'state' | 'campaign'>, catalog: Catalog): boolean {
  return open(run.state) && !catalog.campaigns.some((c) => c.id === run.campaign && c.outbound !== undefined);
}

export interface OutboundRunsOptions {
  store: Store;
  clock: Clock;
  catalog: () => Catalog;
  logger: Logger;
  /** hands one customer the run (`CustomerHost.submitRun`) */
  submit: (run: RunCall, customer: string) => Promise<HostReply>;
  /** a wave's ranking: the expected value the run's decision would give the customer now, capacity aside (`CustomerHost.scoreRun`); undefined when it would not call them */
  score?: (run: RunCall, customer: string) => Promise<number | undefined>;
  /** makes what the actors committed durable before a page is recorded finished (`CustomerHost.flush`) */
  flush: () => Promise<void>;
  /** whether the store is failing (`CustomerHost.storeFailing`): a page then waits instead of counting its customers failed */
  storeFailing?: () => boolean;
  /** customers a page (200) */
  pageSize?: number;
  /** hand-overs in flight at once per run (16): a run never crowds out the gateways' events */
  concurrency?: number;
  /** how long a run backs off when the host is overloaded (1 s) */
  backoffMs?: number;
  /**
   * how long a pause or a cancel waits at most for the hand-overs under way and their commit
   * before it is answered (5 s): a hand-over decided after the move decides nothing for the run
   * anyway; this bounds the wait on a host that is stuck (a store failing)
   */
  moveWaitMs?: number;
  /** slices a new run is cut into (1 on a single node; 8 on a store nodes share) */
  slices?: number;
  /** how long a node's lease on a slice lasts unless renewed at its next page (60 s) */
  leaseMs?: number;
  /** this node's name (KAIROS_NODE_ID), on the slices it works */
  node?: string;
  /**
   * whether this engine starts scheduled campaigns' runs and plans the next waves (true);
   * false in a shard, where the main thread does both for every shard at once
   * (src/shards/sharded-runs.ts) and hands each its part
   */
  plans?: boolean;
  /** where the runs cancelled or paused are kept for the decisions (`CustomerHost.runStops`): each state written or read here is noted */
  runStops?: RunStops;
  /**
   * why the segments' memberships are still being worked out (`SegmentSweep.pending`: a sweep
   * not yet made under the rules in force, an import's pass left), or undefined when settled:
   * a run over segments then waits (`waitingFor: segments`) before it selects anybody
   */
  segmentsPending?: () => Promise<string | undefined>;
}

const RUN_PREFIX = 'outbound/run/';

/**
 * Where a run's record is kept: under the UTC time it started (the part of its id after the
 * last `~`), so the store's meta lists runs in time order and the latest are the ones kept in
 * view (`list`): `outbound/run/<time>/<id>`.
 */
export function runMetaKey(id: string): string {
  const at = id.lastIndexOf('~');
  return `${RUN_PREFIX}${at < 0 ? '' : id.slice(at + 1)}/${id}`;
}
const SLICE_PREFIX = 'outbound/slice/';
/** a wave's call list, ranked: chunks of a page's size, `outbound/list/<run>/<chunk>` */
const listKey = (run: string, chunk: number): string => `outbound/list/${run}/${String(chunk).padStart(7, '0')}`;
/** the calls a wave's run made, a page's at a time: `outbound/calls/<run>/<slice>/<page>` */
const callsPrefix = (run: string): string => `outbound/calls/${run}/`;
const callsKey = (run: string, k: number, page: number): string => `${callsPrefix(run)}${k}/${String(page).padStart(7, '0')}`;
/** The run a customer is handed: a wave's carries its number and the waves before it. */
export const runCallOf = (run: Pick<RunRecord, 'id' | 'campaign' | 'wave'>): RunCall =>
  run.wave === undefined ? { id: run.id, campaign: run.campaign } : { id: run.id, campaign: run.campaign, wave: { n: run.wave.n, earlier: run.wave.earlier } };
/** The id of wave `n` of the waves the run `first` began. */
export const waveRunId = (first: string, n: number): string => `${first}.w${n}`;
const sliceKey = (run: string, k: number): string => `${SLICE_PREFIX}${run}/${k}`;
const leaseKey = (run: string, k: number): string => `outbound/${run}/${k}`;

/** The slice of `slices` a customer is in. */
export function sliceOf(customer: string, slices: number): number {
  return slices <= 1 ? 0 : fnv1a(customer) % slices;
}
const SCHEDULE_PREFIX = 'outbound/schedule/';

interface ScheduleMark {
  /** when the schedule was saved (or the campaign made active), written with the catalog's change; else when a tick first saw it: slots before it are not run */
  seenAt: number;
  /** the last slot started */
  lastSlot?: number;
}

/** A run's id: the campaign and the minute (or second, by hand) it started, UTC, e.g. `pension~20270115T0700`. */
export function runIdOf(campaign: string, at: number, startedBy: 'hand' | 'schedule'): string {
  const iso = new Date(at).toISOString();
  const stamp = startedBy === 'schedule' ? iso.slice(0, 16) : iso.slice(0, 19);
  return `${campaign}~${stamp.replace(/[-:]/g, '')}`;
}

/** The id of a run started at `at`: a scheduled slot's is its own (409 when `taken`); by hand, a second run in the same second is told apart (`-2`, `-3`…). */
export async function freeRunId(campaign: string, at: number, startedBy: 'hand' | 'schedule', taken: (id: string) => Promise<boolean>): Promise<string> {
  const base = runIdOf(campaign, at, startedBy);
  let id = base;
  for (let n = 2; await taken(id); n++) {
    if (startedBy === 'schedule') throw new KairosError('conflict', `run "${id}" exists already`);
    id = `${base}-${n}`;
  }
  return id;
}

/**
 * What a catalog change stores with it for the outbound schedules (`CatalogService.alsoStore`):
 * a fresh mark for each campaign whose schedule is new or changed, or that was made active
 * (from a draft, scheduled or completed: not a resume from paused), naming the change's time,
 * so a slot due from then on is run at the next tick even if it comes before that tick (a
 * `once` saved a few seconds ahead). A schedule saved with a `once` already past is refused
 * (400, naming the field): it would never run; but for a campaign `completed` (which runs no more).
 */
export function scheduleMarks(change: { before: Catalog; after: Catalog; at: number; item?: { kind: string; id: string } }): Array<{ key: string; value: ScheduleMark }> {
  const marks: Array<{ key: string; value: ScheduleMark }> = [];
  for (const c of change.after.campaigns) {
    const schedule = c.outbound?.schedule;
    if (schedule === undefined) continue;
    const prev = change.before.campaigns.find((p) => p.id === c.id);
    const changed = prev?.outbound?.schedule === undefined || JSON.stringify(prev.outbound.schedule) !== JSON.stringify(schedule);
    const activated = c.status === 'active' && prev !== undefined && prev.status !== 'active' && prev.status !== 'paused';
    // (a completed campaign never runs again: its past `once` is its history, not a mistake; a catalog file holding it is taken)
    if (changed && 'once' in schedule && schedule.once <= change.at && c.status !== 'completed') {
      const own = change.item?.kind === 'campaigns' && change.item.id === c.id;
      const problem = `${new Date(schedule.once).toISOString()} is past (the server's clock reads ${new Date(change.at).toISOString()}): a run once at a time already gone would never start; start it by hand (POST /v1/campaigns/${c.id}/runs) or give a time ahead`;
      throw new KairosError('invalid', own ? `field "outbound.schedule.once": ${problem}` : `campaigns[${c.id}].outbound.schedule.once: ${problem}`);
    }
    if (changed || activated) marks.push({ key: SCHEDULE_PREFIX + c.id, value: { seenAt: change.at } });
  }
  return marks;
}

/**
 * A scheduled campaign's run started when its latest slot came and was not started yet (slots
 * before the schedule was saved, or first seen, are not run): `start(slot)` starts it, the mark in
 * `store`'s meta records the slot once started (or refused for good: a run still open, the same
 * slot started by another node); a failure before leaves the slot to the next tick.
 */
export async function startDueSlot(store: Store, c: Campaign, catalog: Catalog, now: number, start: (slot: number) => Promise<unknown>, logger: Logger): Promise<void> {
  const key = SCHEDULE_PREFIX + c.id;
  const slot = latestSlot(c.outbound!.schedule!, catalog.policy.defaultTimezone, now);
  let mark = (await store.getMeta(key)) as ScheduleMark | undefined;
  if (mark === undefined) {
    mark = { seenAt: now, ...(slot !== undefined && slot < now ? { lastSlot: slot } : {}) };
    await store.putMeta(key, mark);
  }
  if (slot === undefined || slot < mark.seenAt || (mark.lastSlot !== undefined && slot <= mark.lastSlot)) return;
  try {
    await start(slot);
  } catch (err) {
    if (!(err instanceof KairosError && err.code === 'conflict')) throw err;
    logger.warn({ campaign: c.id, err }, 'scheduled outbound run not started');
  }
  await store.putMeta(key, { ...mark, lastSlot: slot } satisfies ScheduleMark);
}

/**
 * The next wave of a wave's run that is done: a run waiting until `every` after it finished
 * (`finishedAt`), over the customers it called (each decided again: those it reached are not
 * called), or undefined when none is to be made (the last wave; the campaign gone, without
 * waves, or not running: it is made at a tick once it runs again).
 */
export function nextWaveOf(run: RunRecord, catalog: Catalog, now: number): RunRecord | undefined {
  const wave = run.wave;
  if (wave === undefined || wave.n >= wave.count) return undefined;
  const campaign = catalog.campaigns.find((c) => c.id === run.campaign);
  const waves = campaign?.outbound?.waves;
  if (waves === undefined || campaign?.status !== 'active' || run.finishedAt === undefined) return undefined;
  const at = run.finishedAt + waves.everyMs;
  return {
    id: waveRunId(wave.earlier[0] ?? run.id, wave.n + 1),
    campaign: run.campaign,
    segments: run.segments,
    state: 'waiting',
    waitingFor: 'wave',
    waitingUntil: at,
    startedBy: 'wave',
    startedAt: at,
    updatedAt: now,
    slices: run.slices ?? 1,
    selected: 0,
    gone: 0,
    pages: 0,
    wave: { n: wave.n + 1, count: wave.count, earlier: [...wave.earlier, run.id] },
  };
}

/**
 * The campaign a run is started for, checked as every start checks it: 404 an unknown
 * campaign; 409 one not outbound, not active, or with a run of `runs` not finished.
 */
export function startableCampaign(catalog: Catalog, campaignId: string, runs: readonly RunRecord[]): Campaign & { outbound: NonNullable<Campaign['outbound']> } {
  const campaign = catalog.campaigns.find((c) => c.id === campaignId);
  if (campaign === undefined) throw new KairosError('not_found', `no campaign "${campaignId}"`);
  if (campaign.outbound === undefined) throw new KairosError('conflict', `campaign "${campaignId}" is not outbound (it has no "outbound" block): its events trigger it`);
  if (campaign.status !== 'active') throw new KairosError('conflict', `campaign "${campaignId}" is ${campaign.status}: only an active campaign runs`);
  const unfinished = runs.find((r) => r.campaign === campaignId && open(r.state));
  if (unfinished !== undefined) throw new KairosError('conflict', `campaign "${campaignId}" has run "${unfinished.id}" ${unfinished.state}: finish or cancel it first`);
  return campaign as Campaign & { outbound: NonNullable<Campaign['outbound']> };
}

/**
 * A run change's audit entry, drafted from the run before it (none for a start) and after: a
 * node's engine writes it in the store transaction that writes the run's record; a node with
 * shards, in the node's trail once every part has moved (docs/audit.md).
 */
export type RunAudit = (before: RunRecord | undefined, after: RunRecord) => AuditDraft;

/**
 * After a change of the campaigns, before it is answered: the open runs of a campaign deleted or
 * no longer outbound cancelled (`cancelOrphaned`), at best: the change is saved, so a failure (a
 * shard being started again) is logged, not answered; the runs' own look (each minute) cancels
 * them then.
 */
export async function cancelOrphanedRuns(runs: Pick<RunsApi, 'cancelOrphaned'>, logger: Logger): Promise<void> {
  try {
    await runs.cancelOrphaned();
  } catch (err) {
    logger.warn({ err }, 'the open runs of a campaign gone or no longer outbound could not be cancelled now; the runs\' next look does it');
  }
}

/** What the admin API asks of the outbound runs: a node's engine (`OutboundRuns`), or every shard's (src/shards/sharded-runs.ts). */
export type RunsApi = Pick<OutboundRuns, 'get' | 'list' | 'pause' | 'resume' | 'cancel' | 'calls' | 'cancelOrphaned'> & {
  start(campaignId: string, startedBy?: 'hand' | 'schedule', at?: number, options?: { audit?: RunAudit }): Promise<RunRecord>;
};

export class OutboundRuns {
  /** runs being worked on in this process, by id */
  private readonly active = new Map<string, Promise<void>>();
  /** runs asked to be worked on while their work was still going (a resume as it stopped): looked at again when it ends */
  private readonly again = new Set<string>();
  /** the hand-overs on their way in this process, by run: a pause or a cancel waits for them before it is answered */
  private readonly handing = new Map<string, Set<Promise<unknown>>>();
  /** the runs as last read or written here, for the metrics (read at each scrape, without the store) */
  private readonly known = new Map<string, RunRecord>();
  private stopped = false;
  /** this node's name, on the slices it works */
  private readonly node: string;
  /** this node, as the owner of its leases (its name and this process's instance) */
  private readonly owner: string;

  constructor(private readonly o: OutboundRunsOptions) {
    this.node = o.node ?? 'node';
    this.owner = `${this.node}/${randomUUID().slice(0, 8)}`;
  }

  /**
   * Starts a run of an outbound campaign now. 404 for an unknown campaign, 409 for one not
   * outbound, not running, or with a run not finished. `part`: a part of a node's run (a node
   * with shards starts the same run in every shard: src/shards/sharded-runs.ts), under the id
   * the caller chose (409 when a run has it already), made paused when asked (every part is
   * made before any is resumed). `audit`: the start's entry, written with the run's record.
   */
  async start(campaignId: string, startedBy: 'hand' | 'schedule' = 'hand', at = this.o.clock.now(), options: { part?: { id: string; paused: boolean }; audit?: RunAudit } = {}): Promise<RunRecord> {
    const { part, audit } = options;
    const campaign = startableCampaign(this.o.catalog(), campaignId, await this.records());
    // a scheduled slot is one run (of any node); by hand, a second run in the same second is told apart
    const id = part?.id ?? (await freeRunId(campaignId, at, startedBy, async (id) => (await this.get(id)) !== undefined));
    if (part !== undefined && (await this.get(part.id)) !== undefined) throw new KairosError('conflict', `run "${part.id}" exists already`);
    const now = this.o.clock.now();
    // a wave's run is one slice: its calls go best first across the whole list (one node at a time works it; another takes over its lease)
    const slices = campaign.outbound.waves !== undefined ? 1 : (this.o.slices ?? (this.o.store.coordination.shared ? 8 : 1));
    const run: RunRecord = { id, campaign: campaignId, segments: [...campaign.outbound.segments], state: part?.paused === true ? 'paused' : 'running', startedBy, startedAt: now, updatedAt: now, slices, selected: 0, gone: 0, pages: 0 };
    if (campaign.outbound.waves !== undefined) run.wave = { n: 1, count: campaign.outbound.waves.count, earlier: [] };
    const pending = run.state === 'running' ? await this.segmentsPending(run) : undefined;
    if (pending !== undefined) Object.assign(run, { state: 'waiting', waitingFor: 'segments' } satisfies Partial<RunRecord>);
    await this.save(run, audit?.(undefined, run));
    this.known.set(id, run);
    this.o.logger.info({ run: id, campaign: campaignId, startedBy, state: run.state, ...(pending === undefined ? {} : { waitingFor: 'segments', pending }) }, 'outbound run started');
    if (run.state === 'running') this.work(id);
    return run;
  }

  /**
   * Why a run about to select its customers must wait for its segments' memberships (a sweep
   * or an import's pass still working them out: their member lists are not complete), or
   * undefined: a run over the whole base, or memberships settled.
   */
  private async segmentsPending(run: Pick<RunRecord, 'segments' | 'wave' | 'ranked'>): Promise<string | undefined> {
    // (a later wave goes over the list of the wave before, not the segments' members)
    if (run.segments.length === 0 || (run.wave !== undefined && run.wave.n > 1)) return undefined;
    return this.o.segmentsPending?.();
  }

  /** A run: its record, with the counts of its slices summed. */
  async get(id: string): Promise<RunRecord | undefined> {
    const run = (await this.o.store.getMeta(runMetaKey(id))) as RunRecord | undefined;
    return run === undefined ? undefined : this.summed(run);
  }

  private async summed(run: RunRecord): Promise<RunRecord> {
    const out: RunRecord = { ...run, selected: 0, gone: 0, pages: 0 };
    delete out.errors;
    const nodes = new Set<string>();
    for (const { value } of await this.o.store.listMeta(`${SLICE_PREFIX}${run.id}/`, 1000)) {
      const sl = value as SliceRecord;
      for (const n of sl.nodes ?? []) nodes.add(n);
      out.selected += sl.selected;
      out.gone += sl.gone;
      out.pages += sl.pages;
      if ((sl.errors ?? 0) > 0) out.errors = (out.errors ?? 0) + sl.errors!;
    }
    if (nodes.size > 0) out.nodes = [...nodes].sort();
    else delete out.nodes;
    this.known.set(out.id, out);
    this.o.runStops?.note(out.id, out.state);
    return out;
  }

  private async slice(run: string, k: number): Promise<SliceRecord> {
    return ((await this.o.store.getMeta(sliceKey(run, k))) as SliceRecord | undefined) ?? noSlice();
  }

  /** The runs open, or finished within `withinMs` of the clock's now, as last read or written by this node (the metrics' view). */
  recent(withinMs = 7 * 86_400_000): RunRecord[] {
    const since = this.o.clock.now() - withinMs;
    return [...this.known.values()].filter((r) => r.finishedAt === undefined || r.finishedAt >= since);
  }

  /** The runs, oldest first (at most 1,000 of the latest), with their slices' counts. */
  async list(campaign?: string): Promise<RunRecord[]> {
    const all = await Promise.all((await this.records()).filter((r) => campaign === undefined || r.campaign === campaign).map((r) => this.summed(r)));
    return all.sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id));
  }

  /** The runs' own records (their states, no counts), the 1,000 latest. */
  private async records(): Promise<RunRecord[]> {
    return (await this.o.store.listMeta(RUN_PREFIX, 1000)).map((e) => e.value as RunRecord);
  }

  /**
   * Pauses a running or waiting run at once (the hand-overs under way decided first: `move`).
   * `audit` (here and below): the move's entry, written with the run's record (none when it
   * does not move).
   */
  pause(id: string, audit?: RunAudit): Promise<RunRecord> {
    return this.move(id, ['running', 'waiting'], 'paused', audit);
  }

  /** Resumes a paused run where it stopped; a later wave not started yet goes back to waiting for its start. */
  async resume(id: string, audit?: RunAudit): Promise<RunRecord> {
    const run = (await this.o.store.getMeta(runMetaKey(id))) as RunRecord | undefined;
    if (run?.state === 'paused' && run.wave !== undefined && run.ranked !== true && run.startedAt > this.o.clock.now()) {
      const { next } = await this.transition(id, ['paused'], { state: 'waiting', waitingFor: 'wave', waitingUntil: run.startedAt }, audit);
      if (next !== undefined) {
        this.o.logger.info({ run: id, state: 'waiting' }, 'outbound run moved');
        return next;
      }
    }
    // a run that has not selected anybody yet waits for its segments' memberships, as at its start
    if (run?.state === 'paused' && run.ranked !== true && (await this.summed(run)).pages === 0 && (await this.segmentsPending(run)) !== undefined) {
      const { next } = await this.transition(id, ['paused'], { state: 'waiting', waitingFor: 'segments' }, audit);
      if (next !== undefined) {
        this.o.logger.info({ run: id, state: 'waiting', waitingFor: 'segments' }, 'outbound run moved');
        return next;
      }
    }
    return this.move(id, ['paused'], 'running', audit);
  }

  /**
   * Cancels a run not finished; with `done`, a run done too (the admin API asks so for a run
   * still holding deferred messages: its cancel drops them at their retries, `run_cancelled`).
   */
  cancel(id: string, audit?: RunAudit, opts: { done?: boolean } = {}): Promise<RunRecord> {
    return this.move(id, opts.done === true ? ['running', 'waiting', 'paused', 'done'] : ['running', 'waiting', 'paused'], 'cancelled', audit);
  }

  /**
   * Cancels the open runs (running, waiting, paused) whose campaign is gone from the catalog in
   * force or no longer outbound: called when a change of the campaigns is answered (a deleted
   * waves campaign's next wave, waiting for its start, is cancelled then, not at its start), and
   * at each tick for a change made elsewhere (`olderThanMs`: only runs not changed since).
   * Returns the runs cancelled.
   */
  async cancelOrphaned(olderThanMs = 0): Promise<string[]> {
    const catalog = this.o.catalog();
    const now = this.o.clock.now();
    const cancelled: string[] = [];
    for (const run of await this.records()) {
      if (!orphaned(run, catalog) || run.updatedAt > now - olderThanMs) continue;
      const { next } = await this.transition(run.id, ['running', 'waiting', 'paused'], { state: 'cancelled', finishedAt: now }, undefined, (r) => (r.startedAt > now ? { startedAt: now } : {}));
      if (next === undefined) continue;
      cancelled.push(run.id);
      this.o.logger.warn({ run: run.id, campaign: run.campaign }, 'outbound run cancelled: its campaign is gone or no longer outbound');
    }
    return cancelled;
  }

  /**
   * A move asked through the API: 404 for no such run, 409 from a state that does not allow it.
   * A pause or a cancel is answered once this process's hand-overs of the run already on their
   * way are decided and what they committed is durable: from the move on, a hand-over decides
   * nothing for the run (`run_paused`, `run_cancelled`: actors/decision/decide.ts) and the
   * engine hands nobody else over, so the counts answered are the run's last until it resumes.
   */
  private async move(id: string, from: readonly RunState[], to: RunState, audit?: RunAudit): Promise<RunRecord> {
    const now = this.o.clock.now();
    // (a run done and then cancelled keeps when it finished; a later wave cancelled before its start did not start in the future)
    const keep = (run: RunRecord): Partial<RunRecord> => ({
      ...(to === 'cancelled' && run.state === 'done' && run.finishedAt !== undefined ? { finishedAt: run.finishedAt } : {}),
      ...(to === 'cancelled' && run.startedAt > now ? { startedAt: now } : {}),
    });
    const { latest, next } = await this.transition(id, from, to === 'cancelled' ? { state: to, finishedAt: now } : { state: to }, audit, keep);
    if (latest === undefined) throw new KairosError('not_found', `no run "${id}"`);
    if (next === undefined) throw new KairosError('conflict', `run "${id}" is ${latest.state}: it cannot be ${to === 'running' ? 'resumed' : to}`);
    this.o.logger.info({ run: id, state: to }, 'outbound run moved');
    if (to === 'running') this.work(id);
    else if (to === 'paused' || to === 'cancelled') {
      const onTheirWay = this.handing.get(id);
      if (onTheirWay !== undefined && onTheirWay.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.o.moveWaitMs ?? 5000)));
        try {
          await Promise.race([Promise.allSettled([...onTheirWay]).then(() => this.o.flush().catch(() => undefined)), bound]);
        } finally {
          clearTimeout(timer);
        }
        // (read again: the counts the hand-overs under way moved)
        return (await this.get(id)) ?? next;
      }
    }
    return next;
  }

  /** Whether this process knows the run paused or cancelled (its own moves at once, another node's at its next look). */
  private halted(run: string): boolean {
    const stops = this.o.runStops;
    return stops !== undefined && (stops.cancelled.has(run) || stops.paused.has(run));
  }

  /**
   * What is due now: runs left running by a stop (a restart) go on, waiting ones whose time
   * came go on, and scheduled campaigns whose slot came start a run. Called soon after start
   * and each minute (src/kairos.ts); tests call it on a manual clock.
   */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const now = this.o.clock.now();
    for (const run of await this.records()) {
      // the decisions' view of the runs stopped: another node's pause or cancel is seen here at the latest now
      this.o.runStops?.note(run.id, run.state);
      // the metrics' view: an open run's counts move (on other nodes too); a finished one's are read once
      if (open(run.state) || !this.known.has(run.id)) await this.summed(run);
      if (this.o.plans !== false && run.state === 'done' && run.wave !== undefined && run.wave.n < run.wave.count) await this.nextWave(run);
      if (this.active.has(run.id)) continue;
      if (run.state === 'running') this.work(run.id);
      else if (run.state === 'waiting' && run.waitingFor === 'segments') {
        if ((await this.segmentsPending(run)) === undefined && (await this.engineMove(run.id, 'waiting', { state: 'running' }))) {
          this.o.logger.info({ run: run.id }, 'outbound run goes on: its segments\' memberships are settled');
          this.work(run.id);
        }
      } else if (run.state === 'waiting' && (run.waitingUntil ?? 0) <= now) {
        if (await this.engineMove(run.id, 'waiting', { state: 'running' })) this.work(run.id);
      }
    }
    // the open runs of a campaign deleted elsewhere (another node; on a shared store only once its change is a minute old: this node's catalog may lag a second behind)
    await this.cancelOrphaned(this.o.store.coordination.shared ? 60_000 : 0);
    if (this.o.plans === false) return;
    const catalog = this.o.catalog();
    for (const c of catalog.campaigns) if (c.outbound?.schedule !== undefined && c.status === 'active') await startDueSlot(this.o.store, c, catalog, now, (slot) => this.start(c.id, 'schedule', slot), this.o.logger);
  }

  /** Resolves when the runs worked on in this process have stopped (finished, paused, waiting or failed). */
  async idle(): Promise<void> {
    while (this.active.size > 0) await Promise.all([...this.active.values()]);
  }

  /** Stops working after the pages in flight (the server is closing), leases given back; the runs go on at the next start, or on another node. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  /**
   * The run's own record (its state), without the slices' counts (`summed` adds them, and keeps
   * the metrics' view); with `audit`, the change's entry in the same store transaction.
   */
  private async save(run: RunRecord, audit?: AuditDraft): Promise<void> {
    const { selected: _s, gone: _g, pages: _p, errors: _e, nodes: _n, ...own } = run;
    const record = { key: runMetaKey(run.id), value: { ...own, selected: 0, gone: 0, pages: 0 } };
    if (audit === undefined) await this.o.store.putMeta(record.key, record.value);
    else await this.o.store.appendAudit(audit, { meta: [record] });
    this.o.runStops?.note(run.id, run.state);
  }

  /** Works on a run in the background until it stops being `running` here. */
  private work(id: string): void {
    if (this.stopped) return;
    // (worked on now, maybe about to stop: a resume meanwhile has the work looked at again when it does)
    if (this.active.has(id)) {
      this.again.add(id);
      return;
    }
    const p = this.loop(id)
      .catch((err: unknown) => this.o.logger.error({ run: id, err }, 'outbound run failed; it goes on at the next tick'))
      .finally(() => {
        this.active.delete(id);
        if (this.again.delete(id)) this.work(id);
      });
    this.active.set(id, p);
  }

  /** This node's work on a run: the slices it can take, one after another, while the run is running. */
  private async loop(id: string): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const run = await this.get(id);
      if (run === undefined || run.state !== 'running') return;
      const campaign = this.o.catalog().campaigns.find((c) => c.id === run.campaign);
      if (campaign === undefined || campaign.outbound === undefined) {
        if (await this.engineMove(id, 'running', { state: 'cancelled', finishedAt: this.o.clock.now() })) this.o.logger.warn({ run: id }, 'outbound run cancelled: its campaign is gone or no longer outbound');
        return;
      }
      // a wave's run ranks its customers first: its pages are its call list's
      if (run.wave !== undefined && run.ranked !== true) {
        if (!(await this.rank(run))) return;
        continue;
      }
      const slices = run.slices ?? 1;
      let taken: number | undefined;
      let undone = 0;
      for (let k = 0; k < slices && taken === undefined; k++) {
        if ((await this.slice(id, k)).done) continue;
        undone++;
        if (await this.o.store.coordination.claimLease(leaseKey(id, k), this.owner, this.o.leaseMs ?? 60_000)) taken = k;
      }
      if (undone === 0) {
        await this.finish(id);
        return;
      }
      // the open slices are other nodes' now: they finish the run
      if (taken === undefined) return;
      try {
        if (!(await this.workSlice(run, taken))) return;
      } finally {
        await this.o.store.coordination.releaseLease(leaseKey(id, taken), this.owner);
      }
    }
  }

  /** Marks the run done once every slice is (any node may: the last to finish its slice). */
  private async finish(id: string): Promise<void> {
    const run = await this.get(id);
    if (run === undefined || run.state !== 'running') return;
    for (let k = 0; k < (run.slices ?? 1); k++) if (!(await this.slice(id, k)).done) return;
    const now = this.o.clock.now();
    if (await this.engineMove(id, 'running', { state: 'done', finishedAt: now })) {
      this.o.logger.info({ run: id, selected: run.selected }, 'outbound run done');
      if (this.o.plans !== false && run.wave !== undefined && run.wave.n < run.wave.count) await this.nextWave({ ...run, state: 'done', finishedAt: now });
    }
  }

  /**
   * The next wave of a wave's run that is done: a run waiting until `every` after it finished,
   * over the customers it called (each decided again: those it reached are not called). Made
   * once (its id is the series' and the wave's); not made when the campaign is gone, no
   * longer has waves, or does not run.
   */
  private async nextWave(run: RunRecord): Promise<void> {
    const next = nextWaveOf(run, this.o.catalog(), this.o.clock.now());
    if (next !== undefined) await this.plan(next);
  }

  /**
   * A run planned elsewhere (the next wave, by the main thread of a node with shards) kept as
   * this engine's, to be taken up when its time comes; nothing when a run has its id already.
   */
  async plan(run: RunRecord): Promise<void> {
    if ((await this.o.store.getMeta(runMetaKey(run.id))) !== undefined) return;
    await this.save(run);
    this.known.set(run.id, run);
    this.o.logger.info({ run: run.id, campaign: run.campaign, at: run.waitingUntil }, 'outbound wave planned');
  }

  /** The calls a wave's run made, in call-list order, each customer once. */
  async calls(id: string): Promise<RunCallRecord[]> {
    const byCustomer = new Map<string, RunCallRecord>();
    for (const { value } of await this.o.store.listMeta(callsPrefix(id), 10_000_000)) {
      for (const c of (value as { calls: RunCallRecord[] }).calls) {
        const had = byCustomer.get(c.customer);
        if (had === undefined || c.rank < had.rank) byCustomer.set(c.customer, c);
      }
    }
    return [...byCustomer.values()].sort((a, b) => a.rank - b.rank || (a.customer < b.customer ? -1 : 1));
  }

  /**
   * A wave's call list: every customer of the run (the segments' for the first wave, the calls
   * of the wave before for a later one) scored by the decision the run would make now
   * (`score`, capacity aside), best first, written in chunks the run's pages then go through.
   * Done by one node (a lease); redone from the start when stopped before it was recorded.
   */
  private async rank(run: RunRecord): Promise<boolean> {
    const lease = `outbound/${run.id}/rank`;
    if (!(await this.o.store.coordination.claimLease(lease, this.owner, this.o.leaseMs ?? 60_000))) return false;
    try {
      const ids: string[] = [];
      if (run.wave!.n === 1) {
        let cursor: string | undefined;
        for (;;) {
          const p = await this.page(run.segments, cursor, 0, 1);
          ids.push(...p.ids);
          if (p.end === true || p.cursor === undefined) break;
          cursor = p.cursor;
        }
      } else {
        // everyone the wave before listed: who it reached is not called again (the actor says so), who it did not reach is
        const before = run.wave!.earlier.at(-1)!;
        for (const { value } of await this.o.store.listMeta(`outbound/list/${before}/`, 10_000_000)) for (const [id] of (value as { entries: Array<[string, number?]> }).entries) ids.push(id);
      }
      const call = runCallOf(run);
      const scored: Array<{ id: string; score?: number }> = [];
      let at = 0;
      let lastRenew = performance.now();
      let lost = false;
      const lane = async (): Promise<void> => {
        while (at < ids.length && !this.stopped && !lost) {
          const id = ids[at++]!;
          const score = await this.o.score?.(call, id);
          scored.push(score === undefined ? { id } : { id, score });
          if (performance.now() - lastRenew > (this.o.leaseMs ?? 60_000) / 3) {
            lastRenew = performance.now();
            // another node took the ranking over: it writes the list, not this one
            if (!(await this.o.store.coordination.claimLease(lease, this.owner, this.o.leaseMs ?? 60_000))) lost = true;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.o.concurrency ?? 16, Math.max(1, ids.length)) }, lane));
      if (this.stopped || lost) return false;
      scored.sort((a, b) => (b.score ?? -1) - (a.score ?? -1) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const size = this.o.pageSize ?? 200;
      if (!(await this.o.store.coordination.claimLease(lease, this.owner, this.o.leaseMs ?? 60_000))) return false;
      for (let i = 0; i * size < scored.length; i++) {
        await this.o.store.putMeta(listKey(run.id, i), { entries: scored.slice(i * size, (i + 1) * size).map((e) => (e.score === undefined ? [e.id] : [e.id, e.score])) });
      }
      if (!(await this.o.store.coordination.claimLease(lease, this.owner, this.o.leaseMs ?? 60_000))) return false;
      const latest = (await this.o.store.getMeta(runMetaKey(run.id))) as RunRecord | undefined;
      if (latest === undefined || !open(latest.state)) return false;
      await this.save({ ...latest, ranked: true, listed: scored.length, updatedAt: this.o.clock.now() });
      this.o.logger.info({ run: run.id, listed: scored.length }, 'outbound wave ranked');
      return true;
    } finally {
      await this.o.store.coordination.releaseLease(lease, this.owner);
    }
  }

  /** A move the engine makes (waiting to running, running to waiting, paused or done): true when made, false when the run was no longer `from`. */
  private async engineMove(id: string, from: RunState, change: Partial<RunRecord> & { state: RunState }): Promise<boolean> {
    return (await this.transition(id, [from], change)).next !== undefined;
  }

  /**
   * A change of a run's state, the API's or the engine's: the record read just before it is
   * written and changed only from one of `from`, so one move is not written over by another
   * made meanwhile (a pause or a cancel through the API, the engine's waiting or done).
   * `latest`: the run as read (undefined: no such run); `next`: the run after, with its
   * slices' counts (undefined: not moved). `audit`: the move's entry, written with it.
   */
  private async transition(id: string, from: readonly RunState[], change: Partial<RunRecord> & { state: RunState }, audit?: RunAudit, keep?: (latest: RunRecord) => Partial<RunRecord>): Promise<{ latest?: RunRecord; next?: RunRecord }> {
    const latest = (await this.o.store.getMeta(runMetaKey(id))) as RunRecord | undefined;
    if (latest === undefined || !from.includes(latest.state)) return latest === undefined ? {} : { latest };
    const next: RunRecord = { ...latest, ...change, ...keep?.(latest), updatedAt: this.o.clock.now() };
    if (change.state !== 'waiting') {
      delete next.waitingUntil;
      delete next.waitingFor;
    }
    await this.save(next, audit?.(latest, next));
    return { latest, next: await this.summed(next) };
  }

  /**
   * One slice worked page by page while the run is running and this node holds its lease:
   * true when the slice is done, false when the work stops here (paused, waiting, cancelled,
   * the lease lost, the server closing).
   */
  private async workSlice(started: RunRecord, k: number): Promise<boolean> {
    const id = started.id;
    const slices = started.slices ?? 1;
    for (;;) {
      if (this.stopped) return false;
      const run = (await this.o.store.getMeta(runMetaKey(id))) as RunRecord | undefined;
      if (run === undefined || run.state !== 'running') return false;
      const slice = await this.slice(id, k);
      if (slice.done) return true;
      // a page comes back empty only at the end of the lists
      const page: Page = slice.end === true ? { ids: [], end: true } : run.wave !== undefined ? await this.listPage(id, run.listed ?? 0, slice.cursor, k, slices) : await this.page(run.segments, slice.cursor, k, slices);
      if (page.ids.length === 0) {
        await this.o.store.putMeta(sliceKey(id, k), { ...slice, done: true } satisfies SliceRecord);
        await this.finish(id);
        return true;
      }
      // still this node's slice before the hand-over (a backoff may have outlasted the lease)
      if (!(await this.o.store.coordination.claimLease(leaseKey(id, k), this.owner, this.o.leaseMs ?? 60_000))) return false;
      // the page's records brought into memory a few dozen customers a read of each table, not one a customer
      await this.o.store.prefetchCustomers?.(page.ids);
      const outcome = await this.handOver(runCallOf(run), page.ids);
      if (outcome.status === 'overloaded') {
        await sleep(this.o.backoffMs ?? 1000);
        continue;
      }
      // answered before any change is recorded: what the actors committed is durable first
      await this.o.flush();
      // still this node's slice, and as it was read: else another node took it over and goes on from its own record
      if (!(await this.o.store.coordination.claimLease(leaseKey(id, k), this.owner, this.o.leaseMs ?? 60_000))) return false;
      const now = await this.slice(id, k);
      if (now.pages !== slice.pages || now.cursor !== slice.cursor || now.done) return false;
      // a wave's calls of the page, also of a page redone another day for capacity (the same key: what it called then, and more)
      if (page.ranks !== undefined && outcome.offered.length > 0) {
        const calls = outcome.offered.map((c): RunCallRecord => {
          const i = page.ids.indexOf(c);
          const score = page.scores?.[i];
          return score === undefined ? { customer: c, rank: page.ranks![i]! } : { customer: c, rank: page.ranks![i]!, score };
        });
        await this.o.store.putMeta(callsKey(id, k, slice.pages), { calls });
      }
      // the run paused or cancelled while the page was handed over (the move is the pause's or the
      // cancel's, already recorded): the page is not recorded done (its calls made so far are, above:
      // the dialer has them); read again, a run resumed meanwhile goes on with it
      // (another node's resume is seen here at the next tick: until then, a look a backoff apart)
      if (outcome.status === 'halted') {
        if (this.halted(id)) await sleep(this.o.backoffMs ?? 1000);
        continue;
      }
      if (outcome.status === 'capacity') {
        await this.waitForCapacity(id);
        return false;
      }
      if (outcome.status === 'stopped') {
        // the campaign is not running now (paused, ended): so is the run, until resumed
        if (await this.engineMove(id, 'running', { state: 'paused' })) this.o.logger.warn({ run: id, campaign: run.campaign }, 'outbound run paused: its campaign is not running now');
        return false;
      }
      const next: SliceRecord = { ...slice, selected: slice.selected + page.ids.length - outcome.gone - outcome.errors, gone: slice.gone + outcome.gone, pages: slice.pages + 1, nodes: [...new Set([...(slice.nodes ?? []), this.node])] };
      if (outcome.errors > 0) next.errors = (slice.errors ?? 0) + outcome.errors;
      if (page.cursor !== undefined) next.cursor = page.cursor;
      if (page.end === true) next.end = true;
      await this.o.store.putMeta(sliceKey(id, k), next);
      // the metrics' view of the run, its counts moved (its state read again: a pause or a cancel meanwhile stays noted for the decisions)
      await this.summed(((await this.o.store.getMeta(runMetaKey(id))) as RunRecord | undefined) ?? run);
    }
  }

  /** The run waits for the next day's capacity (the page that met it is handed over again then: who answered it answers the same). */
  private async waitForCapacity(id: string): Promise<void> {
    // the next day (the capacity's day, in the policy's time zone), from when its quiet hours allow:
    // a message deferred from the night would meet the used capacity at its retry and be lost
    const policy = this.o.catalog().policy;
    const tz = policy.defaultTimezone;
    const midnight = startOfLocalDay(localTime(this.o.clock.now(), tz).epochDay + 1, tz);
    const until = nextAllowedAt(policy, tz, midnight) ?? midnight;
    if (await this.engineMove(id, 'running', { state: 'waiting', waitingFor: 'capacity', waitingUntil: until })) this.o.logger.info({ run: id, until }, 'outbound run waits for channel capacity');
  }

  /**
   * One page handed over, a few customers at a time: `capacity` when one could not be decided
   * for want of channel capacity today, `stopped` when the campaign is not running now, `halted` when the run itself was
   * paused or cancelled meanwhile, `overloaded` when the host took one not now (or one
   * failed while the store is failing: the store, not the customer), else how many were gone and
   * how many failed (one customer's failure does not stop the run: it is logged and counted).
   */
  private async handOver(call: RunCall, ids: readonly string[]): Promise<{ status: 'ok' | 'capacity' | 'stopped' | 'halted' | 'overloaded'; gone: number; errors: number; offered: string[] }> {
    let gone = 0;
    const offered: string[] = [];
    let capacity = false;
    let stopped = false;
    let halted = false;
    let overloaded = false;
    const failed: string[] = [];
    let at = 0;
    let on = this.handing.get(call.id);
    if (on === undefined) this.handing.set(call.id, (on = new Set()));
    const onTheirWay = on;
    const lane = async (): Promise<void> => {
      // (paused or cancelled meanwhile: nobody else is handed over; the page is not recorded finished)
      while (at < ids.length && !overloaded && !stopped && !halted) {
        if (this.halted(call.id)) {
          halted = true;
          break;
        }
        const id = ids[at++]!;
        const handed = this.o.submit(call, id);
        onTheirWay.add(handed);
        const reply = await handed.finally(() => onTheirWay.delete(handed));
        if (reply.kind === 'error') {
          if (reply.code === 'unknown_customer') gone++;
          else if (reply.code === 'overloaded') overloaded = true;
          else {
            failed.push(id);
            this.o.logger.error({ run: call.id, customer: id, code: reply.code, message: reply.message }, 'outbound run: the customer could not be decided; the run goes on');
          }
        } else if (reply.kind === 'decision' && reply.run?.final === false) {
          if (reply.run.outcome === 'no_channel') capacity = true;
          else if (reply.run.outcome === 'run_paused' || reply.run.outcome === 'run_cancelled') halted = true;
          else stopped = true;
        } else if (reply.kind === 'decision' && reply.run?.outcome === 'offered') offered.push(id);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.o.concurrency ?? 16, ids.length) }, lane));
    } finally {
      if (onTheirWay.size === 0) this.handing.delete(call.id);
    }
    // the store failing (commits refused): the page waits for it rather than count its customers failed
    const status = overloaded || (failed.length > 0 && this.o.storeFailing?.() === true) ? 'overloaded' : halted ? 'halted' : stopped ? 'stopped' : capacity ? 'capacity' : 'ok';
    return { status, gone, errors: failed.length, offered };
  }

  /**
   * A slice's next page after its cursor: the customers of the run's segments (their member
   * lists merged, each once) or of the whole base, in id order, those of slice `k` only; the
   * cursor moves past every customer looked at. `end`: the whole base's scan has no page left.
   */
  private async page(segments: readonly string[], cursor: string | undefined, k: number, slices: number): Promise<Page> {
    const limit = this.o.pageSize ?? 200;
    const ids: string[] = [];
    let at = cursor;
    while (ids.length < limit) {
      const chunk = segments.length === 0 ? await this.baseChunk(at, limit) : await this.membersChunk(segments, at, limit);
      for (const id of chunk.ids) if (sliceOf(id, slices) === k) ids.push(id);
      if (chunk.cursor !== undefined) at = chunk.cursor;
      if (chunk.end) return { ids, ...(at !== undefined ? { cursor: at } : {}), end: true };
    }
    return { ids, ...(at !== undefined ? { cursor: at } : {}) };
  }

  /** A wave's next page: the next chunk of its call list (after the cursor, a chunk's number; `listed` long) holding customers of slice `k`. */
  private async listPage(run: string, listed: number, cursor: string | undefined, k: number, slices: number): Promise<Page> {
    const size = this.o.pageSize ?? 200;
    for (let chunk = cursor === undefined ? 0 : Number(cursor); ; chunk++) {
      // the chunks of the list as ranked (a ranking redone shorter leaves none of its own past them)
      const stored = chunk * size < listed ? ((await this.o.store.getMeta(listKey(run, chunk))) as { entries: Array<[string, number?]> } | undefined) : undefined;
      if (stored === undefined) return { ids: [], cursor: String(chunk), end: true };
      const page: Page & { ranks: number[]; scores: Array<number | undefined> } = { ids: [], cursor: String(chunk + 1), ranks: [], scores: [] };
      stored.entries.forEach(([id, score], i) => {
        if (sliceOf(id, slices) !== k) return;
        page.ids.push(id);
        page.ranks.push(chunk * size + i + 1);
        page.scores.push(score);
      });
      if (page.ids.length > 0) return page;
    }
  }

  /** The whole base after the scan's cursor: a page of the store's scan. */
  private async baseChunk(cursor: string | undefined, limit: number): Promise<{ ids: string[]; cursor?: string; end: boolean }> {
    const p = await this.o.store.scanCustomers(cursor, limit, { records: 'missing' });
    return { ids: p.customers.map((c) => c.id), ...(p.next !== undefined ? { cursor: p.next } : {}), end: p.next === undefined };
  }

  /** The segments' members after `after`, merged in id order, each once, up to where every list is read. */
  private async membersChunk(segments: readonly string[], after: string | undefined, limit: number): Promise<{ ids: string[]; cursor?: string; end: boolean }> {
    const lists = await Promise.all(segments.map((s) => this.o.store.listSegmentMembers(s, limit, after)));
    const ids = [...new Set(lists.flat())].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    // No list may run out before the chunk's last id, or a member past its end would be skipped.
    const full = lists.filter((l) => l.length === limit).map((l) => l[l.length - 1]!);
    const bound = full.length === 0 ? undefined : full.reduce((a, b) => (a < b ? a : b));
    const chunk = bound === undefined ? ids : ids.filter((x) => x <= bound);
    const last = chunk.at(-1);
    return { ids: chunk, ...(last !== undefined ? { cursor: last } : {}), end: full.length === 0 };
  }
}

/** A page of a run's customers; a wave's carries their places in its call list and their scores. */
interface Page {
  ids: string[];
  cursor?: string;
  end?: boolean;
  ranks?: number[];
  scores?: Array<number | undefined>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
