import type { Static, TOptional, TSchema } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { Condition } from '../condition.js';
import type { Channel } from './channels.js';
import { channels } from './channels.js';
import { featureAggregates } from './feature-window.js';

/**
 * The catalog's authoring format, declared once: what a YAML catalog file and the admin
 * catalog API accept. The TypeScript types below come from these schemas (`Static`), the
 * structural check (`checkDefinition`) runs them compiled, and `schemas/catalog.schema.json`
 * (editor completion for marketers) is generated from them. What a schema cannot say
 * (references between definitions, rule trees, template variables, one field given with
 * another) is checked by the compilers after it.
 *
 * `errorMessage` on a schema is the problem a check reports for the field (the path is
 * added); `additionalMessage`, the problem for a field the schema does not know.
 */

const ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';
const DURATION_PATTERN = '^\\d+(ms|s|m|h|d)$';
const CLOCK_PATTERN = '^([01]\\d|2[0-3]):([0-5]\\d)$';
const CHANNEL_LIST = channels.join(', ');

const id = (description: string): TSchemaString =>
  Type.String({ pattern: ID_PATTERN, description, errorMessage: 'must be an id: lowercase letters, digits, "-" and "_", up to 64' });
const text = (description: string): TSchemaString => Type.String({ pattern: '\\S', description, errorMessage: 'must be non-empty text' });
const prose = (description: string): TSchemaString => Type.String({ description, errorMessage: 'must be text' });
const num = (minimum: number, maximum: number, description: string): ReturnType<typeof Type.Number> =>
  Type.Number({ minimum, maximum, description, errorMessage: `must be a number from ${minimum} to ${maximum}` });
const flag = (description: string): ReturnType<typeof Type.Boolean> => Type.Boolean({ description, errorMessage: 'must be true or false' });
const duration = (description: string): TSchemaString =>
  Type.String({ pattern: DURATION_PATTERN, description, errorMessage: 'must be a duration such as "30m", "24h" or "7d"' });
const clock = (description: string): TSchemaString => Type.String({ pattern: CLOCK_PATTERN, description, errorMessage: 'must be "HH:MM"' });
const list = <T extends TSchema>(items: T, description: string): ReturnType<typeof Type.Array<T>> => Type.Array(items, { description, errorMessage: 'must be a list' });
const texts = (description: string): ReturnType<typeof Type.Array<TSchemaString>> => list(text('an event type, e.g. "card.transaction"'), description);
type TSchemaString = ReturnType<typeof Type.String>;

/** A rule over the customer (and the event): `{attr, op, value}`, or `all`, `any`, `not` of rules. Checked by the rule compiler. */
const rule = (description: string): ReturnType<typeof Type.Unsafe<Condition>> =>
  Type.Unsafe<Condition>(Type.Unknown({ description: `${description}. A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule}` }));

export const ChannelSchema = Type.Union(
  channels.map((c) => Type.Literal(c)),
  { description: `a channel: ${CHANNEL_LIST}`, errorMessage: `unknown channel (known: ${CHANNEL_LIST})` },
);
const channel = (description: string): typeof ChannelSchema => Type.Union(ChannelSchema.anyOf, { ...optionsOf(ChannelSchema), description });
const channelList = (description: string): ReturnType<typeof Type.Array<typeof ChannelSchema>> => list(channel('a channel'), description);

/** The options of a schema (its description, messages), without its type. */
function optionsOf(schema: { description?: string; errorMessage?: string }): { description?: string; errorMessage?: string } {
  const out: { description?: string; errorMessage?: string } = {};
  if (schema.description !== undefined) out.description = schema.description;
  if (schema.errorMessage !== undefined) out.errorMessage = schema.errorMessage;
  return out;
}

/** A map from channel names to `value`: only channels are keys. */
function byChannel<T extends TSchema>(value: (channel: Channel) => T, description: string, errorMessage: string) {
  const props = Object.fromEntries(channels.map((c) => [c, Type.Optional(value(c))])) as unknown as { [K in Channel]: TOptional<T> };
  return Type.Object(props, { additionalProperties: false, description, errorMessage, additionalMessage: `unknown channel (known: ${CHANNEL_LIST})` });
}

