import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { ContactIdentifierKind, GatewayEvent, LifecycleStage } from '../../actors/index.js';
import { customerIdProblem, stageMoveEvent } from '../../actors/index.js';
import { audit, redactReason } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { KairosError, asKairosError } from '../errors.js';
import { CELL_VALUE_MESSAGE, CellValue } from '../import/cell-value.js';
import { boundReasons, stable } from '../import/customer-from-row.js';
import { emptyMapping } from '../import/import-mapping.js';
import { withImportLock } from '../import/import-lock.js';
import { prepareRow, rowIdentifiers } from '../import/prepare-row.js';
import type { ConsentMoves } from '../import/consent-changes.js';
import { consentChanges } from '../import/consent-changes.js';
import { profileEventData } from '../import/imported-profile.js';
import type { ImportCounts } from '../import/import-customers.js';
import { droppedIdentifiers, importCustomerRows, summaryLine } from '../import/import-customers.js';
import type { SourceRow } from '../import/read-rows.js';
import { cellText, jsonCells, readRows } from '../import/read-rows.js';
import type { Logger } from '../logger.js';
import type { CustomerHost } from '../runtime/customer-host.js';
import { route } from '../schema/http/bind-route.js';
import { PathId } from '../schema/http/common-schemas.js';
import { operation } from '../schema/http/operation.js';
import { ProblemSchema, problemBody } from '../schema/http/problem.js';
import type { CustomerRecord, Store } from '../store/store.js';
import type { CustomerView } from '../schema/http/customer-schemas.js';
import type { HttpCall, Route } from '../transport/http.js';
import { boundedLines } from './bounded-lines.js';

/**
 * The bank's customers through the admin API (docs/import.md, role privacy: personal data):
 * an NDJSON import, read as it arrives (any size; rows applied in batches as bytes come, the
 * connection paused while the store is behind) and answered with the counts or, asked for
 * NDJSON, with a progress line per committed batch; and one customer put or patched. The same checks and upsert as
 * `kairos import customers` (src/import/); a customer already imported whose master data
 * changed is told so as an event, `profile.updated` (and `client.churned` when the row makes
 * it a former client), so its live actor, features, segments and campaigns see the change.
 */

const counts = {
  rows: Type.Integer({ minimum: 0, description: 'rows read' }),
  created: Type.Integer({ minimum: 0, description: 'new customers' }),
  updated: Type.Integer({ minimum: 0, description: 'customers whose master data changed' }),
  unchanged: Type.Integer({ minimum: 0, description: 'rows that changed nothing' }),
  rejected: Type.Integer({ minimum: 0, description: 'rows rejected, none of them applied' }),
};

const RejectSchema = Type.Object(
  {
    line: Type.Integer({ minimum: 1, description: "the row's line in the body" }),
    column: Type.String({ description: 'the column at fault ("" for the whole row)' }),
    reason: Type.String({ description: 'missing_id, duplicate_id, invalid_phone, invalid_email, invalid_date, invalid_timezone, identifier_taken, … (docs/import.md)' }),
    raw: Type.String({ description: 'the row as sent' }),
  },
  { additionalProperties: false },
);

export const ImportReply = Type.Object(
  {
    ...counts,
    rejects: Type.Array(RejectSchema, { description: 'the rejected rows (the first 10,000; all are counted)' }),
    progress: Type.Array(Type.Integer({ minimum: 0 }), { description: 'rows done at each committed batch of 5,000' }),
    summary: Type.String({ description: 'import: rows=N created=A updated=B unchanged=C rejected=D s=T, as the command prints it' }),
  },
  { $id: 'CustomerImport', additionalProperties: false },
);

/** The most rejected rows the JSON reply lists (all are counted); the NDJSON reply sends each. */
export const MAX_LISTED_REJECTS = 10_000;

export const ImportLine = Type.Union(
  [
    Type.Object({ progress: Type.Object({ rows: counts.rows, rejected: counts.rejected }, { additionalProperties: false }) }, { additionalProperties: false, description: 'a batch committed: the rows done so far' }),
    Type.Object({ reject: RejectSchema }, { additionalProperties: false, description: 'a rejected row, sent with the progress line of its batch' }),
    Type.Object({ error: ProblemSchema }, { additionalProperties: false, description: 'the import stopped (the batches before stay committed); the last line' }),
    Type.Object({ ...counts, summary: ImportReply.properties.summary }, { additionalProperties: false, description: 'the whole body was applied: the counts and the summary line; the last line' }),
  ],
  { $id: 'CustomerImportLine', description: 'one line of the NDJSON reply' },
);

