import { Type } from '@sinclair/typebox';
import { auditDraft } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { CustomerHost } from '../runtime/customer-host.js';
import { mergeAudit } from '../runtime/customer-merge.js';
import { route } from '../schema/http/bind-route.js';
import { PathId } from '../schema/http/common-schemas.js';
import { IdentityConflictSchema, IdentityConflictsQuery, IdentityConflictsReply, MergeReply, MergeRequest } from '../schema/http/identity-schemas.js';
import { operation } from '../schema/http/operation.js';
import type { Route } from '../transport/http.js';

/**
 * Identity: the conflicts identity resolution recorded (an identifier an event named for one
 * customer while it is linked to another, never relinked; docs/identity.md), for review.
 */
export interface IdentityRouteDeps {
  host: CustomerHost;
  clock: Clock;
}

export const listIdentityConflictsOperation = operation({
  operationId: 'listIdentityConflicts',
  method: 'get',
  path: '/v1/identity/conflicts',
  summary: 'Identity conflicts: identifiers events named for one customer while linked to another (not relinked), one per identifier and pair, in id order',
  tag: 'customers',
  auth: 'admin',
  roles: ['privacy'],
  query: IdentityConflictsQuery,
  responses: { 200: { description: 'at most limit conflicts after the cursor, and next when more may follow', schema: IdentityConflictsReply } },
  errors: ['invalid'],
});

export const dismissIdentityConflictOperation = operation({
  operationId: 'dismissIdentityConflict',
  method: 'post',
  path: '/v1/identity/conflicts/:id/dismiss',
  summary: 'Mark an identity conflict reviewed: the identifier stays with its holder (dismissing again answers the same)',
  tag: 'customers',
  auth: 'admin',
  roles: ['privacy'],
  params: Type.Object({ id: PathId("the conflict's id") }),
  responses: { 200: { description: 'the conflict, dismissed', schema: IdentityConflictSchema } },
  errors: ['not_found'],
});

/** Intended roles: privacy and admin (the roles helper wires `roles`). */
export const mergeCustomersOperation = operation({
  operationId: 'mergeCustomers',
  method: 'post',
  path: '/v1/customers/:id/merge',
  summary: "Merge two profiles of one person: from's history joins the customer id (the survivor), from forwards to it",
  description: 'Survivorship rules per field in docs/identity.md. Atomic in the store. Merging a customer into itself is 400, an unknown id 404, an id already merged away 409.',
  tag: 'customers',
  auth: 'admin',
  roles: ['privacy'],
  params: Type.Object({ id: PathId('the survivor') }),
  body: { schema: MergeRequest, media: ['application/json'] },
  responses: { 200: { description: 'merged: what changed, for the audit trail', schema: MergeReply } },
  errors: ['invalid', 'unknown_customer', 'conflict'],
});

export const identityOperations = [listIdentityConflictsOperation, dismissIdentityConflictOperation, mergeCustomersOperation] as const;

export function identityRoutes(d: IdentityRouteDeps): Route[] {
  return [
    route(listIdentityConflictsOperation, async ({ query }) => ({ status: 200, body: await d.host.identityConflicts.list(query.limit ?? 100, query.cursor, query.status) })),
    route(mergeCustomersOperation, async ({ params: { id }, body, call }) => ({
      status: 200,
      body: await d.host.merge(id, body.from, (m) => mergeAudit(auditDraft(call, d.clock.now(), 'customer.merge', `customer:${m.into}`), m)),
    })),
    route(dismissIdentityConflictOperation, async ({ params: { id }, call }) => ({
      status: 200,
      body: await d.host.identityConflicts.dismiss(id, (before, after) => auditDraft(call, d.clock.now(), 'identity-conflict.dismiss', `identity-conflict:${id}`, { status: before.status }, { status: after.status })),
    })),
  ];
}
