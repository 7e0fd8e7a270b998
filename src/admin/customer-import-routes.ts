import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { profileFieldTypes } from '../../actors/index.js';
import type { GatewayEvent, ProfileScalarField } from '../../actors/index.js';
import { audit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import { stable } from '../import/customer-from-row.js';
import { emptyMapping } from '../import/import-mapping.js';
import type { ImportCounts } from '../import/import-customers.js';
import { importCustomerRows, summaryLine } from '../import/import-customers.js';
import type { SourceRow } from '../import/read-rows.js';
import { cellText, readRows } from '../import/read-rows.js';
import type { Logger } from '../logger.js';
import type { CustomerHost } from '../runtime/customer-host.js';
import { route } from '../schema/http/bind-route.js';
import { PathId } from '../schema/http/common-schemas.js';
import { operation } from '../schema/http/operation.js';
import type { CustomerRecord, Store } from '../store/store.js';
import type { Route } from '../transport/http.js';

/**
 * The bank's customers through the admin API (docs/import.md, role privacy: personal data):
 * an NDJSON import, and one customer put or patched. The same checks and upsert as
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
    rejects: Type.Array(RejectSchema, { description: 'the rejected rows' }),
    progress: Type.Array(Type.Integer({ minimum: 0 }), { description: 'rows done at each committed batch of 5,000' }),
    summary: Type.String({ description: 'import: rows=N created=A updated=B unchanged=C rejected=D s=T, as the command prints it' }),
  },
  { $id: 'CustomerImport', additionalProperties: false },
);

const CellValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null(), Type.Array(Type.String())]);
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
  description: 'Each line is applied whole or rejected whole, in batches of 5,000; the body is bounded by KAIROS_MAX_PAYLOAD_BYTES (send a large file in parts, or use `kairos import customers`).',
  tag: 'customers',
  auth: 'admin',
  roles: ['privacy'],
  body: { schema: Type.String({ description: 'NDJSON' }), media: ['application/x-ndjson'] },
  responses: { 200: { description: 'the counts, the rejected rows and the summary line', schema: ImportReply } },
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
}

/** The profile fields an actor takes from a `profile.updated` event: the profile's, the birth date and the attributes. */
export function profileData(r: CustomerRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(profileFieldTypes) as ProfileScalarField[]) {
    const v = r.profile[key];
    if (v !== undefined) out[key] = v;
  }
  if (r.birthDate !== undefined) out.birthDate = r.birthDate;
  if (r.attributes !== undefined) out.attributes = r.attributes;
  return out;
}

/** Tells live customers what changed in their master data, as events. */
async function tellHost(d: CustomerImportDeps, changes: ReadonlyArray<{ id: string; before: CustomerRecord; after: CustomerRecord }>): Promise<void> {
  for (const { id, before, after } of changes) {
    const tag = createHash('sha256').update(stable(after)).digest('base64url').slice(0, 16);
    const events: GatewayEvent[] = [];
    if (stable(profileData(before)) !== stable(profileData(after))) events.push({ id: `import:${id}:${tag}`, type: 'profile.updated', customer: { id }, data: profileData(after) });
    if (after.stage === 'formerClient' && before.stage !== 'formerClient') events.push({ id: `import:${id}:${tag}:churned`, type: 'client.churned', customer: { id }, data: { source: 'import' } });
    for (const e of events) {
      const r = await d.host.submitEvent(e);
      if (r.kind === 'error') d.logger.warn({ customer: id, type: e.type, code: r.code }, 'the customer was not told of its imported change');
    }
  }
}

async function applyOne(d: CustomerImportDeps, id: string, body: Record<string, unknown>): Promise<'created' | 'updated' | 'unchanged'> {
  if (body.id !== undefined && body.id !== null && cellText(body.id) !== id) throw new KairosError('invalid', `field "body.id": "${cellText(body.id)}" is not the path's id "${id}"`);
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) fields[k] = cellText(v);
  fields.id = id;
  const raw = JSON.stringify(body);
  const rows: SourceRow[] = [{ line: 1, raw, fields, bytes: raw.length }];
  let rejected: { column: string; reason: string } | undefined;
  const c = await importCustomerRows(d.store, rows, {
    source: 'api',
    mapping: emptyMapping,
    rejects: { append: () => undefined, size: () => 0, truncate: () => undefined },
    resume: false,
    keepMarker: false,
    now: d.clock.now(),
    onRejected: (r) => (rejected = r),
    onUpdated: (changes) => tellHost(d, changes),
  });
  if (rejected !== undefined) throw new KairosError('invalid', `field "body.${rejected.column}": ${rejected.reason}`, { details: { column: rejected.column, reason: rejected.reason } });
  return c.created > 0 ? 'created' : c.updated > 0 ? 'updated' : 'unchanged';
}

export function customerImportRoutes(d: CustomerImportDeps): Route[] {
  return [
    route(
      importCustomersOperation,
      async ({ body, call }) => {
        const started = performance.now();
        const rejects: Array<{ line: number; column: string; reason: string; raw: string }> = [];
        const progress: number[] = [];
        const c: ImportCounts = await importCustomerRows(d.store, readRows(Readable.from([body]), 'ndjson'), {
          source: 'api',
          mapping: emptyMapping,
          rejects: { append: () => undefined, size: () => 0, truncate: () => undefined },
          resume: false,
          keepMarker: false,
          now: d.clock.now(),
          onProgress: ({ rows }) => progress.push(rows),
          onRejected: (r) => rejects.push(r),
          onUpdated: (changes) => tellHost(d, changes),
        });
        const reply = { rows: c.rows, created: c.created, updated: c.updated, unchanged: c.unchanged, rejected: c.rejected };
        await audit(d, call, 'customers.import', 'customers', undefined, reply);
        return { status: 200, body: { ...reply, rejects, progress, summary: summaryLine(c, (performance.now() - started) / 1000) } };
      },
      { 'application/x-ndjson': (text) => text },
    ),
    route(putCustomerOperation, async ({ params: { id }, body, call }) => {
      const outcome = await applyOne(d, id, body);
      await audit(d, call, 'customer.put', id, undefined, { outcome, fields: Object.keys(body).sort() });
      return { status: 200, body: { id, outcome } };
    }),
    route(patchCustomerOperation, async ({ params: { id }, body, call }) => {
      if (!(await d.store.hasCustomer(id))) throw new KairosError('unknown_customer', `no customer "${id}"`);
      const outcome = await applyOne(d, id, body);
      await audit(d, call, 'customer.patch', id, undefined, { outcome, fields: Object.keys(body).sort() });
      return { status: 200, body: { id, outcome } };
    }),
  ];
}