const CustomerFields = Type.Record(Type.String({ maxLength: 128 }), CellValue, {
  $id: 'CustomerFields',
  description: 'the columns of docs/import.md (id, last_name, first_name, patronymic, gender, birth_date, city, timezone, phone, email, card, consent_*, stage) and any attributes',
});

export const UpsertReply = Type.Object(
  { id: Type.String(), outcome: Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('unchanged')]) },
  { $id: 'CustomerUpsert', additionalProperties: false },
);

export const importCustomersOperation = operation({
  operationId: 'importCustomers',
  method: 'post',
  path: '/v1/customers/import',
  summary: "Imports the bank's customers: NDJSON, one customer a line (upsert, rejects listed)",
  description:
    'The body is read as it arrives, of any size (KAIROS_MAX_PAYLOAD_BYTES bounds one line, not the body: a longer line is rejected as unreadable_row); each line is applied whole or rejected whole, in batches of 5,000, each committed as its bytes arrive. ' +
    'With `Accept: application/x-ndjson` the reply is NDJSON sent as the import goes: a `progress` line per committed batch (after the `reject` lines of its rows), then the counts with the summary line (or an `error` line). Otherwise the counts at the end, as JSON. ' +
    'A client that goes away stops the import after the last committed batch.',
  tag: 'customers',
  auth: 'admin',
  roles: ['privacy'],
  body: { schema: Type.String({ description: 'NDJSON' }), media: ['application/x-ndjson'], streamed: true },
  responses: { 200: { description: 'the counts, the rejected rows and the summary line; asked for NDJSON, progress lines as batches commit', schema: ImportReply, media: { 'application/x-ndjson': ImportLine } } },
  errors: [],
});

export const putCustomerOperation = operation({
  operationId: 'putCustomer',
  method: 'put',
  path: '/v1/customers/:id',
  summary: "Creates or updates one customer's master data (upsert)",
  tag: 'customers',
  auth: 'admin',
  roles: ['privacy'],
  params: Type.Object({ id: PathId('the bank customer id') }),
  body: { schema: CustomerFields, media: ['application/json'] },
  responses: { 200: { description: 'created, updated or unchanged', schema: UpsertReply } },
  errors: ['invalid'],
});

export const patchCustomerOperation = operation({
  operationId: 'patchCustomer',
  method: 'patch',
  path: '/v1/customers/:id',
  summary: "Updates fields of a known customer's master data",
  tag: 'customers',
  auth: 'admin',
  roles: ['privacy'],
  params: Type.Object({ id: PathId('the bank customer id') }),
  query: Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500, description: 'why the change is made (a consent withdrawn by phone): kept in the audit entry, each e-mail address and phone-like run of 7 digits or more replaced by ***' })) }),
  body: { schema: CustomerFields, media: ['application/json'] },
  responses: { 200: { description: 'updated or unchanged', schema: UpsertReply } },
  errors: ['invalid', 'unknown_customer'],
});

export const customerImportOperations = [importCustomersOperation, putCustomerOperation, patchCustomerOperation] as const;

export interface CustomerImportDeps {
  host: CustomerHost;
  store: Store;
  clock: Clock;
  logger: Logger;
  /**
   * the pass that brings the customers an import batch created or changed into their segments
   * (sizes and members too) once it is committed (`SegmentSweep.afterImport`); none: the daily sweep does
   */
  segmentPass?: { afterImport(ids: readonly string[]): Promise<void> };
}

/** A run through the API: canonical columns, rejects answered (no file), no resume point kept. */
function apiRun(d: CustomerImportDeps) {
  return {
    source: 'api',
    mapping: emptyMapping,
    rejects: { append: () => undefined, size: () => 0, truncate: () => undefined },
    resume: false,
    keepMarker: false,
    now: d.clock.now(),
  } as const;
}

/**
 * Tells live customers what changed in their master data, as events. `consents`: the moves to
 * tell instead of those between the records (`PUT`/`PATCH` compare with the customer's state).
 */
