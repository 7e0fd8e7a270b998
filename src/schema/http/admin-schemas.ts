import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { AnyMap, EpochMs } from './common-schemas.js';

/** The stop list, the clock, the server's status, and the service endpoints. */

/** What a stop-list value is. */
export const stopKinds = ['customer', 'phone', 'email', 'card', 'cookie'] as const;

export const StopKindSchema = Type.Union(
  stopKinds.map((k) => Type.Literal(k)),
  { description: 'what the value is' },
);

export type StopKind = Static<typeof StopKindSchema>;

/** An optional text field: absent, null, or a non-empty string. */
const OptionalText = (description: string) => Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()], { description }));

export const StopRequestSchema = Type.Object(
  {
    kind: StopKindSchema,
    value: Type.String({ minLength: 1, description: 'the customer id, phone, e-mail, card or cookie: normalised, then kept only as a hash' }),
    channel: OptionalText('only this channel (every channel when absent)'),
    campaign: OptionalText('only this campaign (every campaign when absent)'),
    reason: OptionalText('why, for people reading the list: kept with the entry as given, and in the audit entry with each e-mail address and phone-like run of 7 digits or more replaced by ***'),
  },
  { $id: 'StopRequest' },
);

export const StopEntrySchema = Type.Object(
  {
    key: Type.String({ description: 'hash of kind and normalised value: the value itself is not kept' }),
    kind: StopKindSchema,
    hint: Type.String({ description: 'a masked hint that does not make a guess cheap: +7 *** *** ** 67, i***@bank.example, **** 9012' }),
    channel: Type.Optional(Type.String()),
    campaign: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    at: EpochMs('when it was added'),
    by: Type.Optional(Type.String({ description: 'a label of the key that added it' })),
  },
  { $id: 'StopEntry' },
);

/** One entry of the stop list, as stored and as the admin API lists it. */
export type StopEntry = Static<typeof StopEntrySchema>;

export const StopListReply = Type.Object({ entries: Type.Array(StopEntrySchema) }, { $id: 'StopList' });

const ClockMode = Type.Union([Type.Literal('system'), Type.Literal('manual')]);

export const ClockReply = Type.Object({ mode: ClockMode, now: EpochMs('the clock reading') }, { $id: 'Clock' });

export const ClockMoveSchema = Type.Object(
  {
    now: Type.Optional(Type.Integer({ description: 'set the clock to this epoch ms (0 to 253402300799999)' })),
    advance: Type.Optional(Type.Integer({ description: 'move the clock forward by this many ms' })),
  },
  { $id: 'ClockMove', description: 'either now or advance' },
);

export const ClockMoveReply = Type.Object(
  { mode: ClockMode, now: EpochMs('the clock reading'), remindersFired: Type.Integer({ description: 'reminders delivered (and decided on) before the answer' }) },
  { $id: 'ClockMoved' },
);

export const StatusReply = Type.Object(
  {
    version: Type.String({ description: "the server's version" }),
    node: Type.String({ description: 'the Node.js version' }),
    uptimeSec: Type.Integer(),
    store: Type.String({ description: 'lmdb, memory or redis' }),
    clock: ClockMode,
    now: EpochMs('the clock reading'),
    catalogVersion: Type.Integer(),
    campaigns: Type.Array(Type.Object({ id: Type.String(), status: Type.String() })),
    hotActors: Type.Integer({ description: 'customers live in memory' }),
    dirtyActors: Type.Integer({ description: 'customers with changes not yet written' }),
    stopListEntries: Type.Integer(),
    stopListOldKeys: Type.Integer({ description: 'stop-list entries still under the unsalted SHA-256 key of a store written before the HMAC: no known identifier matched them at start (docs/privacy.md)' }),
    demo: Type.Boolean({ description: 'the demo bank is loaded' }),
    demoCredentials: Type.Boolean({ description: 'the demo credentials are accepted' }),
  },
  { $id: 'Status', description: 'version, uptime, store, clock, catalog and campaigns, live and dirty actors, stop-list size, demo flags' },
);

export type ServerStatus = Static<typeof StatusReply>;

export const HealthReply = Type.Object({ status: Type.Literal('ok') }, { $id: 'Health' });

export const ReadyReply = Type.Object(
  { status: Type.Union([Type.Literal('ready'), Type.Literal('not ready')]), reason: Type.Optional(Type.String({ description: 'why not: store unreachable, store commits are failing, draining (a stop under way: still serving)' })) },
  { $id: 'Ready' },
);

export const OpenApiReply = Type.Object(
  { openapi: Type.Literal('3.1.0'), info: AnyMap('title, version, description'), paths: AnyMap('the operations by path') },
  { $id: 'OpenApiDocument', additionalProperties: true, description: 'this document' },
);

export const AsyncApiReply = Type.Object(
  { asyncapi: Type.Literal('3.0.0'), info: AnyMap('title, version, description'), channels: AnyMap('the gateway channel'), operations: AnyMap('the frames each side sends') },
  { $id: 'AsyncApiDocument', additionalProperties: true, description: 'the gateway protocol as an AsyncAPI 3.0 document' },
);
