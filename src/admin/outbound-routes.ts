import { Type } from '@sinclair/typebox';
import { auditDraft } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { FunnelLedger, FunnelRow } from '../runtime/funnel-ledger.js';
import type { OutboundRuns, RunAudit, RunRecord, RunsApi } from '../runtime/outbound-runs.js';
import type { SegmentLedger } from '../runtime/segment-ledger.js';
import { route } from '../schema/http/bind-route.js';
import { PathId } from '../schema/http/common-schemas.js';
import { operation } from '../schema/http/operation.js';
import type { Store } from '../store/store.js';
import type { HttpCall, Route } from '../transport/http.js';
import type { Metrics } from '../metrics.js';

/**
 * Outbound runs through the admin API (docs/outbound.md): start one of an outbound campaign,
 * list them, read one's status (its record and its funnel: decided, offered, suppressed by
 * reason, held out, deferred, delivered, answered, accepted), pause, resume, cancel. Each
 * change is written to the audit trail. The status estimates how many customers the run will
 * hand over (`total`) and, while it runs, how long it still takes (`etaMs`).
 */
export interface OutboundRouteDeps {
  runs: RunsApi;
  funnel: FunnelLedger;
  /** the audit trail; and the customers it holds master data of (a run over the whole base estimates its total from them) unless `countBase` says */
  store: Store;
  /** the customers a run over the whole base goes over, estimated (a node with shards: every shard's) */
  countBase?: () => Promise<number>;
  clock: Clock;
  /** the segment sizes: a run over segments estimates its total from them */
  segments: SegmentLedger;
  /** reads the funnel afresh before a done run's cancel looks at what it still holds waiting (a node with shards: their totals) */
  refreshFunnel?: () => Promise<void>;
}

const RunStatus = Type.Object(
  {
    id: Type.String({ description: "the run's id: the campaign and the UTC minute (second, by hand) it started, e.g. pension~20270115T0700" }),
    campaign: Type.String(),
    segments: Type.Array(Type.String(), { description: 'the segments it goes over (a customer in any of them); empty: the whole base' }),
    state: Type.Union([Type.Literal('running'), Type.Literal('paused'), Type.Literal('waiting'), Type.Literal('done'), Type.Literal('cancelled')], {
      description: "waiting: for channel capacity until `waitingUntil` (the next day), for a later wave's start, or for its segments' memberships to be worked out (`waitingFor: segments`)",
    }),
    startedBy: Type.Union([Type.Literal('hand'), Type.Literal('schedule'), Type.Literal('wave')], {
      description: "hand: the API, the CLI or the console; schedule: its campaign's schedule; wave: a later call-centre wave, made when the wave before was done",
    }),
    startedAt: Type.Integer({ description: 'epoch ms, by the server clock' }),
    updatedAt: Type.Integer(),
    finishedAt: Type.Optional(Type.Integer()),
    waitingUntil: Type.Optional(Type.Integer()),
    waitingFor: Type.Optional(
      Type.Union([Type.Literal('capacity'), Type.Literal('wave'), Type.Literal('segments')], {
        description:
          "capacity: the next day's; wave: a later wave's start; segments: its segments' memberships are still being worked out (the segment sweep under the rules in force, an import's pass: GET /v1/segment-sizes says `pending`), so their member lists are not complete; it selects once they are (no `waitingUntil`)",
      }),
    ),
    wave: Type.Optional(
      Type.Object(
        {
          n: Type.Integer({ description: 'this wave, from 1' }),
          count: Type.Integer({ description: 'waves in all' }),
          earlier: Type.Array(Type.String(), { description: 'the runs of the waves before it, oldest first' }),
        },
        { description: 'a call-centre wave (docs/outbound.md#call-centre-waves)' },
      ),
    ),
    ranked: Type.Optional(Type.Boolean({ description: "a wave's run: its customers are ranked by expected value (its call list's order)" })),
    listed: Type.Optional(Type.Integer({ description: "a wave's run: the customers it ranked" })),
    selected: Type.Integer({ description: 'customers handed the run so far, each once' }),
    gone: Type.Integer({ description: 'customers listed but no longer in the store when handed over' }),
    pages: Type.Integer(),
    errors: Type.Optional(Type.Integer({ description: 'customers whose actor failed on the hand-over (logged with their ids): not decided' })),
    slices: Type.Optional(Type.Integer({ description: 'the slices the run is cut into (by a hash of the customer id), each worked by one node at a time' })),
    nodes: Type.Optional(Type.Array(Type.String(), { description: 'the nodes (KAIROS_NODE_ID) that worked its slices' })),
    total: Type.Optional(
      Type.Integer({
        description:
          "customers the run will hand over: a wave's run, the customers on its call list (`listed`), absent until it is ranked; any other run, estimated: the sum of its segments' sizes (a customer in two counts twice), or the customers whose master data the store holds for the whole base",
      }),
    ),
    etaMs: Type.Optional(Type.Integer({ description: 'while running: the time left, estimated, in ms (what is left of `total` at the rate so far, `selected` since `startedAt`); absent when unknown' })),
    funnel: Type.Object(
      {
        decided: Type.Integer({ description: "customers decided for good for the run, each once (a hand-over that is not final, held off by the day's capacity or a pause, is counted when the customer is decided)" }),
        offered: Type.Integer(),
        control: Type.Integer({ description: 'held out as the control group' }),
        suppressed: Type.Integer(),
        suppressedBy: Type.Record(Type.String(), Type.Integer(), { description: 'by reason code: stop_list, no_channel, cap, recency, not_in_target_group, below_propensity_floor, not_in_segment…' }),
        deferred: Type.Integer({ description: 'held back by quiet hours for the next window' }),
        waiting: Type.Integer({ description: 'deferred and not yet retried' }),
        delivered: Type.Integer(),
        failed: Type.Integer(),
        answered: Type.Integer(),
        accepted: Type.Integer(),
        declined: Type.Integer(),
        expired: Type.Integer(),
      },
      { description: "the run's funnel, from the campaign funnel's rows of this run" },
    ),
  },
  { $id: 'OutboundRun' },
);