async function tellHost(d: CustomerImportDeps, changes: ReadonlyArray<{ id: string; before: CustomerRecord | undefined; after: CustomerRecord; consents?: ConsentMoves; stateStage?: LifecycleStage }>): Promise<void> {
  for (const change of changes) {
    const { id, after, consents } = change;
    let { before, stateStage } = change;
    if (before === undefined) {
      // A customer events made, given their first record: told as `PUT` tells one (applyOne),
      // from what their state holds (its stage; the profile and identifiers as new).
      const state = await d.host.view(id).catch(() => undefined);
      if (state === undefined) continue;
      before = { stage: state.stage, profile: {}, identifiers: {}, importedAt: after.importedAt };
      stateStage = state.stage;
    }
    // Each change is told once: its ids are new each time (a revoke, a grant and a revoke again
    // within the same clock reading must not be taken for the first revoke repeated).
    const tag = createHash('sha256').update(stable(before)).update(stable(after)).update(randomBytes(8)).digest('base64url').slice(0, 16);
    const events: GatewayEvent[] = [];
    // A consent the master data now answers otherwise: the customer's state (what the send check
    // reads) follows. A withdrawal first, before anything the change could trigger an offer on; a
    // grant last.
    const { granted, revoked } = consents ?? consentChanges(before, after);
    if (revoked.length > 0) events.push({ id: `import:${id}:${tag}:revoked`, type: 'consent.revoked', customer: { id }, data: { channels: revoked, source: 'import' } });
    // A phone, e-mail or card the record now lists otherwise: the customer's own follow (the
    // first phone is where SMS go), carried by the profile's event.
    const identifiersMoved = stable(before.identifiers) !== stable(after.identifiers);
    const profile: GatewayEvent = { id: `import:${id}:${tag}`, type: 'profile.updated', customer: { id }, data: profileEventData(after) };
    if (identifiersMoved || stable(profileEventData(before)) !== stable(profileEventData(after))) events.push(profile);
    // The stage the record now gives, from the stage the customer's state has (read when the
    // caller did not: the record's stage before is not the state's, events move it too): as an
    // event's own move would be told (lifecycle.ts, `stageMoveEvent`).
    if (stateStage !== undefined || after.stage !== before.stage) {
      const from = stateStage ?? (await d.host.view(id).catch(() => undefined))?.stage ?? before.stage;
      const move = stageMoveEvent(from, after.stage);
      if (move !== undefined) events.push({ id: `import:${id}:${tag}:stage`, type: move.type, customer: { id }, data: move.data });
    }
    if (granted.length > 0) events.push({ id: `import:${id}:${tag}:granted`, type: 'consent.granted', customer: { id }, data: { channels: granted, source: 'import' } });
    const dropped = droppedIdentifiers(before, after);
    const masterData = dropped === undefined ? { identifiers: after.identifiers } : { identifiers: after.identifiers, dropped };
    for (const e of events) {
      const r = e === profile && identifiersMoved ? await d.host.submitMasterData(e, masterData) : await d.host.submitEvent(e);
      if (r.kind === 'error') d.logger.warn({ customer: id, type: e.type, code: r.code }, 'the customer was not told of its imported change');
    }
  }
}

/**
 * The consents a row names (`consent_<channel>`) that the customer's state answers otherwise
 * than the stored record now does: a withdrawal always (an operator's withdrawal reaches a
 * customer who granted consent through an event since the record said no); a grant only when
 * the row changed the record's answer to yes (`recordBefore`: the record before the row), so a row
 * repeated unchanged never re-grants what the customer withdrew since. Channels the row does
 * not name are left as the state has them. `before`: each moved channel's answer in the
 * state (null: none).
 */
function consentMovesFromState(body: Record<string, unknown>, record: CustomerRecord, recordBefore: CustomerRecord | undefined, state: CustomerView | undefined): ConsentMoves & { before: Record<string, boolean | null>; after: Record<string, boolean> } {
  const moves = { granted: [] as string[], revoked: [] as string[], before: {} as Record<string, boolean | null>, after: {} as Record<string, boolean> };
  for (const key of Object.keys(body).sort()) {
    const ch = /^consent_([a-z]+)$/.exec(key)?.[1];
    const wanted = ch === undefined || !Object.hasOwn(record.consents ?? {}, ch) ? undefined : record.consents![ch];
    const was = ch === undefined ? undefined : state?.consents[ch]?.granted;
    if (ch === undefined || wanted === undefined || was === wanted.granted) continue;
    if (wanted.granted && recordBefore?.consents?.[ch]?.granted === true) continue;
    (wanted.granted ? moves.granted : moves.revoked).push(ch);
    moves.before[ch] = was ?? null;
    moves.after[ch] = wanted.granted;
  }
  return moves;
}

