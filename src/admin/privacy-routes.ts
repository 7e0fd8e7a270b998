import { Type } from '@sinclair/typebox';
import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { CustomerHost } from '../runtime/customer-host.js';
import { StopEntrySchema } from '../schema/http/admin-schemas.js';
import { route } from '../schema/http/bind-route.js';
import { EpochMs, PathId } from '../schema/http/common-schemas.js';
import { CustomerSchema } from '../schema/http/customer-schemas.js';
import { operation } from '../schema/http/operation.js';
import type { IdentityConflictRecord } from '../runtime/identity-conflicts.js';
import { IdentityConflictSchema } from '../schema/http/identity-schemas.js';
import type { StopKind } from '../store/store.js';
import type { StopList } from '../stop-list.js';
import type { Route } from '../transport/http.js';

/**
 * The subject-access export (152-FZ art. 14, role privacy): everything Kairos holds about a
 * customer in one document: the card (profile, identifiers, consents, segments, features,
 * contacts, open offers, responses, the last decision), the stop-list entries that
 * apply to the customer's id or identifiers, and the identity conflicts naming the customer.
 */

export const ExportReply = Type.Object(
  {
    customer: CustomerSchema,
    stopList: Type.Array(StopEntrySchema, { description: "the stop-list entries on the customer's id or identifiers" }),
    identityConflicts: Type.Array(IdentityConflictSchema, { description: 'the identity conflicts naming the customer, as holder or claimant (identifier masked and hashed)' }),
    exportedAt: EpochMs('when the export was made, on the server clock'),
    basis: Type.String({ description: 'the legal basis of the export' }),
  },
  { $id: 'CustomerExport', additionalProperties: false },
);

export const exportCustomerOperation = operation({
  operationId: 'exportCustomer',
  method: 'get',
  path: '/v1/customers/:id/export',
  summary: 'Everything held about a customer, for a subject-access request (152-FZ art. 14)',
  tag: 'customers',
  auth: 'admin',
  roles: ['privacy'],
  params: Type.Object({ id: PathId('the customer id') }),
  responses: { 200: { description: 'the export', schema: ExportReply, headers: { 'Content-Disposition': { description: 'attachment; filename="customer-<id>.json"', schema: Type.String() } } } },
  errors: ['unknown_customer'],
});

export const privacyOperations = [exportCustomerOperation] as const;

export function privacyRoutes(d: { host: Pick<CustomerHost, 'view'>; stopList: StopList; clock: Clock; conflictsOf: (id: string) => Promise<IdentityConflictRecord[]> }): Route[] {
  return [
    route(exportCustomerOperation, async ({ params: { id } }) => {
      const customer = await d.host.view(id);
      if (customer === undefined) throw new KairosError('unknown_customer', `no customer "${id}"`);
      const keys = new Set<string>();
      const add = (kind: StopKind, value: string): void => {
        const key = d.stopList.keyOf(kind, value);
        if (key !== undefined) keys.add(key);
      };
      add('customer', id);
      for (const [kind, values] of Object.entries(customer.identifiers)) {
        if (kind === 'phone' || kind === 'email' || kind === 'card' || kind === 'cookie') for (const v of values) add(kind, v);
      }
      const body = { customer, stopList: d.stopList.list().filter((e) => keys.has(e.key)), identityConflicts: await d.conflictsOf(id), exportedAt: d.clock.now(), basis: '152-FZ art. 14: the subject\'s right of access' };
      return {
        raw: {
          status: 200,
          contentType: 'application/json',
          headers: { 'Content-Disposition': `attachment; filename="customer-${id.replace(/[^A-Za-z0-9._-]/g, '_')}.json"` },
          body: JSON.stringify(body),
        },
      };
    }),
  ];
}