const runParams = Type.Object({ id: PathId("the run's id") });

export const startRunOperation = operation({
  operationId: 'startOutboundRun',
  method: 'post',
  path: '/v1/campaigns/:id/runs',
  summary: 'Start a run of an outbound campaign now: each customer of its segments is handed the campaign once, under every rule',
  tag: 'outbound',
  auth: 'admin',
  roles: ['marketer'],
  params: Type.Object({ id: PathId('the campaign id') }),
  responses: { 201: { description: 'the run, started', schema: RunStatus } },
  errors: ['not_found', 'conflict'],
});

export const listRunsOperation = operation({
  operationId: 'listOutboundRuns',
  method: 'get',
  path: '/v1/runs',
  summary: 'The outbound runs, oldest first, with their status',
  tag: 'outbound',
  auth: 'admin',
  roles: ['marketer', 'analyst'],
  query: Type.Object({ campaign: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "one campaign's runs" })) }),
  responses: { 200: { description: 'the runs', schema: Type.Object({ runs: Type.Array(RunStatus) }) } },
  errors: ['invalid'],
});

export const getRunOperation = operation({
  operationId: 'getOutboundRun',
  method: 'get',
  path: '/v1/runs/:id',
  summary: "A run's status: its state, the customers handed it and its funnel",
  tag: 'outbound',
  auth: 'admin',
  roles: ['marketer', 'analyst'],
  params: runParams,
  responses: { 200: { description: 'the run', schema: RunStatus } },
  errors: ['not_found'],
});

const moveOperation = (verb: 'pause' | 'resume' | 'cancel', summary: string) =>
  operation({
    operationId: `${verb}OutboundRun`,
    method: 'post',
    path: `/v1/runs/:id/${verb}`,
    summary,
    tag: 'outbound',
    auth: 'admin',
    roles: ['marketer'],
    params: runParams,
    responses: { 200: { description: 'the run', schema: RunStatus } },
    errors: ['not_found', 'conflict'],
  });