/** Hours in the customer's local time, "HH:MM" to "HH:MM" (end exclusive; an end before the start wraps midnight). */
export const HoursDefSchema = Type.Object(
  { from: clock('the first minute, "HH:MM"'), to: clock('the minute it ends, "HH:MM" (exclusive)') },
  { additionalProperties: false, description: 'hours in the customer\'s local time, "HH:MM" to "HH:MM"', errorMessage: 'must be {from: "HH:MM", to: "HH:MM"}' },
);

export const FeatureDefSchema = Type.Object(
  {
    id: id('the feature\'s id, read in rules as feature.<id>'),
    description: Type.Optional(prose('what it counts, for people')),
    events: texts('event types that feed it'),
    where: Type.Optional(rule('only events matching this rule count (event attributes allowed)')),
    aggregate: Type.Union(
      featureAggregates.map((a) => Type.Literal(a)),
      {
        description: '`count` events; `sum`, `min` or `max` of `field`; `days` with an event; or `daysSince` the last one (min, max and daysSince are missing when the window holds nothing)',
        errorMessage: `must be one of ${featureAggregates.join(', ')}`,
      },
    ),
    field: Type.Optional(prose('for sum, min and max: the event field to read, e.g. "event.data.amount"')),
    windowDays: Type.Optional(num(1, 400, 'the last N local days (or give `calendar`)')),
    calendar: Type.Optional(
      Type.Union([Type.Literal('thisMonth'), Type.Literal('lastMonth')], {
        description: 'this calendar month so far, or the whole month before (instead of windowDays)',
        errorMessage: 'must be "thisMonth" or "lastMonth"',
      }),
    ),
  },
  { additionalProperties: false, description: 'a windowed aggregate of the customer\'s events: "3 cafe payments in 30 days"', errorMessage: 'must be a feature definition' },
);

export const ScoreDefSchema = Type.Object(
  {
    id: id('the score\'s id, read in rules as score.<id>'),
    description: Type.Optional(prose('what it scores, for people')),
    terms: list(
      Type.Object(
        {
          feature: text('a feature id'),
          weight: num(-1e6, 1e6, 'the weight of the feature'),
          cap: Type.Optional(num(0, 1e12, 'the feature counts up to this value')),
        },
        { additionalProperties: false, description: 'weight x min(feature, cap)', errorMessage: 'must be {feature, weight, cap?}' },
      ),
      'the terms summed',
    ),
  },
  { additionalProperties: false, description: 'a weighted score over features: sum of weight x min(feature, cap); a lead score, say', errorMessage: 'must be {id, terms}' },
);

export const SegmentDefSchema = Type.Object(
  {
    id: id('the segment\'s id, read in rules as segment.<id>'),
    name: text('its name, for people'),
    description: Type.Optional(prose('who it is, for people')),
    rule: Type.Optional(rule('who is in by rule')),
    members: Type.Optional(list(text('a customer id'), 'who is in by name: customer ids put in by hand')),
  },
  { additionalProperties: false, description: 'a group of customers, by rule, by name, or both', errorMessage: 'must be {id, name, rule} or {id, name, members}' },
);

export const ButtonDefSchema = Type.Object(
  { id: id('the button\'s id, sent back in the response'), label: text('the button\'s text') },
  { additionalProperties: false, description: 'a button on a screen or a push', errorMessage: 'must be {id, label}' },
);

export const TemplateDefSchema = Type.Object(
  {
    title: Type.Optional(prose('screens and push: the title')),
    text: Type.Optional(prose('the message: SMS, e-mail, screen and push text')),
    subject: Type.Optional(prose('e-mail: the subject')),
    html: Type.Optional(prose('e-mail: the HTML body (the text as paragraphs when absent)')),
    script: Type.Optional(prose('call centre and branch: what the operator says')),
    buttons: Type.Optional(list(ButtonDefSchema, 'screens and push: the buttons')),
  },
  {
    additionalProperties: false,
    description: 'an offer\'s message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script',
    errorMessage: 'must be a template: {title, text, subject, html, script, buttons}',
    additionalMessage: 'a template has title, text, subject, html, script and buttons',
  },
);

const modelInput = (description: string): TSchemaString =>
  Type.String({ minLength: 1, description, errorMessage: 'must be a model input: stage, age, …, data.<key>, cal.month, history.contacts, or a feature id' });

