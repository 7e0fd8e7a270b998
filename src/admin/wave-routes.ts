import { csvField } from '../csv-field.js';
import { Type } from '@sinclair/typebox';
import { audit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { customerOfInstance, instantOf } from '../../actors/index.js';
import { KairosError } from '../errors.js';
import { maskIdentifier } from '../stop-list.js';
import { maskName } from './mask-customer.js';
import { CALL_OUTCOMES, OUTCOME_ROW_LIMITS, callOutcome, invalidOutcomeReason } from '../outcome-rows.js';
import type { CallView, CustomerHost } from '../runtime/customer-host.js';
import type { RunCallRecord, RunsApi } from '../runtime/outbound-runs.js';
import { route } from '../schema/http/bind-route.js';
import { PathId } from '../schema/http/common-schemas.js';
import { operation } from '../schema/http/operation.js';
import type { Store } from '../store/store.js';
import type { Route } from '../transport/http.js';

/**
 * A call-centre wave's call list and its outcomes through the admin API
 * (docs/outbound.md#call-centre-waves): the calls a wave's run made, in the order of their
 * expected value, as JSON or a CSV file for a dialer; and the dialer's outcomes back, a row a
 * call, each recorded as the customer's response to the call (as a `response` frame would):
 * accepted, declined, interested, no answer (the next wave calls again), call back at a time.
 * A row's outcome is one of `CALL_OUTCOMES` (case, spaces and dashes aside): another would be
 * stored and do nothing for the call, so its row is rejected (`invalid_outcome`) and its id not
 * remembered (the corrected row is recorded).
 */
export interface WaveRouteDeps {
  runs: RunsApi;
  /** a call's customer and their answer (a node with shards: asked of the customer's shard) */
  host: Pick<CustomerHost, 'callOf' | 'submitResponse'>;
  store: Store;
  clock: Clock;
}

const Call = Type.Object(
  {
    rank: Type.Integer({ description: 'the place in the call list: 1 is the highest expected value' }),
    customer: Type.String(),
    lastName: Type.Optional(Type.String()),
    firstName: Type.Optional(Type.String()),
    patronymic: Type.Optional(Type.String()),
    phone: Type.Optional(Type.String({ description: 'E.164' })),
    score: Type.Optional(Type.Number({ description: 'the expected value that placed the call: probability x context weight x value x levers' })),
    offer: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String({ description: 'the offer instance: the outcome of the call names it' })),
    channel: Type.Optional(Type.String()),
    calledAt: Type.Optional(Type.Integer({ description: 'when the call was put on the list (epoch ms)' })),
    outcome: Type.Optional(Type.String({ description: 'what the call came to so far: accepted, declined, interested, callback, no_answer, expired; absent: none yet' })),
    callbackAt: Type.Optional(Type.Union([Type.Integer(), Type.String()], { description: 'with outcome callback: when to call back' })),
    warmLead: Type.Optional(Type.Boolean({ description: 'the customer became a warm lead of the campaign' })),
  },
  { $id: 'WaveCall' },
);

const CallsCsv = Type.String({
  description: 'RFC 4180 CSV, CRLF: rank, customer, last_name, first_name, patronymic, phone, score, offer, instance, called_at (ISO), outcome, callback_at, warm_lead',
});

export const callListOperation = operation({
  operationId: 'getWaveCallList',
  method: 'get',
  path: '/v1/runs/:id/calls',
  summary: "A wave's call list: the calls its run made, best expected value first, with each call's outcome so far; JSON or a CSV file for a dialer. Names and phones in full for the privacy role (and admin), masked for a marketer",
  tag: 'outbound',
  auth: 'admin',
  // the dialer's list holds names and phones: in full for privacy (and admin), masked for a marketer (docs/security.md)
  roles: ['marketer', 'privacy'],
  params: Type.Object({ id: PathId("the wave's run id") }),
  query: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'csv: a file for a dialer (also with Accept: text/csv)' })) }),
  responses: {
    200: {
      description: 'the calls (JSON) or a CSV file',
      schema: Type.Object({ run: Type.String(), wave: Type.Integer(), calls: Type.Array(Call) }),
      media: { 'text/csv': CallsCsv },
      headers: { 'Content-Disposition': { description: 'attachment; filename="kairos-calls-<run>.csv" (CSV only)', schema: Type.String() } },
    },
  },
  errors: ['not_found', 'conflict', 'invalid'],
});