export const pauseRunOperation = moveOperation('pause', 'Pause a running (or waiting) run at once: answered once the hand-overs under way are decided; nobody is offered for it after the answer');
export const resumeRunOperation = moveOperation('resume', 'Resume a paused run where it stopped');
export const cancelRunOperation = moveOperation(
  'cancel',
  'Cancel a run: no customer is handed it any more, answered once the hand-overs under way are decided, nobody offered for it after the answer (what was sent stays sent); its deferred messages not yet retried are not sent. A done run can be cancelled while it still holds deferred messages (`funnel.waiting` above 0): they are dropped',
);

export const outboundOperations = [startRunOperation, listRunsOperation, getRunOperation, pauseRunOperation, resumeRunOperation, cancelRunOperation] as const;

/** A run's record with its funnel (the campaign funnel's rows of the run, summed) and, when given, its estimated total and time left. */
export function runStatus(run: RunRecord, funnel: FunnelLedger, estimate?: { total: number | undefined; now: number }): RunRecord & { funnel: ReturnType<typeof runFunnel>; total?: number; etaMs?: number } {
  const total = estimate?.total;
  const etaMs = estimate === undefined ? undefined : runEta(run, total, estimate.now);
  return { ...run, ...(total === undefined ? {} : { total }), ...(etaMs === undefined ? {} : { etaMs }), funnel: runFunnel(funnel.report({ campaign: run.campaign, run: run.id, by: [] })) };
}

/**
 * The customers a run will hand over (its status's `total`, which its `etaMs` counts down):
 * a wave's run hands over its call list, so its total is the list's length (`listed`) once
 * ranked, and unknown before (its segments or the wave before are only what it ranks, not
 * what it lists); any other run's is estimated from its segments' sizes (a customer in two
 * counts twice), or the whole base's count (`base`) for a run over the whole base.
 */
export function runTotal(run: Pick<RunRecord, 'segments' | 'wave' | 'ranked' | 'listed'>, segmentSize: (segment: string) => number, base: () => Promise<number>): Promise<number | undefined> {
  if (run.wave !== undefined) return Promise.resolve(run.ranked === true ? run.listed : undefined);
  return run.segments.length > 0 ? Promise.resolve(run.segments.reduce((n, s) => n + segmentSize(s), 0)) : base();
}

/**
 * A running run's time left, in ms: what is left of `total` at the rate so far (`selected`
 * since `startedAt`, by the server clock). Undefined when it is not running, the total is not
 * known, or nothing was handed over yet (no rate).
 */
export function runEta(run: Pick<RunRecord, 'state' | 'selected' | 'startedAt'>, total: number | undefined, now: number): number | undefined {
  if (run.state !== 'running' || total === undefined || run.selected <= 0 || now <= run.startedAt) return undefined;
  const rate = run.selected / (now - run.startedAt);
  return Math.round(Math.max(0, total - run.selected) / rate);
}

/** A run's funnel: its one row (the report of the campaign for the run, summed over channel, offer and group), as the status names the stages. */
function runFunnel(rows: readonly FunnelRow[]) {
  const r = rows[0];
  return {
    decided: r?.triggered ?? 0,
    offered: r?.offered ?? 0,
    control: r?.control ?? 0,
    suppressed: r?.suppressed ?? 0,
    suppressedBy: { ...r?.suppressedBy },
    deferred: r?.deferred ?? 0,
    waiting: r?.waiting ?? 0,
    delivered: r?.delivered ?? 0,
    failed: r?.failed ?? 0,
    answered: r?.answered ?? 0,
    accepted: r?.accepted ?? 0,
    declined: r?.declined ?? 0,
    expired: r?.expired ?? 0,
  };
}