/** whether the body gives a field a value (an empty cell says nothing) */
function hasField(body: Record<string, unknown>, field: string): boolean {
  const v = body[field];
  return v !== undefined && v !== null && cellText(v).trim() !== '';
}

/**
 * The path's customer id by the one rule every path in applies (`customerIdProblem`): 400
 * naming the path (`path "id": holds a control character`), before any row is made of it.
 */
function checkPathId(id: string): void {
  const problem = customerIdProblem(id);
  if (problem !== undefined) throw new KairosError('invalid', `path "id": ${problem}`);
}

/** A customer's fields as an import's row (canonical columns, the path's id); a body naming another id is refused. */
function bodyRow(id: string, body: Record<string, unknown>): SourceRow {
  if (body.id !== undefined && body.id !== null && cellText(body.id) !== id) throw new KairosError('invalid', `field "id": "${cellText(body.id)}" is not the path's id "${id}"`);
  const { fields, cleared } = jsonCells(body);
  fields.id = id;
  const raw = JSON.stringify(body);
  return cleared === undefined ? { line: 1, raw, fields, bytes: raw.length } : { line: 1, raw, fields, cleared, bytes: raw.length };
}

const rowRefusal = (r: { column: string; reason: string }): KairosError => {
  const why = r.reason === 'invalid_value' ? CELL_VALUE_MESSAGE : boundReasons[r.reason];
  return new KairosError('invalid', `${r.column === '' ? 'body' : `field "${r.column}"`}: ${r.reason}${why === undefined ? '' : ` (${why})`}`, { details: { column: r.column, reason: r.reason } });
};

/**
 * The identifiers a customer's fields name (phone, e-mail, card), normalised as the import
 * stores them, each with its field: what a node with shards claims in its directory before
 * the fields go to the customer's shard. A row the import would refuse on its own is refused
 * here the same way (400 naming the field).
 */
export function bodyIdentifiers(id: string, body: Record<string, unknown>, now: number): Array<{ kind: ContactIdentifierKind; value: string; field: string }> {
  checkPathId(id);
  const row = prepareRow(bodyRow(id, body), emptyMapping, { now });
  if ('reason' in row.outcome) throw rowRefusal(row.outcome);
  return rowIdentifiers(row, row.outcome);
}

/** What `PUT`/`PATCH` did: the outcome, and the consents it moved in the customer's state (channel → granted, before and after), if any. */
interface AppliedOne {
  outcome: 'created' | 'updated' | 'unchanged';
  consents?: { before: Record<string, boolean | null>; after: Record<string, boolean> };
}

/**
 * One customer's fields applied as an import's row, then told to the customer's state: the
 * profile and stage changes of the record, and the consents the row names against the state
 * as it was before the row was written (in memory or not, the same moves are told and audited).
 * A customer events made (a prospect, a visitor: a state, no master data) gets its first record
 * as an update of what it is, every field of it told. The caller holds the store's import lock
 * (`withImportLock`) from before this to after its audit entry.
 */