/** What an offer's (or a campaign's) adaptive model leaves out, bins differently and crosses (docs/learning.md). */
export const ModelDefSchema = Type.Object(
  {
    ignore: Type.Optional(list(modelInput('an input, or a family: "data.*", "cal.*", "history.*"'), 'inputs the model does not read (data.requestId, cal.day)')),
    bins: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Union(
          [
            Type.Literal('log2'),
            Type.Literal('category'),
            Type.Array(Type.Number(), { minItems: 1, maxItems: 32, description: 'rising steps: below the first, then at or above each' }),
          ],
          { errorMessage: 'must be "log2", "category" or rising steps' },
        ),
        { description: 'an input binned otherwise than by default: "log2" (powers of two), "category" (each value its own), or steps [1000, 5000, 20000]', errorMessage: 'must map inputs to binnings' },
      ),
    ),
    crosses: Type.Optional(
      list(list(modelInput('an input'), 'two or three inputs crossed: one feature per combination of their values'), 'crosses, e.g. [[data.contact, cal.month]]'),
    ),
  },
  {
    additionalProperties: false,
    description: 'what the adaptive model reads besides its defaults: inputs to ignore, binnings, crosses',
    errorMessage: 'must be {ignore?, bins?, crosses?}',
  },
);

export const OfferDefSchema = Type.Object(
  {
    id: id('the offer\'s id'),
    name: text('its name, for people and templates (offer.name)'),
    description: Type.Optional(prose('what it is, for people')),
    value: num(0, 1e12, 'what the offer is worth to the bank if accepted, roubles: a ranking weight'),
    params: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()], { errorMessage: 'must be text or a number' }), {
        description: 'fixed fields templates can use as offer.<name> (rate, term, product name)',
        errorMessage: 'must be a map of names to text or numbers',
      }),
    ),
    templates: byChannel(() => TemplateDefSchema, 'one template per channel the offer can go to', 'must hold at least one channel template'),
    replies: Type.Optional(
      Type.Record(Type.String(), text('the outcome'), { description: 'two-way SMS: a reply text (case-insensitive, trimmed) and the outcome it means', errorMessage: 'must map reply texts to outcomes' }),
    ),
    buttonOutcomes: Type.Optional(
      Type.Record(Type.String(), text('the outcome'), { description: 'buttons on screens: button id -> the outcome a response naming the button means (accept: accepted); each a button of the offer\'s templates; a button not mapped is its own id as the outcome', errorMessage: 'must map button ids to outcomes' }),
    ),
    onAccept: Type.Optional(
      Type.Object({ action: id('the back-office action') }, { additionalProperties: false, description: 'a back-office action queued when the customer accepts (issue the credit)', errorMessage: 'must be {action}' }),
    ),
    group: Type.Optional(id('the product family ("deposits"): repeated declines can pause the whole family')),
    lever: Type.Optional(num(0, 1000, 'a business lever on the ranking (push this product this quarter), 1 by default')),
    eligibility: Type.Optional(rule('stage filter before ranking: who may have it at all (age, residency, no default)')),
    applicability: Type.Optional(rule('stage filter: whether it is relevant to the customer now (not already held)')),
    suitability: Type.Optional(rule('stage filter: whether it is appropriate for the customer (affordability, risk appetite)')),
    model: Type.Optional(ModelDefSchema),
  },
  { additionalProperties: false, description: 'what the bank offers, with its message per channel', errorMessage: 'must be an offer definition' },
);

export const VarDefSchema = Type.Object(
  {
    from: prose('a number from the event or profile, e.g. "event.data.requested"'),
    minus: Type.Optional(prose('subtract another attribute')),
    roundUpTo: Type.Optional(num(1e-9, 1e12, 'round up to a multiple of this (credit in whole hundreds)')),
    tiers: Type.Optional(
      list(
        Type.Tuple([Type.Number({ description: 'threshold' }), Type.Number({ description: 'value' })], { errorMessage: 'must be [threshold, value]' }),
        'map the number onto steps: the value of the highest step whose threshold it reaches',
      ),
    ),
  },
  { additionalProperties: false, description: 'a campaign variable, read in rules and templates as vars.<name>', errorMessage: 'must be {from, minus?, roundUpTo?, tiers?}' },
);