const OutcomeRow = Type.Object(
  {
    instance: Type.Optional(Type.String({ minLength: 1, maxLength: OUTCOME_ROW_LIMITS.idMaxLength, description: "the call's offer instance (from the call list); or name the customer" })),
    customer: Type.Optional(Type.String({ minLength: 1, maxLength: OUTCOME_ROW_LIMITS.idMaxLength, description: "the customer: the run's call to them" })),
    outcome: Type.String({
      minLength: 1,
      maxLength: OUTCOME_ROW_LIMITS.outcomeMaxLength,
      description: `one of ${CALL_OUTCOMES.join(', ')}, matched without case, spaces or dashes (No Answer is no_answer); another rejects its row (invalid_outcome)`,
    }),
    at: Type.Optional(Type.Union([Type.Integer(), Type.String()], { description: 'when the call ended: epoch ms or an ISO date-time; now when absent' })),
    callbackAt: Type.Optional(Type.Union([Type.Integer(), Type.String()], { description: 'with outcome callback: when to call back, epoch ms or an ISO date-time' })),
    interest: Type.Optional(Type.Number({ minimum: OUTCOME_ROW_LIMITS.interestMin, maximum: OUTCOME_ROW_LIMITS.interestMax, description: "the operator's estimate of the customer's interest, 0..100 (else what the outcome means: warmLeads.interest)" })),
  },
  { additionalProperties: false },
);

export const outcomesOperation = operation({
  operationId: 'recordWaveOutcomes',
  method: 'post',
  path: '/v1/runs/:id/outcomes',
  summary: "A dialer's outcomes of a wave's calls, a row a call, each recorded as the customer's response to the call; a row that cannot be recorded is reported with its reason and the others go on",
  tag: 'outbound',
  auth: 'admin',
  roles: ['marketer'],
  params: Type.Object({ id: PathId("the wave's run id") }),
  body: { schema: Type.Object({ outcomes: Type.Array(OutcomeRow, { minItems: 1, maxItems: 10_000 }) }, { additionalProperties: false }), media: ['application/json'] },
  responses: {
    200: {
      description: 'what became of the rows',
      schema: Type.Object({
        recorded: Type.Integer({ description: 'rows recorded now' }),
        duplicates: Type.Integer({ description: 'rows recorded before (the same call and outcome): nothing changed' }),
        rejected: Type.Array(Type.Object({ row: Type.Integer({ description: '1-based' }), reason: Type.String() })),
      }),
    },
  },
  errors: ['not_found', 'conflict', 'invalid'],
});

export const waveOperations = [callListOperation, outcomesOperation] as const;

type CallRow = {
  rank: number;
  customer: string;
  lastName?: string;
  firstName?: string;
  patronymic?: string;
  phone?: string;
  score?: number;
  offer?: string;
  instance?: string;
  channel?: string;
  calledAt?: number;
  outcome?: string;
  callbackAt?: number | string;
  warmLead?: boolean;
};

/** One call of the list: the run's record of it and the customer's card; names and phone masked unless `full`. */
export function callRow(rec: RunCallRecord, view: CallView | undefined, full = true): CallRow {
  const row: CallRow = { rank: rec.rank, customer: rec.customer };
  for (const field of ['lastName', 'firstName', 'patronymic'] as const) {
    const v = view?.name[field];
    if (v !== undefined) row[field] = full ? v : maskName(v);
  }
  if (view?.phone !== undefined) row.phone = full ? view.phone : maskIdentifier('phone', view.phone);
  if (rec.score !== undefined) row.score = rec.score;
  const call = view?.call;
  if (call !== undefined) {
    row.offer = call.offer;
    row.instance = call.instance;
    row.channel = call.channel;
    row.calledAt = call.at;
    if (call.outcome !== undefined) row.outcome = call.outcome;
    if (call.callbackAt !== undefined) row.callbackAt = call.callbackAt;
  }
  if (view?.warmLead === true) row.warmLead = true;
  return row;
}