async function applyOne(d: CustomerImportDeps, id: string, body: Record<string, unknown>): Promise<AppliedOne> {
  let rejected: { column: string; reason: string } | undefined;
  const known = await d.store.hasCustomer(id);
  // The state before the row is written: a customer not in memory (never read, passivated with
  // no snapshot, read before a restart) is made from its record when read, and read after the
  // write it would already answer the new consents, so the withdrawal would be neither told
  // (no consent.revoked) nor audited. Read first, it is made from the record before, as a live
  // customer's was: the events below move it.
  const state = known ? await d.host.view(id) : undefined;
  const rows: SourceRow[] = [bodyRow(id, body)];
  let change: { before: CustomerRecord; after: CustomerRecord } | undefined;
  const c = await importCustomerRows(d.store, rows, {
    ...apiRun(d),
    lockHeld: true,
    onRejected: (r) => (rejected = r),
    onUpdated: (changes) => {
      // (a customer events made, given their first record: told below from their state)
      const last = changes[changes.length - 1];
      change = last?.before === undefined ? undefined : { before: last.before, after: last.after };
      return Promise.resolve();
    },
  });
  if (rejected !== undefined) throw rowRefusal(rejected);
  let outcome: AppliedOne['outcome'] = c.created > 0 ? 'created' : c.updated > 0 ? 'updated' : 'unchanged';
  const record = await d.store.getCustomer(id);
  if (record === undefined) return { outcome };
  // A new customer (no state, nothing to tell it): its memberships at once, so the segments'
  // sizes and members count it from now (a change of a known one is told below, its events
  // evaluating its segments again).
  if (outcome === 'created' && !known && !(await d.host.checkSegments(id))) d.logger.warn({ customer: id }, 'the new customer was not brought into its segments now; the segment sweep will');
  if (outcome === 'created' && known) {
    change = { before: { stage: state?.stage ?? record.stage, profile: {}, identifiers: {}, importedAt: record.importedAt }, after: record };
    outcome = 'updated';
  }
  // (a new customer's state is made from the record: nothing to tell it)
  const moves = known ? consentMovesFromState(body, record, change === undefined ? record : change.before, state) : { granted: [], revoked: [], before: {}, after: {} };
  const moved = moves.granted.length + moves.revoked.length > 0;
  // A stage the row names that the customer's state does not have (events moved it, or an
  // earlier change was not applied): the state follows the record, and the reply says updated.
  const named = known && state !== undefined && hasField(body, 'stage');
  const staged = named && state.stage !== record.stage;
  const told = { id, before: change?.before ?? record, after: record, consents: moves, ...(named ? { stateStage: state.stage } : {}) };
  if (change !== undefined || moved || staged) await tellHost(d, [told]);
  if (outcome === 'unchanged' && (moved || staged)) outcome = 'updated';
  return moved ? { outcome, consents: { before: moves.before, after: moves.after } } : { outcome };
}

/**
 * One customer's master data created or updated (`PUT /v1/customers/{id}`), the change told to
 * the customer's state and audited as the caller's: the route's work, also what a shard does
 * for a node with shards (src/shards/shard-calls.ts). One step under the store's import lock,
 * from the check to the audit entry, as `patchCustomer`.
 */
export function putCustomer(d: CustomerImportDeps, id: string, body: Record<string, unknown>, caller: Pick<HttpCall, 'principal'>): Promise<'created' | 'updated' | 'unchanged'> {
  checkPathId(id);
  return withImportLock(d.store, async () => {
    const { outcome } = await applyOne(d, id, body);
    await audit(d, caller, 'customer.put', id, undefined, { outcome, fields: Object.keys(body).sort() });
    return outcome;
  });
}

/**
 * Fields of a known customer's master data updated (`PATCH /v1/customers/{id}`): `unknown_customer`
 * when there is none; the consents it moved and the reason in the audit entry. The check, the
 * change, what is told to the customer's state and the audit entry are one step under the
 * store's import lock (`withImportLock`): two PATCHes of one customer at once are applied one
 * after the other, each reading the record and the state the other left, and their entries are
 * in that order, each one's `before` the `after` of the one before.
 */
export function patchCustomer(d: CustomerImportDeps, id: string, body: Record<string, unknown>, reason: string | undefined, caller: Pick<HttpCall, 'principal'>): Promise<'created' | 'updated' | 'unchanged'> {
  checkPathId(id);
  return withImportLock(d.store, async () => {
    if (!(await d.store.hasCustomer(id))) throw new KairosError('unknown_customer', `no customer "${id}"`);
    const { outcome, consents } = await applyOne(d, id, body);
    // The consents it moved in the customer's state (channel → granted) before and after, and the reason given (its e-mails and phones redacted): never the other values.
    const why = reason === undefined || reason === '' ? {} : { reason: redactReason(reason) };
    await audit(d, caller, 'customer.patch', id, consents === undefined ? undefined : { consents: consents.before }, { outcome, fields: Object.keys(body).sort(), ...(consents === undefined ? {} : { consents: consents.after }), ...why });
    return outcome;
  });
}

/**
 * Where an import's rows are applied: `onRejected` for each row refused (before the
 * `onProgress` of its batch), `onProgress` after each committed batch with the rows done.
 * A single node applies them to its store (`rowsIntoStore`); a node with shards checks them,
 * claims their identifiers and hands each shard its own (src/shards/sharded-import.ts).
 */
export type ApplyRows = (rows: AsyncIterable<SourceRow>, hooks: { onRejected: (r: Reject) => void; onProgress: (p: { rows: number }) => void }) => Promise<ImportCounts>;