export const GroupDefSchema = Type.Object(
  {
    id: id('the target group\'s id'),
    name: Type.Optional(prose('its name, for people')),
    when: rule('who is in the group'),
    responsePercent: num(0, 100, 'the marketer\'s estimate of the response probability in this group, percent (10 = 10 %)'),
  },
  { additionalProperties: false, description: 'a target group: who, and how likely they answer', errorMessage: 'must be {id, when, responsePercent}' },
);

export const TriggerDefSchema = Type.Object(
  {
    events: Type.Optional(texts('event types that trigger the campaign (segment.entered.<id> and segment.exited.<id> too)')),
    passive: Type.Optional(flag('offered whenever the customer is in a session on one of the campaign\'s inbound channels')),
    when: Type.Optional(rule('a rule over the event, the customer and the campaign\'s variables')),
    localTime: Type.Optional(Type.Object(HoursDefSchema.properties, { ...hoursOptions(), description: 'local time window in the customer\'s time zone, "HH:MM" to "HH:MM" (end exclusive)' })),
    weekdays: Type.Optional(list(num(1, 7, 'an ISO weekday'), 'ISO weekdays, 1 = Monday .. 7 = Sunday')),
    channels: Type.Optional(list(text('an event channel'), 'event channels the trigger accepts')),
    near: Type.Optional(
      Type.Object(
        { partners: text('the kind of partner'), radiusM: num(1, 100_000, 'the radius, metres') },
        { additionalProperties: false, description: 'a partner of this kind within the radius of the event\'s place', errorMessage: 'must be {partners, radiusM}' },
      ),
    ),
  },
  { additionalProperties: false, description: 'when the campaign speaks: {events} or {passive: true}, and conditions', errorMessage: 'must be a trigger: {events} or {passive: true}' },
);

function hoursOptions(): { additionalProperties: false; errorMessage: string } {
  return { additionalProperties: false, errorMessage: 'must be {from: "HH:MM", to: "HH:MM"}' };
}

export const RecencyDefSchema = Type.Object(
  {
    sameOfferDays: num(0, 3650, 'not the same offer within this many days'),
    sameCampaignDays: num(0, 3650, 'not the same campaign within this many days'),
    afterDeclineDays: num(0, 3650, 'a pause after the customer declined the offer'),
  },
  { additionalProperties: false, description: 'not the same thing again too soon; days, 0 turns a rule off', errorMessage: 'must be {sameOfferDays, sameCampaignDays, afterDeclineDays}' },
);

export const SuppressionDefSchema = Type.Object(
  {
    declines: num(1, 1000, 'declines that pause the offer'),
    withinDays: num(1, 3650, 'counted within this many days'),
    pauseDays: num(0, 3650, 'the pause, days from the last decline'),
    scope: Type.Optional(
      Type.Union([Type.Literal('offer'), Type.Literal('group')], {
        description: '`offer`: this offer only; `group`: every offer of the same product family',
        errorMessage: 'must be "offer" or "group"',
      }),
    ),
  },
  { additionalProperties: false, description: 'after `declines` declines within `withinDays`, the offer (or its product family) pauses for `pauseDays`', errorMessage: 'must be {declines, withinDays, pauseDays, scope?}' },
);

export const BudgetDefSchema = Type.Object(
  {
    maxContacts: Type.Optional(num(0, 1e12, 'the most contacts')),
    maxCost: Type.Optional(num(0, 1e15, 'the most money, roubles')),
    costPerChannel: Type.Optional(byChannel(() => num(0, 1e9, 'roubles per contact'), 'roubles per contact, by channel (an SMS part, an e-mail); channels not named cost nothing', 'must map channels to roubles')),
  },
  { additionalProperties: false, description: 'the most the campaign may spend: contacts, and money at a cost per channel', errorMessage: 'must be {maxContacts?, maxCost?, costPerChannel?}' },
);

export const GoalDefSchema = Type.Object(
  {
    events: texts('events that count as the goal reached'),
    when: Type.Optional(rule('a rule over the goal event (its data) and the customer')),
    withinDays: num(1, 3650, 'within this many days after the contact'),
  },
  { additionalProperties: false, description: 'what counts as the campaign working, for the uplift report', errorMessage: 'must be {events, withinDays, when?}' },
);

