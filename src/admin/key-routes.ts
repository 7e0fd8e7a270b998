import { Type } from '@sinclair/typebox';
import { auditDraft } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { SCOPE_CHANNELS } from '../config.js';
import type { Logger } from '../logger.js';
import { route } from '../schema/http/bind-route.js';
import { EpochMs } from '../schema/http/common-schemas.js';
import { operation } from '../schema/http/operation.js';
import type { HttpCall, Route } from '../transport/http.js';
import type { KeyAudit, KeyRing } from '../transport/key-ring.js';
import { ROLES } from '../transport/principal.js';

/**
 * `/v1/keys` (role admin): named API keys, each with one role. A key's secret is made by the
 * server and shown once, in the reply that creates or rotates it; the store keeps its
 * SHA-256 only. Rotating or revoking takes effect for every request after the reply, on
 * every node sharing the store (src/transport/key-ring.ts; docs/security.md).
 */

const RoleSchema = Type.Union(
  ROLES.map((r) => Type.Literal(r)),
  { description: 'the role: what the key may call (docs/security.md)' },
);
const KeyName = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$', patternMessage: 'lower-case letters, digits, ".", "_" and "-", at most 63', description: 'the key\'s name ("crm-batch", "ivanova")' });

const ChannelName = Type.Union(
  [...SCOPE_CHANNELS].map((c) => Type.Literal(c)),
  { description: 'a delivery channel (or backoffice), as in a configured gateway token\'s scope' },
);
const ScopeGiven = Type.Array(ChannelName, {
  maxItems: 64,
  description:
    'a gateway key\'s channel scope: the delivery channels it may subscribe to and confirm ([]: none, events and responses only), as a configured token\'s `token:sms+email`; absent: every channel (warned about at each start)',
});
const ScopeShown = Type.Union([Type.Array(Type.String()), Type.Literal('*')], {
  description: 'a gateway key\'s channel scope: the channels it may subscribe to and confirm ([]: none), or "*" for every channel (unscoped); absent for other roles',
});

const KeyInfoSchema = Type.Object(
  {
    name: Type.String({ description: 'the key\'s name; a configured admin key or gateway token is named by a hash label ("key:3f9a1c")' }),
    role: RoleSchema,
    source: Type.Union([Type.Literal('config'), Type.Literal('api')], { description: 'config: from KAIROS_ADMIN_KEYS, KAIROS_GATEWAY_TOKENS or KAIROS_KEYS (change it there); api: made through /v1/keys' }),
    createdAt: Type.Optional(EpochMs('when it was made')),
    rotatedAt: Type.Optional(EpochMs('when its secret was last replaced')),
    channels: Type.Optional(ScopeShown),
  },
  { $id: 'KeyInfo', additionalProperties: false },
);
const KeyListReply = Type.Object({ keys: Type.Array(KeyInfoSchema) }, { additionalProperties: false });
const KeySecretReply = Type.Object(
  {
    name: Type.String(),
    role: RoleSchema,
    secret: Type.String({ description: 'the secret, shown this once: send it as Authorization: Bearer <secret>' }),
    channels: Type.Optional(ScopeShown),
  },
  { $id: 'KeySecret', additionalProperties: false },
);
const KeyCreateSchema = Type.Object({ name: KeyName, role: RoleSchema, channels: Type.Optional(ScopeGiven) }, { additionalProperties: false });
const RevokeReply = Type.Object({ name: Type.String(), role: RoleSchema, revoked: Type.Literal(true) }, { additionalProperties: false });
const keyParam = Type.Object({
  name: Type.String({ pattern: '^(key:[0-9a-f]{6}|[a-z0-9][a-z0-9._-]{0,62})$', patternMessage: 'a key name, or a configured key\'s hash label', description: 'the key\'s name' }),
});

export const listKeysOperation = operation({
  operationId: 'listKeys',
  method: 'get',
  path: '/v1/keys',
  summary: 'Every key: name, role, where it comes from (never a secret)',
  tag: 'keys',
  auth: 'admin',
  roles: ['admin'],
  responses: { 200: { description: 'the keys', schema: KeyListReply } },
  errors: [],
});