/**
 * A committed batch's customers handed to the segment pass (`segmentPass`): its entry written
 * (a failure logged, not the import's: the daily sweep still finds them), the checks left to run
 * in the background, yielding to events.
 */
function passOver(d: CustomerImportDeps): (ids: readonly string[]) => Promise<void> {
  return async (ids) => {
    await d.segmentPass?.afterImport(ids).catch((err: unknown) => d.logger.error({ err }, 'the segment pass after an import was not recorded; the daily sweep brings its customers in'));
  };
}

/** A single node's import: the rows into its store, each change told to the live customer. */
export function rowsIntoStore(d: CustomerImportDeps): ApplyRows {
  return (rows, hooks) => importCustomerRows(d.store, rows, { ...apiRun(d), ...hooks, onUpdated: (changes) => tellHost(d, changes), onCommitted: passOver(d) });
}

/**
 * Rows a node with shards handed this shard, applied to its store as a single node's import
 * applies them (its identity index, stored records merged, changes told to live customers),
 * at the run's moment `now`: the counts, and the rows refused with why.
 */
export async function importRowsHere(d: CustomerImportDeps, rows: readonly SourceRow[], now: number): Promise<{ counts: ImportCounts; rejects: Reject[] }> {
  const rejects: Reject[] = [];
  const c = await importCustomerRows(d.store, rows, { ...apiRun(d), now, onRejected: (r) => rejects.push(r), onUpdated: (changes) => tellHost(d, changes), onCommitted: passOver(d) });
  return { counts: countsOf(c), rejects };
}

/** `POST /v1/customers/import` over `apply`, audited in `d`'s store: NDJSON progress as it goes, or the counts at the end. */
export function importCustomersRoute(d: Pick<CustomerImportDeps, 'store' | 'clock' | 'logger'>, apply: ApplyRows): Route {
  return route(
    importCustomersOperation,
    async ({ call }) => {
      if (!/application\/x-ndjson/i.test(call.accept)) return { status: 200, body: await importReply(d, call, apply) };
      return { raw: { status: 200, contentType: 'application/x-ndjson; charset=utf-8', body: '', stream: importLines(d, call, apply) } };
    },
    // the body is streamed: the route reads call.bodyStream
    { 'application/x-ndjson': () => '' },
  );
}

export function customerImportRoutes(d: CustomerImportDeps): Route[] {
  return [
    importCustomersRoute(d, rowsIntoStore(d)),
    route(putCustomerOperation, async ({ params: { id }, body, call }) => ({ status: 200, body: { id, outcome: await putCustomer(d, id, body, call) } })),
    route(patchCustomerOperation, async ({ params: { id }, query: { reason }, body, call }) => ({ status: 200, body: { id, outcome: await patchCustomer(d, id, body, reason, call) } })),
  ];
}

/** A row refused: its line, the column at fault and why, the row as read. */
export type Reject = { line: number; column: string; reason: string; raw: string };

interface ImportRun {
  counts: ImportCounts;
  seconds: number;
}

/**
 * One import of the call's NDJSON body as it arrives; `onBatch` after each committed batch with
 * the rows done and the rejects among them. A body cut short (the client gone) throws after
 * the batches before it are committed; the rows after them are not applied.
 */
async function runImport(
  call: HttpCall,
  apply: ApplyRows,
  onBatch: (done: { rows: number; rejected: number }, rejects: Reject[]) => void,
  /** before each row: a promise to wait on while the reply is behind (then the body is not read) */
  hold: () => Promise<void> | undefined = () => undefined,
): Promise<ImportRun> {
  const started = performance.now();
  const limit = call.bodyStream?.limit ?? Number.MAX_SAFE_INTEGER;
  let read = 0;
  let rejected = 0;
  /** the rows told at the last batch */
  let toldRows = -1;
  /** rejects not yet told, each with the row it is (the rows of the batch being checked) */
  const pending: Array<Reject & { row: number }> = [];
  async function* counted(): AsyncGenerator<SourceRow> {
    for await (const row of readRows(Readable.from(boundedLines(call.bodyStream ?? [call.body], limit)), 'ndjson')) {
      const wait = hold();
      if (wait !== undefined) await wait;
      read++;
      yield row;
    }
  }
  const c: ImportCounts = await apply(counted(), {
    onRejected: (r) => pending.push({ ...r, row: read }),
    onProgress: ({ rows }) => {
      const told: Reject[] = [];
      while (pending.length > 0 && pending[0]!.row <= rows) {
        const { row: _row, ...r } = pending.shift()!;
        told.push(r);
      }
      // the run's last commit may hold no row (the rows ended with a full batch): nothing new to tell
      if (rows === toldRows && told.length === 0) return;
      toldRows = rows;
      rejected += told.length;
      onBatch({ rows, rejected }, told);
    },
  });
  return { counts: c, seconds: (performance.now() - started) / 1000 };
}