export const FollowUpDefSchema = Type.Object(
  { after: duration('how long after each contact, e.g. "30d"'), event: text('the event delivered to the customer then') },
  { additionalProperties: false, description: 'a durable reminder after each contact (the customer\'s answer by then is in event.data.outcome)', errorMessage: 'must be {after, event}' },
);

/**
 * One of `once`, `daily` or `weekly`: one object with exactly one of them (not a union), so a
 * problem inside one (a weekday 2.5) is reported at its own field.
 */
export const OutboundScheduleDefSchema = Type.Object(
  {
    once: Type.Optional(prose('one run at that time: an ISO date-time, e.g. "2027-01-15T10:00:00+03:00"; without an offset, in the policy\'s defaultTimezone')),
    daily: Type.Optional(clock('a run every day at that time of day, "HH:MM", in the policy\'s defaultTimezone')),
    weekly: Type.Optional(
      Type.Object(
        {
          weekday: Type.Integer({ minimum: 1, maximum: 7, description: 'an ISO weekday, 1 = Monday .. 7 = Sunday', errorMessage: 'must be a whole number from 1 to 7' }),
          at: clock('the time of day, "HH:MM", in the policy\'s defaultTimezone'),
        },
        { additionalProperties: false, description: 'a run every week on that weekday at that time', errorMessage: 'must be {weekday, at}' },
      ),
    ),
  },
  {
    minProperties: 1,
    maxProperties: 1,
    additionalProperties: false,
    description: 'when runs start by themselves: {once}, {daily} or {weekly}',
    errorMessage: 'must be {once: date-time}, {daily: "HH:MM"} or {weekly: {weekday, at}}',
  },
);

export const WarmLeadsDefSchema = Type.Object(
  {
    threshold: num(1, 100, 'the interest score (1..100) at or above which a customer becomes a warm lead (not 0: every call would make one)'),
    interest: Type.Optional(
      Type.Record(Type.String(), num(0, 100, 'the interest an outcome means'), {
        description: 'the interest score each call outcome means (default: interested 80, callback 60, later 50, others 0); a response\'s data.interest (0..100) overrides it',
      }),
    ),
    action: Type.Optional(text('the back-office action that notifies the customer\'s manager (default notify_manager)')),
  },
  { additionalProperties: false, description: 'who becomes a warm lead from a wave\'s call outcomes', errorMessage: 'must be {threshold, interest?, action?}' },
);

export const WavesDefSchema = Type.Object(
  {
    count: num(1, 10, 'waves in all, the first included'),
    every: duration('how long after a wave finished the next one starts, e.g. "2d"'),
    warmLeads: Type.Optional(WarmLeadsDefSchema),
  },
  {
    additionalProperties: false,
    description: 'call-centre waves (docs/outbound.md#call-centre-waves): each run calls in order of expected value; the next wave re-calls those not reached',
    errorMessage: 'must be {count, every, warmLeads?}',
  },
);

export const OutboundDefSchema = Type.Object(
  {
    segments: Type.Optional(texts('the segments a run goes over (a customer in any of them); the whole base when absent')),
    schedule: Type.Optional(OutboundScheduleDefSchema),
    waves: Type.Optional(WavesDefSchema),
  },
  {
    additionalProperties: false,
    description: 'an outbound campaign: its runs (by hand or on a schedule) hand it to each customer of its segments once, through the customer\'s actor and every rule; no event triggers it',
    errorMessage: 'must be {segments?, schedule?, waves?}',
  },
);

/** A campaign's lifecycle statuses, in the order it moves through them (campaign.machine.ts). */
export const campaignStatuses = ['draft', 'scheduled', 'active', 'paused', 'completed'] as const;

export const CampaignStatusSchema = Type.Union(
  campaignStatuses.map((s) => Type.Literal(s)),
  { description: 'draft, scheduled, active, paused or completed: only active campaigns speak', errorMessage: `must be one of ${campaignStatuses.join(', ')}` },
);

/** Whether `value` is a campaign status. */
export function isCampaignStatus(value: unknown): value is CampaignStatus {
  return typeof value === 'string' && (campaignStatuses as readonly string[]).includes(value);
}