/** The call list as CSV (RFC 4180, CRLF, a header row). */
export function callListCsv(rows: readonly CallRow[]): string {
  const header = ['rank', 'customer', 'last_name', 'first_name', 'patronymic', 'phone', 'score', 'offer', 'instance', 'called_at', 'outcome', 'callback_at', 'warm_lead'];
  const iso = (t: number | string | undefined): string | undefined => (typeof t === 'number' ? new Date(t).toISOString() : t);
  const lines = [header.join(',')];
  for (const r of rows) {
    lines.push(
      [r.rank, r.customer, r.lastName, r.firstName, r.patronymic, r.phone, r.score === undefined ? undefined : r.score.toFixed(6), r.offer, r.instance, iso(r.calledAt), r.outcome, iso(r.callbackAt), r.warmLead === true ? 'true' : undefined]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function waveRoutes(d: WaveRouteDeps): Route[] {
  const waveRun = async (id: string) => {
    const run = await d.runs.get(id);
    if (run === undefined) throw new KairosError('not_found', `no run "${id}"`);
    if (run.wave === undefined) throw new KairosError('conflict', `run "${id}" is not a wave's (its campaign has no outbound.waves): it has no call list`);
    return run;
  };
  return [
    route(callListOperation, async ({ params: { id }, query, call }) => {
      const run = await waveRun(id);
      const full = call.principal?.role === 'privacy' || call.principal?.role === 'admin';
      const records = await d.runs.calls(id);
      const rows: CallRow[] = [];
      // a few cards at a time: each is the customer's actor, through its mailbox
      for (let i = 0; i < records.length; i += 16) {
        const part = records.slice(i, i + 16);
        const views = await Promise.all(part.map((r) => d.host.callOf(r.customer, id)));
        part.forEach((r, j) => rows.push(callRow(r, views[j], full)));
      }
      const format = query.format ?? (call.accept.includes('text/csv') ? 'csv' : 'json');
      if (format === 'json') return { status: 200, body: { run: id, wave: run.wave!.n, calls: rows } };
      return { raw: { status: 200, contentType: 'text/csv; charset=utf-8', body: callListCsv(rows), headers: { 'Content-Disposition': `attachment; filename="kairos-calls-${id.replace(/[^A-Za-z0-9._-]/g, '_')}.csv"` } } };
    }),
    route(outcomesOperation, async ({ params: { id }, body, call }) => {
      await waveRun(id);
      const now = d.clock.now();
      let recorded = 0;
      let duplicates = 0;
      const rejected: Array<{ row: number; reason: string }> = [];
      for (const [i, row] of body.outcomes.entries()) {
        const reject = (reason: string): void => {
          rejected.push({ row: i + 1, reason });
        };
        // an outcome that means nothing for a call is rejected before anything is recorded (so its id is not remembered)
        const outcome = callOutcome(row.outcome);
        if (outcome === undefined) {
          reject(invalidOutcomeReason('field', row.outcome));
          continue;
        }
        // the run's call to the customer the row names (by the call's instance or the customer)
        const customer = row.customer ?? (row.instance === undefined ? undefined : customerOfInstance(row.instance));
        if (customer === undefined) {
          reject(row.instance === undefined ? 'field "instance": name the call\'s instance or its customer' : `field "instance": "${row.instance}" is not an offer instance`);
          continue;
        }
        const view = await d.host.callOf(customer, id);
        if (view === undefined) {
          reject(`field "${row.customer === undefined ? 'instance' : 'customer'}": no customer "${customer}"`);
          continue;
        }
        if (view.call === undefined || (row.instance !== undefined && view.call.instance !== row.instance)) {
          reject(row.instance === undefined ? `field "customer": run "${id}" did not call customer "${customer}"` : `field "instance": run "${id}" did not make call "${row.instance}"`);
          continue;
        }
        const instance = view.call.instance;
        const at = row.at === undefined ? now : instantOf(row.at);
        if (at === undefined) {
          reject('field "at": must be epoch milliseconds or an ISO date-time with its offset');
          continue;
        }
        const data: Record<string, string | number> = {};
        if (row.callbackAt !== undefined) {
          const back = instantOf(row.callbackAt);
          if (back === undefined) {
            reject('field "callbackAt": must be epoch milliseconds or an ISO date-time with its offset');
            continue;
          }
          data.at = back;
        }
        if (row.interest !== undefined) data.interest = row.interest;
        // the same call and outcome again is the same response: recorded once
        const reply = await d.host.submitResponse({ id: `call:${instance}:${outcome}`, instance, outcome, at, ...(Object.keys(data).length > 0 ? { data } : {}) });
        if (reply.kind === 'error') reject(reply.message);
        else if (reply.kind === 'ack' && reply.duplicate) duplicates++;
        else recorded++;
      }
      await audit(d, call, 'run.outcomes', id, undefined, { recorded, duplicates, rejected: rejected.length });
      return { status: 200, body: { recorded, duplicates, rejected } };
    }),
  ];
}