function countsOf(c: ImportCounts): ImportCounts {
  return { rows: c.rows, created: c.created, updated: c.updated, unchanged: c.unchanged, rejected: c.rejected };
}

/** Audits an import: its counts, or the rows committed before it stopped and why. */
async function auditImport(d: Pick<CustomerImportDeps, 'store' | 'clock'>, call: HttpCall, outcome: ImportCounts | { rows: number; rejected: number; stopped: string }): Promise<void> {
  await audit(d, call, 'customers.import', 'customers', undefined, outcome);
}

/** The JSON reply: the counts, the first rejects, the rows at each batch, the summary line. */
async function importReply(d: Pick<CustomerImportDeps, 'store' | 'clock'>, call: HttpCall, apply: ApplyRows) {
  const rejects: Reject[] = [];
  const progress: number[] = [];
  let done = { rows: 0, rejected: 0 };
  let run: ImportRun;
  try {
    run = await runImport(call, apply, (p, told) => {
      done = p;
      progress.push(p.rows);
      for (const r of told) if (rejects.length < MAX_LISTED_REJECTS) rejects.push(r);
    });
  } catch (err) {
    await auditImport(d, call, { ...done, stopped: asKairosError(err).code });
    throw err;
  }
  const reply = countsOf(run.counts);
  await auditImport(d, call, reply);
  return { ...reply, rejects, progress, summary: summaryLine(run.counts, run.seconds) };
}

/** Bytes of the NDJSON reply made but not yet taken by the client beyond which the body is no longer read. */
export const MAX_UNSENT_REPLY = 1024 * 1024;

/**
 * The NDJSON reply, line by line as the import goes: rejects and progress per batch, then the
 * counts (or an error). While more than {@link MAX_UNSENT_REPLY} bytes of it wait for a client
 * that does not read them, no more of the body is read (its connection pauses).
 */
async function* importLines(d: Pick<CustomerImportDeps, 'store' | 'clock' | 'logger'>, call: HttpCall, apply: ApplyRows): AsyncGenerator<string> {
  const out: string[] = [];
  let unsent = 0;
  let finished = false;
  let wake: (() => void) | undefined;
  let taken: (() => void) | undefined;
  const push = (line: unknown): void => {
    const text = `${JSON.stringify(line)}\n`;
    out.push(text);
    unsent += text.length;
    wake?.();
  };
  const hold = (): Promise<void> | undefined => (unsent > MAX_UNSENT_REPLY ? new Promise<void>((resolve) => (taken = resolve)) : undefined);
  let done = { rows: 0, rejected: 0 };
  void runImport(
    call,
    apply,
    (p, told) => {
      done = p;
      for (const r of told) push({ reject: r });
      push({ progress: p });
    },
    hold,
  )
    .then(
      async (run) => {
        const reply = countsOf(run.counts);
        await auditImport(d, call, reply);
        push({ ...reply, summary: summaryLine(run.counts, run.seconds) });
      },
      async (err: unknown) => {
        const e = asKairosError(err);
        if (e.code === 'internal') d.logger.error({ err }, 'the customer import failed');
        else d.logger.warn({ rows: done.rows, code: e.code }, `the customer import stopped: ${e.message}`);
        await auditImport(d, call, { ...done, stopped: e.code }).catch((auditErr: unknown) => d.logger.error({ err: auditErr }, 'the stopped import was not audited'));
        push({ error: problemBody(e.code, e.publicMessage) });
      },
    )
    .finally(() => {
      finished = true;
      wake?.();
    });
  try {
    for (;;) {
      if (out.length > 0) {
        const text = out.join('');
        out.length = 0;
        yield text;
        // the client took it: the body is read on
        unsent -= text.length;
        if (unsent <= MAX_UNSENT_REPLY) {
          taken?.();
          taken = undefined;
        }
        continue;
      }
      if (finished) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    // the reply is over (a client gone too): an import held for it goes on, to its end or its error
    unsent = 0;
    taken?.();
  }
}