export function outboundRoutes(d: OutboundRouteDeps): Route[] {
  // the whole base's count is read once a request (a list shares it)
  const wholeBase = (): (() => Promise<number>) => {
    let count: Promise<number> | undefined;
    return () => (count ??= d.countBase?.() ?? d.store.countImported());
  };
  const total = (run: RunRecord, base: () => Promise<number>): Promise<number | undefined> => runTotal(run, (s) => d.segments.size(s), base);
  const status = async (run: RunRecord, base = wholeBase()) => runStatus(run, d.funnel, { total: await total(run, base), now: d.clock.now() });
  // A move's entry: written by the runs with the run's record (a node with shards: in the node's trail after every part moved).
  const moved = async (id: string, verb: 'pause' | 'resume' | 'cancel', call: HttpCall) => {
    const entry: RunAudit = (before, after) => auditDraft(call, d.clock.now(), `run.${verb}`, id, before === undefined ? undefined : { state: before.state }, { state: after.state });
    const before = await d.runs.get(id);
    if (before === undefined) throw new KairosError('not_found', `no run "${id}"`);
    if (verb === 'pause' && before.state === 'done') {
      const waiting = runStatus(before, d.funnel).funnel.waiting;
      if (waiting > 0) throw new KairosError('conflict', `run "${id}" is done: it cannot be paused; it still holds ${waiting} deferred messages, which a cancel drops`);
    }
    const after = verb === 'cancel' && before.state === 'done' ? await cancelDone(before, entry) : await d.runs[verb](id, entry);
    return { status: 200 as const, body: await status(after) };
  };
  // A run done still holding deferred messages (quiet hours held them for the customers' next window) is cancelled: they are not sent at their retry.
  const cancelDone = async (run: RunRecord, entry: RunAudit): Promise<RunRecord> => {
    await d.refreshFunnel?.().catch(() => undefined);
    const waiting = runStatus(run, d.funnel).funnel.waiting;
    if (waiting === 0) throw new KairosError('conflict', `run "${run.id}" is done, with no deferred message waiting: it cannot be cancelled`);
    return d.runs.cancel(run.id, entry, { done: true });
  };
  return [
    route(startRunOperation, async ({ params: { id }, call }) => {
      const entry: RunAudit = (_before, run) => auditDraft(call, d.clock.now(), 'run.start', run.id, undefined, { campaign: id, state: run.state });
      const run = await d.runs.start(id, 'hand', undefined, { audit: entry });
      return { status: 201, body: await status(run) };
    }),
    route(listRunsOperation, async ({ query }) => {
      const base = wholeBase();
      const runs = await d.runs.list(query.campaign);
      return { status: 200, body: { runs: await Promise.all(runs.map((r) => status(r, base))) } };
    }),
    route(getRunOperation, async ({ params: { id } }) => {
      const run = await d.runs.get(id);
      if (run === undefined) throw new KairosError('not_found', `no run "${id}"`);
      return { status: 200, body: await status(run) };
    }),
    route(pauseRunOperation, ({ params: { id }, call }) => moved(id, 'pause', call)),
    route(resumeRunOperation, ({ params: { id }, call }) => moved(id, 'resume', call)),
    route(cancelRunOperation, ({ params: { id }, call }) => moved(id, 'cancel', call)),
  ];
}

/** The stages of a run the gauge `kairos_outbound_run` shows. */
export const RUN_STAGES = ['decided', 'offered', 'control', 'suppressed', 'deferred', 'waiting', 'delivered', 'answered', 'accepted'] as const;

/** Keeps the outbound runs' gauges current: called by the metrics registry at each scrape. */
export function outboundMetrics(runs: OutboundRuns, funnel: FunnelLedger, metrics: Metrics): void {
  metrics.outbound.refresh = () => {
    metrics.outboundRun.reset();
    metrics.outboundRunState.reset();
    for (const run of runs.recent()) {
      const labels = { run: run.id, campaign: run.campaign };
      const f = runStatus(run, funnel).funnel;
      metrics.outboundRun.set({ ...labels, stage: 'selected' }, run.selected);
      for (const stage of RUN_STAGES) metrics.outboundRun.set({ ...labels, stage }, f[stage]);
      metrics.outboundRunState.set({ ...labels, state: run.state }, 1);
    }
  };
}