export const CampaignDefSchema = Type.Object(
  {
    id: id('the campaign\'s id'),
    name: text('its name, for people'),
    description: Type.Optional(prose('what it is for, for people')),
    status: CampaignStatusSchema,
    startsAt: Type.Optional(prose('ISO date-time it starts, inclusive, e.g. "2026-01-01T00:00:00+03:00"')),
    endsAt: Type.Optional(prose('ISO date-time it ends, exclusive')),
    activeHours: Type.Optional(Type.Object(HoursDefSchema.properties, { ...hoursOptions(), description: 'the hours the campaign runs, customer\'s local time (the same as trigger.localTime)' })),
    priority: Type.Optional(num(0, 1000, 'a lever on the ranking, 1 by default')),
    offer: text('the offer\'s id'),
    channels: channelList('channels in preference order; screens and operators only in their own session'),
    trigger: Type.Optional(TriggerDefSchema),
    outbound: Type.Optional(OutboundDefSchema),
    groups: list(GroupDefSchema, 'the target groups, first match wins'),
    vars: Type.Optional(Type.Record(Type.String(), VarDefSchema, { description: 'variables computed per event, read as vars.<name>', errorMessage: 'must map names to variable definitions' })),
    expiresIn: Type.Optional(duration('how long the offer stands: "30m", "24h", "7d" (the policy\'s by default)')),
    marketing: Type.Optional(flag('false for service messages that the contact policy does not count')),
    maxSmsParts: Type.Optional(num(1, 10, 'the longest SMS this campaign may send, in parts (3 by default)')),
    quietHoursExempt: Type.Optional(flag('the customer is acting right now (a declined withdrawal): quiet hours do not apply')),
    recency: Type.Optional(RecencyDefSchema),
    controlPercent: Type.Optional(num(0, 100, 'percent of customers held out as a control group (the same customer is always in or out)')),
    seeds: Type.Optional(
      list(
        Type.Object(
          { channel: channel('sms, email or push'), to: text('the address') },
          { additionalProperties: false, description: 'a test recipient', errorMessage: 'must be {channel, to}' },
        ),
        "test recipients who get a copy of every SMS, e-mail or push the campaign sends, rendered for the customer masked (names as first letters, every other value of the customer and of their event ***): the layout and the delivery, not the customer's data",
      ),
    ),
    budget: Type.Optional(BudgetDefSchema),
    eligibility: Type.Optional(rule('stage filter at campaign level: who may have it at all')),
    applicability: Type.Optional(rule('stage filter at campaign level: whether it is relevant now')),
    suitability: Type.Optional(rule('stage filter at campaign level: whether it is appropriate')),
    minResponsePercent: Type.Optional(num(0, 100, 'below this response probability, percent, this campaign stays silent (the policy\'s floor by default)')),
    contextWeights: Type.Optional(byChannel(() => num(0, 1000, 'the weight'), 'a weight on the ranking per channel the offer would go to (1 by default)', 'must map channels to weights')),
    suppression: Type.Optional(SuppressionDefSchema),
    goal: Type.Optional(GoalDefSchema),
    followUp: Type.Optional(FollowUpDefSchema),
    pushTo: Type.Optional(channelList('screen and operator channels this campaign may reach outside a session, through the outbox (an outbound call list, an inbox, a worklist)')),
    model: Type.Optional(ModelDefSchema),
  },
  { additionalProperties: false, description: 'who gets which offer, when, on which channel', errorMessage: 'must be a campaign definition' },
);

export const ReminderDefSchema = Type.Object(
  {
    id: id('the reminder\'s id'),
    on: texts('event types that set (or move) the reminder'),
    at: Type.Optional(prose('the attribute holding the time, e.g. "event.data.dueAt" (the event\'s own time by default)')),
    offset: Type.Optional(Type.String({ pattern: '^-?\\d+(ms|s|m|h|d)$', description: 'moved by this, e.g. "-14d": two weeks before', errorMessage: 'must be a duration such as "30m", "24h" or "7d"' })),
    event: text('the event delivered to the customer then'),
  },
  { additionalProperties: false, description: 'a durable reminder set by an event', errorMessage: 'must be {id, on, event, at?, offset?}' },
);

