import type { Static, TSchema } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { ExplanationSchema, GatewayEventSchema, deferralStatuses, deliveryStatuses, lifecycleStages, suppressReasons } from '../../../actors/index.js';
import { DecisionActionSchema } from '../wire/server-frames.js';
import { AnyMap, EpochMs } from './common-schemas.js';

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
    birthDate: opt(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: "YYYY-MM-DD, from the bank's import: rules and templates read the age from it (docs/catalog.md)" })),
    attributes: opt(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
        description: "the bank's own columns, typed as the import stored them (a date as YYYY-MM-DD): profile.attributes.<name> in rules (docs/import.md)",
      }),
    ),
  },
  { $id: 'Profile', description: "the customer's master data" },
);

/** One triggered campaign's verdict: the brain's schema (actors/decision/explanation.ts), its type the brain's `Explanation`. */
export { ExplanationSchema };

const Arm = () => Type.Union([Type.Literal('model'), Type.Literal('random')], { description: 'which ranking chose it: the models, or the random control arm' });

const Vars = () => Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()]), { description: "the offer's computed variables (the credit amount, the rate)" });

export const LifecycleEntrySchema = Type.Object(
  { stage: Type.Union(lifecycleStages.map((s) => Type.Literal(s))), at: EpochMs(), reason: Type.String() },
  { additionalProperties: true, description: 'a stage the customer entered, when and why' },
);

export const ConsentSchema = Type.Object(
  { granted: Type.Boolean(), at: EpochMs(), source: Type.String({ description: "where it came from: the bank's import, an event type, an SMS reply" }) },
  { description: "the customer's word on marketing contact over one channel" },
);

export const ContactRecordSchema = Type.Object(
  {
    instance: Type.String(),
    campaign: Type.String(),
    offer: Type.String(),
    channel: Type.String(),
    at: EpochMs(),
    marketing: Type.Boolean({ description: 'true for marketing contacts (counted by caps); false for service messages' }),
    delivery: Type.Union(deliveryStatuses.map((d) => Type.Literal(d)), { description: 'shown: returned for the screen; queued: in the outbox; delivered, failed: as the channel confirmed; withheld; suppressed: cancelled at send time' }),
    suppressed: opt(Type.Union(suppressReasons.map((r) => Type.Literal(r)), { description: 'why it was cancelled at send time: stop_list, no_consent or expired' })),
    outcome: opt(Type.String({ description: 'the answer (accepted, declined, …), or expired when none came in time' })),
    control: opt(Type.Boolean({ description: 'a control-group customer: the offer was chosen but withheld' })),
    group: opt(Type.String({ description: 'the target group the customer was offered it as' })),
    arm: opt(Arm()),
    converted: opt(EpochMs('when a goal event of the campaign followed')),
    run: opt(Type.String({ description: 'the outbound run that made it (docs/outbound.md)' })),
  },
  { description: 'one contact Kairos made (or queued): what the contact policy counts' },
);

export const DeferralRecordSchema = Type.Object(
  {
    campaign: Type.String(),
    at: EpochMs('when the decision held it back'),
    status: Type.Union(deferralStatuses.map((d) => Type.Literal(d)), {
      description: 'deferred: waiting for retryAt; retried: decided again at its retry (outcome); expired: its offer would have closed first; superseded: a later deferral of the campaign replaced it',
    }),
    channels: Type.Array(Type.String(), { description: "the channels the customer's quiet hours blocked" }),
    reason: Type.Literal('quiet_hours'),
    trigger: Type.String({ description: 'the event type that triggered the campaign' }),
    retryAt: opt(EpochMs("while deferred: when it will be decided again (the customer's next allowed window)")),
    until: opt(EpochMs('the latest its offer may expire')),
    resolvedAt: opt(EpochMs('when it stopped waiting')),
    outcome: opt(Type.String({ description: 'with retried: offered, control, or the reason it was suppressed at its retry' })),
  },
  { description: 'a message quiet hours held back, and what became of it' },
);

export const OfferInstanceSchema = Type.Object(
  {
    instance: Type.String(),
    campaign: Type.String(),
    offer: Type.String(),
    channel: Type.String(),
    at: EpochMs(),
    expiresAt: EpochMs('when the offer lapses'),
    group: opt(Type.String({ description: 'the target group the customer was offered it as' })),
    vars: Vars(),
    x: opt(Type.Array(Type.Number(), { description: "the hashed features the offer's model scored" })),
    p: opt(Type.Number({ description: 'the response probability the decision used' })),
    arm: opt(Arm()),
  },
  { description: "a live offer instance awaiting the customer's answer" },
);

export const ResponseRecordSchema = Type.Object(
  {
    id: Type.String({ description: 'the request id of the response' }),
    instance: Type.String(),
    campaign: Type.String(),
    offer: Type.String(),
    outcome: Type.String(),
    at: EpochMs(),
    data: opt(AnyMap('scalars only, bounded')),
    count: opt(Type.Integer({ description: 'how many responses gave this outcome to this instance (absent: one)' })),
  },
  { description: 'an answer to an offer' },
);

/** An offer made on a channel: the wire's decision action (src/schema/wire/server-frames.ts), one schema for both. */
export const ActionSchema = { ...DecisionActionSchema, $id: 'Action' };

export const CustomerSchema = Type.Object(
  {
    id: Type.String(),
    stage: Type.Union(lifecycleStages.map((st) => Type.Literal(st)), { description: 'where the customer stands with the bank' }),
    lifecycle: Type.Array(LifecycleEntrySchema, { description: 'every stage with when and why' }),
    profile: ProfileSchema,
    identifiers: Type.Record(Type.String(), Type.Array(Type.String()), { description: 'phone, email, card, cookie → values' }),
    consents: Type.Record(Type.String(), ConsentSchema, { description: 'channel → granted, when, source' }),
    segments: Type.Record(Type.String(), EpochMs(), { description: 'segment → entered at: the memberships as of now (time alone can end or begin one: docs/runtime.md "Memberships that time moves")' }),
    nextSegmentCheck: Type.Optional(EpochMs('when the segment timer fires: the next moment a membership can change with no event')),
    features: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()]), { description: 'feature → current window value; null: a daysSince feature with nothing in its window' }),
    contacts: Type.Array(ContactRecordSchema, { description: 'campaign, offer, channel, time, delivery status, outcome' }),
    pending: Type.Array(OfferInstanceSchema, { description: 'open offer instances with their expiry' }),
    deferrals: Type.Array(DeferralRecordSchema, { description: 'messages quiet hours held back for the next window, and what became of them (the latest 50)' }),
    responses: Type.Array(ResponseRecordSchema, { description: 'answers to offers' }),
    leads: Type.Record(Type.String(), EpochMs(), {
      description: "campaign → when the customer became a warm lead of it (a call's outcome at or above its waves.warmLeads.threshold: docs/outbound.md#call-centre-waves; the latest 32); {} for none",
    }),
    lastDecision: Type.Array(ExplanationSchema, { description: "the last decision's explanation since activation" }),
    createdAt: EpochMs(),
    lastEventAt: Type.Optional(EpochMs()),
  },
  { $id: 'Customer', description: "a customer's 360° card" },
);

/** A customer's 360° card, as the admin API answers it (src/runtime/customer-queries.ts builds it). */
export type CustomerView = Static<typeof CustomerSchema>;

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
