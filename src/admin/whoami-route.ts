import { Type } from '@sinclair/typebox';
import { KairosError } from '../errors.js';
import { route } from '../schema/http/bind-route.js';
import type { OperationSpec } from '../schema/http/operation.js';
import { operation, roleAllows } from '../schema/http/operation.js';
import type { Route } from '../transport/http.js';
import { isoDay } from '../runtime/funnel-ledger.js';
import { ROLES } from '../transport/principal.js';

/**
 * `GET /v1/whoami`: the calling key's name and role, and the operations that role may call
 * (their operationIds), so a client (the console, docs/console.md) shows what the key may do
 * and hides what it may not; and today's day by the server clock, for today's reports, and the bank's time zone (the policy's), for its times. Every admin-API role may ask; the server still checks each call.
 */

const WhoamiReply = Type.Object(
  {
    name: Type.String({ description: 'the key\'s name; a configured admin key is named by a hash label ("key:3f9a1c")' }),
    role: Type.Union(
      ROLES.map((r) => Type.Literal(r)),
      { description: 'the key\'s role (docs/security.md)' },
    ),
    operations: Type.Array(Type.String(), { description: 'the operationIds this key may call, in the document\'s order' }),
    today: Type.String({ description: "today by the server clock, in the policy's defaultTimezone (YYYY-MM-DD): the day the reports' from and to name" }),
    timeZone: Type.String({ description: "the policy's defaultTimezone (an IANA zone, such as Europe/Moscow): the bank's zone, in which a client shows its times" }),
  },
  { $id: 'Whoami', additionalProperties: false },
);

export const whoamiOperation = operation({
  operationId: 'whoami',
  method: 'get',
  path: '/v1/whoami',
  summary: "The calling key: its name, its role and the operations that role may call",
  tag: 'keys',
  auth: 'admin',
  roles: ['marketer', 'analyst', 'ops', 'qa', 'privacy', 'auditor'],
  responses: { 200: { description: 'the key', schema: WhoamiReply } },
  errors: [],
});

export interface WhoamiDeps {
  /** every operation the server declares (the OpenAPI document's list) */
  operations: () => readonly OperationSpec[];
  /** today's local day number by the server clock, in the policy's defaultTimezone */
  today: () => number;
  /** the policy's defaultTimezone */
  timeZone: () => string;
}

export function whoamiRoute({ operations, today, timeZone }: WhoamiDeps): Route {
  return route(whoamiOperation, ({ call }) => {
    const who = call.principal;
    if (who === undefined) throw new KairosError('unauthorized', 'an API key is required: Authorization: Bearer <key>');
    const allowed = operations().filter((op) => op.auth === 'admin' && roleAllows(op, who.role)).map((op) => op.operationId);
    return { status: 200, body: { name: who.name, role: who.role, operations: allowed, today: isoDay(today()), timeZone: timeZone() } };
  });
}