export const createKeyOperation = operation({
  operationId: 'createKey',
  method: 'post',
  path: '/v1/keys',
  summary: 'Make a named key with a role (a gateway key with its channel scope); its secret is in the reply, once',
  tag: 'keys',
  auth: 'admin',
  roles: ['admin'],
  body: { schema: KeyCreateSchema, media: ['application/json'] },
  responses: { 201: { description: 'the key and its secret', schema: KeySecretReply } },
  errors: ['conflict'],
});

export const rotateKeyOperation = operation({
  operationId: 'rotateKey',
  method: 'post',
  path: '/v1/keys/:name/rotate',
  summary: 'Replace a key\'s secret: the old one is refused from this reply on',
  tag: 'keys',
  auth: 'admin',
  roles: ['admin'],
  params: keyParam,
  responses: { 200: { description: 'the key and its new secret', schema: KeySecretReply } },
  errors: ['not_found', 'conflict'],
});

const KeyRoleSchema = Type.Object(
  {
    role: RoleSchema,
    channels: Type.Optional(
      Type.Array(ChannelName, { maxItems: 64, description: "a gateway key's new channel scope; absent: a gateway key that stays one keeps its scope, a key made a gateway key has none (every channel)" }),
    ),
  },
  { additionalProperties: false },
);
const KeyRoleReply = Type.Object({ name: Type.String(), role: RoleSchema, channels: Type.Optional(ScopeShown) }, { additionalProperties: false });

export const changeKeyRoleOperation = operation({
  operationId: 'changeKeyRole',
  method: 'put',
  path: '/v1/keys/:name/role',
  summary: "Give a key another role (or a gateway key another channel scope): its calls are checked against it from this reply on, on every node (a gateway key's WebSocket connections close)",
  tag: 'keys',
  auth: 'admin',
  roles: ['admin'],
  params: keyParam,
  body: { schema: KeyRoleSchema, media: ['application/json'] },
  responses: { 200: { description: 'the key with its new role', schema: KeyRoleReply } },
  errors: ['invalid', 'not_found', 'conflict'],
});

export const revokeKeyOperation = operation({
  operationId: 'revokeKey',
  method: 'delete',
  path: '/v1/keys/:name',
  summary: 'Revoke a key: refused from this reply on, on every node',
  tag: 'keys',
  auth: 'admin',
  roles: ['admin'],
  params: keyParam,
  responses: { 200: { description: 'revoked', schema: RevokeReply } },
  errors: ['not_found', 'conflict'],
});

export const keyOperations = [listKeysOperation, createKeyOperation, rotateKeyOperation, changeKeyRoleOperation, revokeKeyOperation] as const;

export function keyRoutes(deps: { keys: KeyRing; logger: Logger; clock: Clock }): Route[] {
  const { keys, clock } = deps;
  /** The key change's audit entry, written with it (who: the calling key). */
  const audited =
    (call: HttpCall, action: string, name: string): KeyAudit =>
    (before, after) =>
      auditDraft(call, clock.now(), action, `key:${name}`, before, after);
  return [
    route(listKeysOperation, async () => ({ status: 200, body: { keys: await keys.list() } })),
    route(createKeyOperation, async ({ body, call }) => {
      const made = await keys.create(body.name, body.role, audited(call, 'key.create', body.name), body.channels);
      return { status: 201, body: made };
    }),
    route(rotateKeyOperation, async ({ params, call }) => {
      const made = await keys.rotate(params.name, audited(call, 'key.rotate', params.name));
      return { status: 200, body: made };
    }),
    route(changeKeyRoleOperation, async ({ params, body, call }) => {
      const changed = await keys.changeRole(params.name, body.role, audited(call, 'key.role', params.name), body.channels);
      return { status: 200, body: changed };
    }),
    route(revokeKeyOperation, async ({ params, call }) => {
      const gone = await keys.revoke(params.name, audited(call, 'key.revoke', params.name));
      return { status: 200, body: { ...gone, revoked: true as const } };
    }),
  ];
}
