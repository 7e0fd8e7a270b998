import type { TSchema } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { GatewayEventSchema } from '../../../actors/index.js';
import { DecisionActionSchema } from '../wire/server-frames.js';
import { EpochMs } from './common-schemas.js';

/** The customer card, the dry-run explanation and the event fields an admin request describes. */

const opt = <T extends TSchema>(t: T) => Type.Optional(t);

export const ProfileSchema = Type.Object(
  {
    firstName: opt(Type.String()),
    patronymic: opt(Type.String()),
    lastName: opt(Type.String()),
    gender: opt(Type.Union([Type.Literal('m'), Type.Literal('f')])),
    age: opt(Type.Number()),
    job: opt(Type.String()),
    marital: opt(Type.String()),
    education: opt(Type.String()),
    creditDefault: opt(Type.Boolean({ description: 'has credit in default' })),
    balance: opt(Type.Number({ description: 'current-account balance, roubles' })),
    housingLoan: opt(Type.Boolean()),
    personalLoan: opt(Type.Boolean()),
    timezone: opt(Type.String({ description: "IANA time zone; the catalog's default when absent" })),
    city: opt(Type.String()),
  },
  { $id: 'Profile', description: "the customer's master data" },
);

export const ExplanationSchema = Type.Object(
  {
    campaign: Type.String(),
    verdict: Type.Union([Type.Literal('offered'), Type.Literal('suppressed'), Type.Literal('control')], { description: 'control: the customer is in the control group; the offer was recorded, not made' }),
    reason: Type.Optional(Type.String({ description: 'why it was suppressed: a stable reason code, detail after a colon (docs/admin-api.md)' })),
    group: Type.Optional(Type.String()),
    channel: Type.Optional(Type.String()),
    offer: Type.Optional(Type.String()),
    probability: Type.Optional(Type.Number({ description: 'the response probability used' })),
    model: Type.Optional(Type.Object({ probability: Type.Number(), weight: Type.Number() })),
  },
  { $id: 'Explanation', description: "one triggered campaign's verdict", additionalProperties: true },
);

/** An offer made on a channel: the wire's decision action (src/schema/wire/server-frames.ts), one schema for both. */
export const ActionSchema = { ...DecisionActionSchema, $id: 'Action' };

export const CustomerSchema = Type.Object(
  {
    id: Type.String(),
    stage: Type.String({ description: 'visitor, prospect, client, former, …' }),
    lifecycle: Type.Array(Type.Object({ stage: Type.String(), at: EpochMs(), reason: Type.String() }, { additionalProperties: true }), { description: 'every stage with when and why' }),
    profile: ProfileSchema,
    identifiers: Type.Record(Type.String(), Type.Array(Type.String()), { description: 'phone, email, card, cookie → values' }),
    consents: Type.Record(Type.String(), Type.Unknown(), { description: 'channel → granted, when, source' }),
    segments: Type.Record(Type.String(), EpochMs(), { description: 'segment → entered at' }),
    features: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()]), { description: 'feature → current window value' }),
    contacts: Type.Array(Type.Unknown(), { description: 'campaign, offer, channel, time, delivery status, outcome' }),
    pending: Type.Array(Type.Unknown(), { description: 'open offer instances with their expiry' }),
    responses: Type.Array(Type.Unknown(), { description: 'answers to offers' }),
    lastDecision: Type.Array(ExplanationSchema, { description: "the last decision's explanation since activation" }),
    createdAt: EpochMs(),
    lastEventAt: Type.Optional(EpochMs()),
  },
  { $id: 'Customer', description: "a customer's 360° card" },
);

export const EraseReply = Type.Object({ erased: Type.String({ description: 'the customer id' }), identifiers: Type.Integer({ description: 'identity links removed' }) }, { $id: 'Erased' });

/** The fields of an event an admin request describes (its `id` and `customer` come from the path). */
export const EventFieldsSchema = Type.Object(
  {
    type: GatewayEventSchema.properties.type,
    channel: GatewayEventSchema.properties.channel,
    at: GatewayEventSchema.properties.at,
    data: GatewayEventSchema.properties.data,
    location: GatewayEventSchema.properties.location,
  },
  { $id: 'EventFields', additionalProperties: true, description: 'an event as a gateway would send it, without id and customer; checked as a gateway event is' },
);

export const ExplainReply = Type.Object(
  {
    customer: Type.String(),
    at: EpochMs('the moment decided for'),
    actions: Type.Array(ActionSchema),
    explain: Type.Array(ExplanationSchema),
  },
  { $id: 'ExplainReply' },
);