export const PartnerDefSchema = Type.Object(
  {
    id: id('the partner\'s id'),
    kind: text('the kind of partner, named by a trigger\'s near.partners'),
    name: text('its name, for templates (partner.name)'),
    address: text('its address'),
    lat: num(-90, 90, 'latitude'),
    lon: num(-180, 180, 'longitude'),
    note: Type.Optional(text('the partner\'s offer, in the customer\'s language')),
  },
  { additionalProperties: false, description: 'a partner near which campaigns can speak (a cafe)', errorMessage: 'must be {id, kind, name, address, lat, lon}' },
);

export const PlaceDefSchema = Type.Object(
  {
    id: text('the place\'s id, as gateways name it in event.location.place'),
    kind: Type.Union([Type.Literal('branch'), Type.Literal('atm'), Type.Literal('kiosk')], { description: 'branch, atm or kiosk', errorMessage: 'must be branch, atm or kiosk' }),
    name: text('its name'),
    address: text('its address'),
    lat: num(-90, 90, 'latitude'),
    lon: num(-180, 180, 'longitude'),
  },
  { additionalProperties: false, description: 'one of the bank\'s places', errorMessage: 'must be {id, kind, name, address, lat, lon}' },
);

export const CapDefSchema = Type.Object(
  {
    channel: Type.Union([...ChannelSchema.anyOf, Type.Literal('*'), Type.Literal('any')], {
      description: 'a channel, "*" for each channel on its own, or "any" for all channels together',
      errorMessage: 'must be a channel, "*" (each channel) or "any" (all together)',
    }),
    max: num(0, 10_000, 'the most contacts in the window'),
    window: duration('the sliding window, e.g. "7d"'),
  },
  { additionalProperties: false, description: 'a frequency cap', errorMessage: 'must be {channel, max, window}' },
);

export const LearningDefSchema = Type.Object(
  {
    models: Type.Optional(flag('false: rank by the target groups\' probabilities alone')),
    modelEvidence: Type.Optional(num(1, 1e9, 'how many examples a model needs to weigh as much as the target group\'s probability (1000 by default)')),
    exploration: Type.Optional(
      Type.Union([Type.Literal('thompson'), Type.Literal('none')], {
        description: '`thompson`: rank by a draw from each offer\'s probability distribution; `none`: by its mean',
        errorMessage: 'must be "thompson" or "none"',
      }),
    ),
    randomPercent: Type.Optional(num(0, 100, 'percent of decisions that rank the eligible offers at random: the control that measures the models\' lift (2 by default)')),
    bits: Type.Optional(num(8, 22, '2^bits weights per offer model (14 by default)')),
    halfLife: Type.Optional(
      num(0, 1e9, 'drift: answers after which an earlier answer weighs half, in a target group\'s probability and in each model weight\'s learning rate (2000 by default; 0 never forgets)'),
    ),
    belowFloor: Type.Optional(flag('the random arm reaches customers below the propensity floor too, within every contact rule, so the models learn about them (true by default)')),
    figureAnswers: Type.Optional(num(1, 1e9, "a model's AUC and lift are shown (GET /v1/models, the metrics) once this many answers are behind them, and the model has learnt from as many (200 by default)")),
    figureOutcomes: Type.Optional(num(1, 1e9, '… with at least this many positive and this many negative answers (20 by default)')),
  },
  { additionalProperties: false, description: 'how decisions learn from responses (adaptive models per offer)', errorMessage: 'must be {models?, modelEvidence?, exploration?, randomPercent?, bits?}' },
);

export const PolicyDefSchema = Type.Object(
  {
    defaultTimezone: text('the IANA time zone of customers without one, e.g. "Europe/Moscow"'),
    caps: list(CapDefSchema, 'frequency caps'),
    minResponsePercent: num(0, 100, 'below this response probability, percent, Kairos stays silent'),
    maxActions: num(1, 20, 'at most this many actions in one decision'),
    expiresIn: duration('default offer lifetime'),
    consentRequired: channelList('channels on which a marketing contact needs the customer\'s consent'),
    quietHours: Type.Object(
      {
        channels: channelList('channels the allowed hours apply to (push channels: SMS, push)'),
        weekdays: Type.Object(HoursDefSchema.properties, { ...hoursOptions(), description: 'allowed hours Monday to Friday' }),
        weekends: Type.Object(HoursDefSchema.properties, { ...hoursOptions(), description: 'allowed hours on Saturday and Sunday' }),
      },
      { additionalProperties: false, description: 'hours when push channels may be used, customer\'s local time', errorMessage: 'must be {channels, weekdays, weekends}' },
    ),
    recency: RecencyDefSchema,
    sessionExempt: channelList('in-session channels (the ATM screen while the customer stands at it) that the caps do not count'),
    priorStrength: Type.Optional(num(0, 1e9, 'how many responses the marketer\'s response probability counts for before evidence outweighs it (20 by default)')),
    suppression: Type.Optional(SuppressionDefSchema),
    maybeLater: Type.Optional(
      Type.Object(
        { weight: num(0, 1, 'the weight multiplier'), days: num(0, 3650, 'for this many days') },
        { additionalProperties: false, description: '"maybe later" lowers an offer\'s weight for a while (x0.5 for 14 days by default)', errorMessage: 'must be {weight, days}' },
      ),
    ),
    learning: Type.Optional(LearningDefSchema),
    channelCapacity: Type.Optional(
      byChannel(
        () => Type.Object({ perDay: num(0, 1e9, 'contacts a day') }, { additionalProperties: false, errorMessage: 'must be {perDay}' }),
        'what a channel can take a day across all customers (the call centre\'s calls): past it, the channel is full until tomorrow',
        'must map channels to {perDay}',
      ),
    ),
  },
  { additionalProperties: false, description: 'the contact policy: caps, quiet hours, recency, consent, learning', errorMessage: 'must be the contact policy' },
);

export const CatalogDefSchema = Type.Object(
  {
    version: num(0, Number.MAX_SAFE_INTEGER, 'the catalog\'s version (the server numbers what it stores)'),
    features: list(FeatureDefSchema, 'what Kairos counts per customer'),
    scores: Type.Optional(list(ScoreDefSchema, 'weighted scores over features')),
    segments: list(SegmentDefSchema, 'groups of customers'),
    offers: list(OfferDefSchema, 'what the bank offers'),
    campaigns: list(CampaignDefSchema, 'who gets which offer, when'),
    partners: list(PartnerDefSchema, 'partners campaigns can point to'),
    places: list(PlaceDefSchema, 'the bank\'s branches, ATMs and kiosks'),
    reminders: Type.Optional(list(ReminderDefSchema, 'durable reminders set by events')),
    policy: PolicyDefSchema,
  },
  // Fields of their own at the top level are kept and ignored (notes, a tool's metadata); inside, every field is known.
  { title: 'Kairos catalog', description: 'A Kairos catalog: features, segments, offers, campaigns, partners, places and the contact policy', errorMessage: 'must be a catalog definition' },
);

export type FeatureDef = Static<typeof FeatureDefSchema>;
export type ScoreDef = Static<typeof ScoreDefSchema>;
export type SegmentDef = Static<typeof SegmentDefSchema>;
export type ButtonDef = Static<typeof ButtonDefSchema>;
export type TemplateDef = Static<typeof TemplateDefSchema>;
export type OfferDef = Static<typeof OfferDefSchema>;
export type VarDef = Static<typeof VarDefSchema>;
export type GroupDef = Static<typeof GroupDefSchema>;
export type TriggerDef = Static<typeof TriggerDefSchema>;
export type CampaignStatus = Static<typeof CampaignStatusSchema>;
export type CampaignDef = Static<typeof CampaignDefSchema>;
export type FollowUpDef = Static<typeof FollowUpDefSchema>;
export type ReminderDef = Static<typeof ReminderDefSchema>;
export type GoalDef = Static<typeof GoalDefSchema>;
export type SuppressionDef = Static<typeof SuppressionDefSchema>;
export type MaybeLaterDef = NonNullable<PolicyDef['maybeLater']>;
export type LearningDef = Static<typeof LearningDefSchema>;
export type BudgetDef = Static<typeof BudgetDefSchema>;
export type PartnerDef = Static<typeof PartnerDefSchema>;
export type PlaceDef = Static<typeof PlaceDefSchema>;
export type CapDef = Static<typeof CapDefSchema>;
export type HoursDef = Static<typeof HoursDefSchema>;
export type QuietHoursDef = PolicyDef['quietHours'];
export type RecencyDef = Static<typeof RecencyDefSchema>;
export type PolicyDef = Static<typeof PolicyDefSchema>;
export type CatalogDef = Static<typeof CatalogDefSchema>;
