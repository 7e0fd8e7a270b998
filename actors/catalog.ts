import { CatalogError } from './catalog-error.js';
import type { AttrEnv, Condition, Getter, Predicate } from './condition.js';
import { compileAttr, compileCondition, referencedAttrs } from './condition.js';
import { checkDefinitionBounds } from './definition-bounds.js';
import type { FeatureAggregate, FeatureWindow } from './features.js';
import { windowHorizon } from './features.js';
import { isValidTimeZone, parseClock } from './local-time.js';
import { smsLength } from './sms-length.js';
import type { CompiledTemplate } from './template.js';
import { compileTemplate } from './template.js';

/**
 * The catalog: features, segments, offers with their templates, campaigns and the contact
 * policy, as plain data (what a marketer writes), and its compiled form (what the actor
 * evaluates). `compileCatalog` checks everything and names the field of the first problem.
 */

// ---------------------------------------------------------------------------------------
// Channels

/** Screens a customer is looking at during a session: the gateway shows the offer now. */
export const screenChannels = ['atm', 'kiosk', 'ib', 'web', 'mobile'] as const;
/** Screens of the bank's staff talking to the customer: the operator reads a script. */
export const operatorChannels = ['callcenter', 'branch'] as const;
/** Channels Kairos sends to on its own: queued in the outbox. */
export const outboundChannels = ['sms', 'email', 'push'] as const;
export const channels = [...screenChannels, ...operatorChannels, ...outboundChannels] as const;
export type Channel = (typeof channels)[number];

export type ChannelKind = 'screen' | 'operator' | 'sms' | 'email' | 'push';

export function channelKind(channel: Channel): ChannelKind {
  switch (channel) {
    case 'atm':
    case 'kiosk':
    case 'ib':
    case 'web':
    case 'mobile':
      return 'screen';
    case 'callcenter':
    case 'branch':
      return 'operator';
    case 'sms':
      return 'sms';
    case 'email':
      return 'email';
    case 'push':
      return 'push';
    default: {
      const never: never = channel;
      throw new Error(`unhandled channel ${String(never)}`);
    }
  }
}

export function isChannel(v: unknown): v is Channel {
  return typeof v === 'string' && (channels as readonly string[]).includes(v);
}

export function isOutbound(channel: Channel): boolean {
  return (outboundChannels as readonly string[]).includes(channel);
}

// ---------------------------------------------------------------------------------------
// Definitions: the data a marketer writes

export interface FeatureDef {
  id: string;
  description?: string;
  /** event types that feed it */
  events: string[];
  /** only events matching this rule count (event attributes allowed) */
  where?: Condition;
  /**
   * `count` events; `sum`, `min` or `max` of `field`; `days` with an event; or `daysSince`
   * the last one (min, max and daysSince are missing when the window holds nothing)
   */
  aggregate: FeatureAggregate;
  /** for sums: the event field to add, e.g. "event.data.amount" */
  field?: string;
  /** the last N local days; or `calendar` */
  windowDays?: number;
  /** this calendar month so far, or the whole month before */
  calendar?: 'thisMonth' | 'lastMonth';
}

/** A weighted score over features: sum of weight x min(feature, cap). A lead score, say. */
export interface ScoreDef {
  id: string;
  description?: string;
  terms: Array<{ feature: string; weight: number; cap?: number }>;
}

export interface SegmentDef {
  id: string;
  name: string;
  description?: string;
  /** who is in by rule */
  rule?: Condition;
  /** who is in by name: customer ids put in by hand */
  members?: string[];
}

export interface ButtonDef {
  id: string;
  label: string;
}

export interface TemplateDef {
  title?: string;
  text?: string;
  subject?: string;
  html?: string;
  script?: string;
  buttons?: ButtonDef[];
}

export interface OfferDef {
  id: string;
  name: string;
  description?: string;
  /** what the offer is worth to the bank if accepted, roubles: a ranking weight */
  value: number;
  /** fixed fields templates can use as offer.<name> (rate, term, product name) */
  params?: Record<string, string | number>;
  /** one template per channel the offer can go to */
  templates: Partial<Record<Channel, TemplateDef>>;
  /** two-way SMS: a reply text (case-insensitive, trimmed) and the outcome it means */
  replies?: Record<string, string>;
  /** buttons on screens: button id -> outcome; defaults to the button id itself */
  buttonOutcomes?: Record<string, string>;
  /** a back-office action queued when the customer accepts (issue the credit) */
  onAccept?: { action: string };
  /** the product family ("deposits"): repeated declines can pause the whole family */
  group?: string;
  /** a business lever on the ranking (push this product this quarter), 1 by default */
  lever?: number;
  /** stage filters before ranking: who may have it at all (age, residency, no default) */
  eligibility?: Condition;
  /** whether it is relevant to the customer now (not already held) */
  applicability?: Condition;
  /** whether it is appropriate for the customer (affordability, risk appetite) */
  suitability?: Condition;
}

export interface VarDef {
  /** a number from the event or profile, e.g. "event.data.requested" */
  from: string;
  /** subtract another attribute */
  minus?: string;
  /** round up to a multiple of this (credit in whole hundreds) */
  roundUpTo?: number;
  /** map the number onto steps: the value of the highest step whose threshold it reaches */
  tiers?: Array<[threshold: number, value: number]>;
}

export interface GroupDef {
  id: string;
  name?: string;
  when: Condition;
  /** the marketer's estimate of the response probability in this group, percent (10 = 10 %) */
  responsePercent: number;
}

export interface TriggerDef {
  /** event types that trigger the campaign */
  events?: string[];
  /** offered whenever the customer is in a session on one of the campaign's inbound channels */
  passive?: boolean;
  /** a rule over the event, the customer and the campaign's variables */
  when?: Condition;
  /** local time window in the customer's time zone, "HH:MM" to "HH:MM" (end exclusive) */
  localTime?: { from: string; to: string };
  /** ISO weekdays, 1 = Monday .. 7 = Sunday */
  weekdays?: number[];
  /** event channels the trigger accepts */
  channels?: string[];
  /** a partner of this kind within the radius of the event's place */
  near?: { partners: string; radiusM: number };
}

export type CampaignStatus = 'draft' | 'scheduled' | 'active' | 'paused' | 'completed';

export interface CampaignDef {
  id: string;
  name: string;
  description?: string;
  status: CampaignStatus;
  /** ISO date-times, inclusive start, exclusive end */
  startsAt?: string;
  endsAt?: string;
  /** the hours the campaign runs, customer's local time (the same as `trigger.localTime`) */
  activeHours?: { from: string; to: string };
  /** a lever on the ranking, 1 by default */
  priority?: number;
  offer: string;
  /** channels in preference order; screens and operators only in their own session */
  channels: Channel[];
  trigger: TriggerDef;
  groups: GroupDef[];
  vars?: Record<string, VarDef>;
  /** how long the offer stands: "30m", "24h", "7d" */
  expiresIn?: string;
  /** false for service messages that the contact policy does not count */
  marketing?: boolean;
  /** the longest SMS this campaign may send, in parts */
  maxSmsParts?: number;
  /** the customer is acting right now (a declined withdrawal): quiet hours do not apply */
  quietHoursExempt?: boolean;
  /** this campaign's own recency rules, replacing the policy's */
  recency?: RecencyDef;
  /**
   * percent of customers held out as a control group, chosen by a hash of customer and
   * campaign (the same customer is always in or out); for them the offer is recorded as
   * "would have offered" and not made
   */
  controlPercent?: number;
  /** test recipients who get a copy of every SMS, e-mail or push the campaign sends */
  seeds?: Array<{ channel: Channel; to: string }>;
  /** the most the campaign may spend: contacts, and money at a cost per channel */
  budget?: BudgetDef;
  /** stage filters at campaign level, checked with the offer's before ranking */
  eligibility?: Condition;
  applicability?: Condition;
  suitability?: Condition;
  /** below this response probability, percent, this campaign stays silent (the policy's floor by default) */
  minResponsePercent?: number;
  /** a weight on the ranking per channel the offer would go to (1 by default): the context weight */
  contextWeights?: Partial<Record<Channel, number>>;
  /** this campaign's own outcome-driven suppression, replacing the policy's */
  suppression?: SuppressionDef;
  /**
   * what counts as the campaign working, for the uplift report: one of these events within
   * the window after the contact (or after the withheld contact, for the control group)
   */
  goal?: GoalDef;
  /** a durable reminder after each contact: `event` is delivered to the customer `after` later */
  followUp?: FollowUpDef;
  /**
   * screen and operator channels this campaign may reach outside a session, through the
   * outbox to their subscribed endpoints: an outbound call in the call centre's list (with
   * the operator's script), a message in the internet bank's inbox, a branch's worklist
   */
  pushTo?: Channel[];
}

/** A campaign's follow-up: this event, this long after each contact (the customer's answer by then is in `event.data.outcome`). */
export interface FollowUpDef {
  after: string;
  event: string;
}

/**
 * A durable reminder set by an event: when one of `on` arrives, the event `event` is
 * delivered to the customer at the time `at` reads (the event's own time by default) moved
 * by `offset` ("-14d": two weeks before). A later `on` event moves it.
 */
export interface ReminderDef {
  id: string;
  on: string[];
  at?: string;
  offset?: string;
  event: string;
}

export interface GoalDef {
  events: string[];
  /** a rule over the goal event (its data) and the customer */
  when?: Condition;
  withinDays: number;
}

/** After `declines` declines within `withinDays`, the offer (or its product family) pauses for `pauseDays`. */
export interface SuppressionDef {
  declines: number;
  withinDays: number;
  pauseDays: number;
  /** `offer`: this offer only; `group`: every offer of the same product family */
  scope?: 'offer' | 'group';
}

/** "Maybe later": the offer's weight is multiplied by `weight` for `days` after the customer said so. */
export interface MaybeLaterDef {
  weight: number;
  days: number;
}

/** How decisions learn from responses (adaptive models per offer). */
export interface LearningDef {
  /** false: rank by the target groups' probabilities alone */
  models?: boolean;
  /** how many examples a model needs to weigh as much as the target group's probability (200 by default) */
  modelEvidence?: number;
  /** `thompson`: rank by a draw from each offer's probability distribution; `none`: by its mean */
  exploration?: 'thompson' | 'none';
  /** percent of decisions that rank the eligible offers at random: the control that measures the models' lift (2 by default) */
  randomPercent?: number;
  /** 2^bits weights per offer model (14 by default) */
  bits?: number;
}

export interface BudgetDef {
  maxContacts?: number;
  /** roubles */
  maxCost?: number;
  /** roubles per contact, by channel (an SMS part, an e-mail); channels not named cost nothing */
  costPerChannel?: Partial<Record<Channel, number>>;
}

export interface PartnerDef {
  id: string;
  kind: string;
  name: string;
  address: string;
  lat: number;
  lon: number;
  /** the partner's offer, in the customer's language */
  note?: string;
}

export interface PlaceDef {
  id: string;
  kind: 'branch' | 'atm' | 'kiosk';
  name: string;
  address: string;
  lat: number;
  lon: number;
}

export interface CapDef {
  /** a channel, "*" for each channel on its own, or "any" for all channels together */
  channel: Channel | '*' | 'any';
  max: number;
  window: string;
}

/** Hours when a channel may be used, in the customer's local time ("09:00" to "21:00"). */
export interface HoursDef {
  from: string;
  to: string;
}

export interface QuietHoursDef {
  /** channels the allowed hours apply to (push channels: SMS, push) */
  channels: Channel[];
  /** Monday to Friday */
  weekdays: HoursDef;
  /** Saturday and Sunday */
  weekends: HoursDef;
}

/** Not the same thing again too soon. Days; 0 turns a rule off. */
export interface RecencyDef {
  /** not the same offer within this many days */
  sameOfferDays: number;
  /** not the same campaign within this many days */
  sameCampaignDays: number;
  /** a pause after the customer declined the offer */
  afterDeclineDays: number;
}

export interface PolicyDef {
  defaultTimezone: string;
  caps: CapDef[];
  /** below this response probability, percent, Kairos stays silent */
  minResponsePercent: number;
  /** at most this many actions in one decision */
  maxActions: number;
  /** default offer lifetime */
  expiresIn: string;
  /** channels on which a marketing contact needs the customer's consent */
  consentRequired: Channel[];
  quietHours: QuietHoursDef;
  recency: RecencyDef;
  /** in-session channels (the ATM screen while the customer stands at it) that the caps do not count */
  sessionExempt: Channel[];
  /** how many responses the marketer's response probability counts for before evidence outweighs it (20 by default) */
  priorStrength?: number;
  /** outcome-driven suppression: repeated declines pause an offer (3 in 90 days pause it for 90 by default) */
  suppression?: SuppressionDef;
  /** "maybe later" lowers an offer's weight for a while (x0.5 for 14 days by default) */
  maybeLater?: MaybeLaterDef;
  learning?: LearningDef;
  /** what a channel can take a day across all customers (the call centre's calls): past it, the channel is full until tomorrow */
  channelCapacity?: Partial<Record<Channel, { perDay: number }>>;
}

export interface CatalogDef {
  version: number;
  features: FeatureDef[];
  scores?: ScoreDef[];
  segments: SegmentDef[];
  offers: OfferDef[];
  campaigns: CampaignDef[];
  partners: PartnerDef[];
  places: PlaceDef[];
  reminders?: ReminderDef[];
  policy: PolicyDef;
}

// ---------------------------------------------------------------------------------------
// Compiled form

export interface Feature {
  id: string;
  events: ReadonlySet<string>;
  where?: Predicate;
  aggregate: FeatureAggregate;
  field?: Getter;
  window: FeatureWindow;
  /**
   * Where its day buckets are kept: features fed by the same events, with the same filter
   * and field, keep identical buckets, so they share one series under the id of the member
   * with the longest window (`featureSeries`).
   */
  series: string;
  /** the ids of the features sharing the series (this one among them) */
  seriesMembers: readonly string[];
  /** how many days of buckets the series keeps: the longest window of its members */
  keepDays: number;
}

/** What makes two features' buckets the same: their events, filter and field, as written. */
function sourceKey(raw: Record<string, unknown>): string {
  const events = Array.isArray(raw.events) ? [...(raw.events as unknown[])].map(String).sort() : [];
  return JSON.stringify([events, raw.where ?? null, raw.field ?? null]);
}

/**
 * Groups features with the same source into series (see `Feature.series`); the member with
 * the longest window (the first of them in the catalog on a tie) names the series, so a
 * customer's buckets written before the grouping, under that member's id, are the series'.
 */
function featureSeries(features: Feature[], defs: readonly Record<string, unknown>[]): void {
  const groups = new Map<string, Feature[]>();
  features.forEach((f, i) => {
    const key = sourceKey(defs[i] ?? {});
    groups.set(key, [...(groups.get(key) ?? []), f]);
  });
  for (const members of groups.values()) {
    let lead = members[0] as Feature;
    for (const f of members) if (windowHorizon(f.window) > windowHorizon(lead.window)) lead = f;
    const ids = members.map((f) => f.id);
    for (const f of members) {
      f.series = lead.id;
      f.seriesMembers = ids;
      f.keepDays = windowHorizon(lead.window);
    }
  }
}

export interface Score {
  id: string;
  terms: ReadonlyArray<{ feature: string; weight: number; cap: number }>;
}

export interface Segment {
  id: string;
  name: string;
  rule?: Predicate;
  members: ReadonlySet<string>;
  /** the features (directly or through scores) the rule reads: the segment is re-evaluated when one of them changes */
  inputs: ReadonlySet<string>;
}

export interface Var {
  name: string;
  from: Getter;
  minus?: Getter;
  roundUpTo?: number;
  tiers?: ReadonlyArray<readonly [number, number]>;
}

export interface Group {
  id: string;
  name: string;
  when: Predicate;
  probability: number;
}

export interface ChannelTemplate {
  channel: Channel;
  kind: ChannelKind;
  title?: CompiledTemplate;
  text?: CompiledTemplate;
  subject?: CompiledTemplate;
  html?: CompiledTemplate;
  script?: CompiledTemplate;
  buttons: ReadonlyArray<{ id: string; label: string }>;
}

export interface Offer {
  id: string;
  name: string;
  value: number;
  params: Readonly<Record<string, string | number>>;
  replies: ReadonlyMap<string, string>;
  buttonOutcomes: Readonly<Record<string, string>>;
  onAccept?: { action: string };
  /** the product family; the offer id when none is given */
  group: string;
  lever: number;
  eligibility?: Predicate;
  applicability?: Predicate;
  suitability?: Predicate;
}

export interface Campaign {
  id: string;
  name: string;
  status: CampaignStatus;
  startsAt?: number;
  endsAt?: number;
  priority: number;
  offer: Offer;
  channels: readonly Channel[];
  events: ReadonlySet<string>;
  /** segments whose entry (or exit) triggers the campaign: `segment.entered.<id>` in `trigger.events` */
  onSegment: { entered: ReadonlySet<string>; exited: ReadonlySet<string> };
  passive: boolean;
  when?: Predicate;
  localTime?: { from: number; to: number };
  weekdays?: ReadonlySet<number>;
  eventChannels?: ReadonlySet<string>;
  near?: { partners: readonly PartnerDef[]; radiusM: number };
  groups: readonly Group[];
  vars: readonly Var[];
  expiresInMs: number;
  marketing: boolean;
  maxSmsParts: number;
  quietHoursExempt: boolean;
  recency: Recency;
  /** 0..1 */
  controlShare: number;
  seeds: ReadonlyArray<{ channel: Channel; to: string }>;
  budget?: { maxContacts?: number; maxCost?: number; costPerChannel: Partial<Record<Channel, number>> };
  templates: ReadonlyMap<Channel, ChannelTemplate>;
  eligibility?: Predicate;
  applicability?: Predicate;
  suitability?: Predicate;
  /** the propensity floor: below it the campaign stays silent */
  minProbability: number;
  contextWeights: Partial<Record<Channel, number>>;
  suppression: Suppression;
  goal?: Goal;
  followUp?: { afterMs: number; event: string };
  /** screen and operator channels reached outside a session, through the outbox */
  pushTo: ReadonlySet<Channel>;
}

export interface Reminder {
  id: string;
  on: ReadonlySet<string>;
  at?: Getter;
  offsetMs: number;
  event: string;
}

export interface Goal {
  events: ReadonlySet<string>;
  when?: Predicate;
  withinMs: number;
}

export interface Suppression {
  declines: number;
  withinMs: number;
  pauseMs: number;
  scope: 'offer' | 'group';
}

export interface Learning {
  models: boolean;
  modelEvidence: number;
  exploration: 'thompson' | 'none';
  /** 0..1 */
  randomShare: number;
  bits: number;
}

export interface Cap {
  channel: Channel | '*' | 'any';
  max: number;
  windowMs: number;
}

export interface Hours {
  from: number;
  to: number;
}

export interface Recency {
  sameOfferMs: number;
  sameCampaignMs: number;
  afterDeclineMs: number;
}

export interface Policy {
  defaultTimezone: string;
  caps: readonly Cap[];
  minProbability: number;
  maxActions: number;
  expiresInMs: number;
  consentRequired: ReadonlySet<Channel>;
  quietHours: { channels: ReadonlySet<Channel>; weekdays: Hours; weekends: Hours };
  recency: Recency;
  sessionExempt: ReadonlySet<Channel>;
  priorStrength: number;
  suppression: Suppression;
  maybeLater: { weight: number; ms: number };
  learning: Learning;
  /** contacts a day per channel, across customers (the policy's default time zone's day) */
  channelCapacity: ReadonlyMap<Channel, number>;
}

export interface Catalog {
  version: number;
  features: readonly Feature[];
  /** features by the event type that feeds them */
  featuresByEvent: ReadonlyMap<string, readonly Feature[]>;
  featureById: ReadonlyMap<string, Feature>;
  scores: ReadonlyMap<string, Score>;
  segments: readonly Segment[];
  offers: ReadonlyMap<string, Offer>;
  campaigns: readonly Campaign[];
  places: ReadonlyMap<string, PlaceDef>;
  reminders: readonly Reminder[];
  policy: Policy;
  /** the definition this was compiled from */
  def: CatalogDef;
}

// ---------------------------------------------------------------------------------------
// Compilation

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function requireString(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new CatalogError(path, 'must be non-empty text');
  return v;
}

function requireId(v: unknown, path: string): string {
  if (typeof v !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(v)) {
    throw new CatalogError(path, 'must be an id: lowercase letters, digits, "-" and "_", up to 64');
  }
  return v;
}

function requireNumber(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new CatalogError(path, `must be a number from ${min} to ${max}`);
  }
  return v;
}

function requireList(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new CatalogError(path, 'must be a list');
  return v;
}

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30m", "24h", "7d" -> milliseconds */
export function parseDuration(v: unknown, path: string): number {
  const m = typeof v === 'string' ? DURATION.exec(v) : null;
  if (m === null) throw new CatalogError(path, 'must be a duration such as "30m", "24h" or "7d"');
  const ms = Number(m[1]) * (durationUnits[m[2] ?? 'ms'] ?? 1);
  if (ms <= 0) throw new CatalogError(path, 'must be longer than zero');
  return ms;
}

function parseInstant(v: unknown, path: string): number {
  const ms = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(ms)) throw new CatalogError(path, 'must be an ISO date-time such as "2026-01-01T00:00:00+03:00"');
  return ms;
}

function uniqueIds<T extends { id: string }>(list: readonly T[], path: string): void {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    if (seen.has(item.id)) throw new CatalogError(`${path}[${i}].id`, `duplicate id "${item.id}"`);
    seen.add(item.id);
  });
}

function compileFeature(raw: unknown, path: string, known: ReadonlySet<string>): Feature {
  if (!isRecord(raw)) throw new CatalogError(path, 'must be a feature definition');
  const id = requireId(raw.id, `${path}.id`);
  const events = requireList(raw.events, `${path}.events`).map((e, i) => requireString(e, `${path}.events[${i}]`));
  if (events.length === 0) throw new CatalogError(`${path}.events`, 'must name at least one event type');
  const env: AttrEnv = { features: known, event: true };
  const aggregates: FeatureAggregate[] = ['count', 'sum', 'min', 'max', 'days', 'daysSince'];
  const aggregate = raw.aggregate as FeatureAggregate;
  if (!aggregates.includes(aggregate)) throw new CatalogError(`${path}.aggregate`, `must be one of ${aggregates.join(', ')}`);
  let window: FeatureWindow;
  if (raw.calendar !== undefined) {
    if (raw.windowDays !== undefined) throw new CatalogError(`${path}.calendar`, 'give windowDays or calendar, not both');
    if (raw.calendar !== 'thisMonth' && raw.calendar !== 'lastMonth') throw new CatalogError(`${path}.calendar`, 'must be "thisMonth" or "lastMonth"');
    window = { kind: raw.calendar };
  } else {
    window = { kind: 'days', days: requireNumber(raw.windowDays, `${path}.windowDays`, 1, 400) };
  }
  // The series is set once all features are compiled (featureSeries); alone until then.
  const feature: Feature = { id, events: new Set(events), aggregate, window, series: id, seriesMembers: [id], keepDays: windowHorizon(window) };
  if (raw.where !== undefined) feature.where = compileCondition(raw.where, `${path}.where`, env);
  if (aggregate === 'sum' || aggregate === 'min' || aggregate === 'max') {
    if (raw.field === undefined) throw new CatalogError(`${path}.field`, `a ${aggregate} needs the event field to read`);
    feature.field = compileAttr(raw.field, `${path}.field`, env);
  } else if (raw.field !== undefined) {
    throw new CatalogError(`${path}.field`, 'only sum, min and max take a field');
  }
  return feature;
}

const customerVariables = new Set(['firstName', 'patronymic', 'lastName', 'name', 'fullName']);
const partnerVariables = new Set(['name', 'address', 'note', 'distance', 'minutes', 'direction', 'route']);
const placeVariables = new Set(['name', 'address']);
const expiresVariables = new Set(['date', 'time']);

interface TemplateScope {
  offer: OfferDef;
  vars: ReadonlySet<string>;
  near: boolean;
}

function variableChecker(scope: TemplateScope): (variable: string) => string | undefined {
  return (variable) => {
    const [root, ...rest] = variable.split('.');
    const name = rest.join('.');
    switch (root) {
      case 'customer':
        return customerVariables.has(name) ? undefined : `customer has ${[...customerVariables].join(', ')}`;
      case 'offer':
        if (name === 'name' || name === 'value') return undefined;
        return scope.offer.params !== undefined && Object.hasOwn(scope.offer.params, name)
          ? undefined
          : `offer "${scope.offer.id}" has name, value and params ${Object.keys(scope.offer.params ?? {}).join(', ') || '(none)'}`;
      case 'vars':
        return scope.vars.has(name) ? undefined : `the campaign defines vars ${[...scope.vars].join(', ') || '(none)'}`;
      case 'partner':
        if (!scope.near) return 'partner variables need a trigger with "near"';
        return partnerVariables.has(name) ? undefined : `partner has ${[...partnerVariables].join(', ')}`;
      case 'place':
        if (!scope.near) return 'place variables need a trigger with "near"';
        return placeVariables.has(name) ? undefined : `place has ${[...placeVariables].join(', ')}`;
      case 'expires':
        return expiresVariables.has(name) ? undefined : 'expires has date, time';
      case 'event':
        return rest[0] === 'data' && rest.length > 1 ? undefined : 'use event.data.<field>';
      default:
        return 'roots are customer, offer, vars, partner, place, expires, event';
    }
  };
}

const fieldsByKind: Record<ChannelKind, { required: Array<keyof TemplateDef>; optional: Array<keyof TemplateDef> }> = {
  sms: { required: ['text'], optional: [] },
  email: { required: ['subject', 'text'], optional: ['html'] },
  push: { required: ['title', 'text'], optional: ['buttons'] },
  screen: { required: ['title', 'text'], optional: ['buttons'] },
  operator: { required: ['script'], optional: [] },
};

function compileChannelTemplate(raw: unknown, channel: Channel, path: string, scope: TemplateScope, maxSmsParts: number): ChannelTemplate {
  if (!isRecord(raw)) throw new CatalogError(path, `the offer has no template for channel "${channel}"`);
  const kind = channelKind(channel);
  const { required, optional } = fieldsByKind[kind];
  for (const key of Object.keys(raw)) {
    if (!required.includes(key as keyof TemplateDef) && !optional.includes(key as keyof TemplateDef)) {
      throw new CatalogError(`${path}.${key}`, `a ${channel} template has ${[...required, ...optional].join(', ')}`);
    }
  }
  const check = variableChecker(scope);
  const out: ChannelTemplate = { channel, kind, buttons: [] };
  for (const field of ['title', 'text', 'subject', 'html', 'script'] as const) {
    if (raw[field] !== undefined) out[field] = compileTemplate(raw[field], `${path}.${field}`, check);
    else if (required.includes(field)) throw new CatalogError(`${path}.${field}`, `a ${channel} template needs ${field}`);
  }
  if (raw.buttons !== undefined) {
    out.buttons = requireList(raw.buttons, `${path}.buttons`).map((b, i) => {
      if (!isRecord(b)) throw new CatalogError(`${path}.buttons[${i}]`, 'must be {id, label}');
      return { id: requireId(b.id, `${path}.buttons[${i}].id`), label: requireString(b.label, `${path}.buttons[${i}].label`) };
    });
  }
  if (kind === 'sms' && out.text !== undefined) {
    const fixed = out.text.parts.filter((p): p is string => typeof p === 'string').join('');
    const parts = smsLength(fixed).parts;
    if (parts > maxSmsParts) {
      throw new CatalogError(`${path}.text`, `the fixed text alone takes ${parts} SMS parts; the campaign allows ${maxSmsParts}`);
    }
  }
  return out;
}

function compileOffer(raw: unknown, path: string): OfferDef & { compiled: Offer } {
  if (!isRecord(raw)) throw new CatalogError(path, 'must be an offer definition');
  const id = requireId(raw.id, `${path}.id`);
  const name = requireString(raw.name, `${path}.name`);
  const value = requireNumber(raw.value, `${path}.value`, 0, 1e12);
  const params: Record<string, string | number> = {};
  if (raw.params !== undefined) {
    if (!isRecord(raw.params)) throw new CatalogError(`${path}.params`, 'must be a map of names to text or numbers');
    for (const [k, v] of Object.entries(raw.params)) {
      if (typeof v !== 'string' && (typeof v !== 'number' || !Number.isFinite(v))) {
        throw new CatalogError(`${path}.params.${k}`, 'must be text or a number');
      }
      params[k] = v;
    }
  }
  if (!isRecord(raw.templates) || Object.keys(raw.templates).length === 0) {
    throw new CatalogError(`${path}.templates`, 'must hold at least one channel template');
  }
  for (const ch of Object.keys(raw.templates)) {
    if (!isChannel(ch)) throw new CatalogError(`${path}.templates.${ch}`, `unknown channel (known: ${channels.join(', ')})`);
  }
  const replies = new Map<string, string>();
  if (raw.replies !== undefined) {
    if (!isRecord(raw.replies)) throw new CatalogError(`${path}.replies`, 'must map reply texts to outcomes');
    for (const [text, outcome] of Object.entries(raw.replies)) {
      replies.set(text.trim().toLowerCase(), requireString(outcome, `${path}.replies.${text}`));
    }
  }
  const buttonOutcomes: Record<string, string> = {};
  if (raw.buttonOutcomes !== undefined) {
    if (!isRecord(raw.buttonOutcomes)) throw new CatalogError(`${path}.buttonOutcomes`, 'must map button ids to outcomes');
    for (const [b, outcome] of Object.entries(raw.buttonOutcomes)) {
      buttonOutcomes[b] = requireString(outcome, `${path}.buttonOutcomes.${b}`);
    }
  }
  const group = raw.group === undefined ? id : requireId(raw.group, `${path}.group`);
  const lever = raw.lever === undefined ? 1 : requireNumber(raw.lever, `${path}.lever`, 0, 1000);
  const compiled: Offer = { id, name, value, params, replies, buttonOutcomes, group, lever };
  if (raw.onAccept !== undefined) {
    if (!isRecord(raw.onAccept)) throw new CatalogError(`${path}.onAccept`, 'must be {action}');
    compiled.onAccept = { action: requireId(raw.onAccept.action, `${path}.onAccept.action`) };
  }
  return { ...(raw as unknown as OfferDef), compiled };
}

function compileVar(name: string, raw: unknown, path: string, env: AttrEnv): Var {
  if (!isRecord(raw)) throw new CatalogError(path, 'must be {from, minus?, roundUpTo?, tiers?}');
  const v: Var = { name, from: compileAttr(raw.from, `${path}.from`, env) };
  if (raw.minus !== undefined) v.minus = compileAttr(raw.minus, `${path}.minus`, env);
  if (raw.roundUpTo !== undefined) v.roundUpTo = requireNumber(raw.roundUpTo, `${path}.roundUpTo`, 1e-9, 1e12);
  if (raw.tiers !== undefined) {
    const tiers = requireList(raw.tiers, `${path}.tiers`).map((t, i) => {
      if (!Array.isArray(t) || t.length !== 2 || !t.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new CatalogError(`${path}.tiers[${i}]`, 'must be [threshold, value]');
      }
      return [t[0] as number, t[1] as number] as const;
    });
    for (let i = 1; i < tiers.length; i++) {
      if ((tiers[i]?.[0] ?? 0) <= (tiers[i - 1]?.[0] ?? 0)) throw new CatalogError(`${path}.tiers[${i}]`, 'thresholds must rise');
    }
    if (tiers.length === 0) throw new CatalogError(`${path}.tiers`, 'must hold at least one step');
    v.tiers = tiers;
  }
  return v;
}

function compileCampaign(
  raw: unknown,
  path: string,
  offers: ReadonlyMap<string, OfferDef & { compiled: Offer }>,
  features: ReadonlySet<string>,
  scores: ReadonlySet<string>,
  segments: ReadonlySet<string>,
  partners: readonly PartnerDef[],
  policy: Policy,
): Campaign {
  if (!isRecord(raw)) throw new CatalogError(path, 'must be a campaign definition');
  const id = requireId(raw.id, `${path}.id`);
  const name = requireString(raw.name, `${path}.name`);
  const statuses: CampaignStatus[] = ['draft', 'scheduled', 'active', 'paused', 'completed'];
  if (typeof raw.status !== 'string' || !statuses.includes(raw.status as CampaignStatus)) {
    throw new CatalogError(`${path}.status`, `must be one of ${statuses.join(', ')}`);
  }
  const offerId = requireString(raw.offer, `${path}.offer`);
  const offer = offers.get(offerId);
  if (offer === undefined) throw new CatalogError(`${path}.offer`, `unknown offer "${offerId}"`);
  const chans = requireList(raw.channels, `${path}.channels`).map((c, i) => {
    if (!isChannel(c)) throw new CatalogError(`${path}.channels[${i}]`, `unknown channel (known: ${channels.join(', ')})`);
    return c;
  });
  if (chans.length === 0) throw new CatalogError(`${path}.channels`, 'must name at least one channel');

  const baseEnv: AttrEnv = { features, scores, segments, event: true };
  const vars: Var[] = [];
  if (raw.vars !== undefined) {
    if (!isRecord(raw.vars)) throw new CatalogError(`${path}.vars`, 'must map names to variable definitions');
    for (const [vname, vdef] of Object.entries(raw.vars)) {
      if (!/^[a-zA-Z][a-zA-Z0-9_]*$/.test(vname)) throw new CatalogError(`${path}.vars.${vname}`, 'is not a variable name');
      vars.push(compileVar(vname, vdef, `${path}.vars.${vname}`, baseEnv));
    }
  }
  const varNames = new Set(vars.map((v) => v.name));

  const t = raw.trigger;
  if (!isRecord(t)) throw new CatalogError(`${path}.trigger`, 'must be a trigger: {events} or {passive: true}');
  const events =
    t.events === undefined ? [] : requireList(t.events, `${path}.trigger.events`).map((e, i) => requireString(e, `${path}.trigger.events[${i}]`));
  const passive = t.passive === true;
  if (events.length === 0 && !passive) throw new CatalogError(`${path}.trigger`, 'needs event types, or passive: true');

  const onSegment = { entered: new Set<string>(), exited: new Set<string>() };
  events.forEach((e, i) => {
    const m = /^segment\.(entered|exited)\.(.+)$/.exec(e);
    if (m === null) return;
    const [, change, seg = ''] = m;
    if (!segments.has(seg)) throw new CatalogError(`${path}.trigger.events[${i}]`, `unknown segment "${seg}"`);
    (change === 'entered' ? onSegment.entered : onSegment.exited).add(seg);
  });

  const priority = raw.priority === undefined ? 1 : requireNumber(raw.priority, `${path}.priority`, 0, 1000);
  const maxSmsParts = raw.maxSmsParts === undefined ? 3 : requireNumber(raw.maxSmsParts, `${path}.maxSmsParts`, 1, 10);
  const campaign: Campaign = {
    id,
    name,
    status: raw.status as CampaignStatus,
    priority,
    offer: offer.compiled,
    channels: chans,
    events: new Set(events),
    onSegment,
    passive,
    groups: [],
    vars,
    expiresInMs: raw.expiresIn === undefined ? policy.expiresInMs : parseDuration(raw.expiresIn, `${path}.expiresIn`),
    marketing: raw.marketing !== false,
    maxSmsParts,
    quietHoursExempt: raw.quietHoursExempt === true,
    recency: raw.recency === undefined ? policy.recency : compileRecency(raw.recency, `${path}.recency`),
    controlShare: raw.controlPercent === undefined ? 0 : requireNumber(raw.controlPercent, `${path}.controlPercent`, 0, 100) / 100,
    seeds: raw.seeds === undefined ? [] : compileSeeds(raw.seeds, `${path}.seeds`, chans),
    templates: new Map(),
    minProbability: raw.minResponsePercent === undefined ? policy.minProbability : requireNumber(raw.minResponsePercent, `${path}.minResponsePercent`, 0, 100) / 100,
    contextWeights: raw.contextWeights === undefined ? {} : compileContextWeights(raw.contextWeights, `${path}.contextWeights`, chans),
    suppression: raw.suppression === undefined ? policy.suppression : compileSuppression(raw.suppression, `${path}.suppression`),
    pushTo: new Set(
      (raw.pushTo === undefined ? [] : requireList(raw.pushTo, `${path}.pushTo`)).map((ch, i) => {
        if (!isChannel(ch) || isOutbound(ch)) throw new CatalogError(`${path}.pushTo[${i}]`, 'must be a screen or operator channel (ib, callcenter, branch, …); sms, email and push are always queued');
        if (!chans.includes(ch)) throw new CatalogError(`${path}.pushTo[${i}]`, `the campaign does not use channel "${ch}"`);
        return ch;
      }),
    ),
  };
  const customerEnv: AttrEnv = { features, scores, segments, event: true };
  for (const stage of stageFilters) {
    if (raw[stage] !== undefined) campaign[stage] = compileCondition(raw[stage], `${path}.${stage}`, customerEnv);
  }
  if (raw.goal !== undefined) campaign.goal = compileGoal(raw.goal, `${path}.goal`, customerEnv);
  if (raw.followUp !== undefined) {
    const f = raw.followUp;
    if (!isRecord(f)) throw new CatalogError(`${path}.followUp`, 'must be {after, event}');
    campaign.followUp = { afterMs: parseDuration(f.after, `${path}.followUp.after`), event: requireString(f.event, `${path}.followUp.event`) };
  }
  if (raw.budget !== undefined) campaign.budget = compileBudget(raw.budget, `${path}.budget`);
  if (raw.startsAt !== undefined) campaign.startsAt = parseInstant(raw.startsAt, `${path}.startsAt`);
  if (raw.endsAt !== undefined) campaign.endsAt = parseInstant(raw.endsAt, `${path}.endsAt`);
  if (campaign.startsAt !== undefined && campaign.endsAt !== undefined && campaign.endsAt <= campaign.startsAt) {
    throw new CatalogError(`${path}.endsAt`, 'must be after startsAt');
  }
  if (t.when !== undefined) campaign.when = compileCondition(t.when, `${path}.trigger.when`, { ...baseEnv, vars: varNames });
  if (raw.activeHours !== undefined && t.localTime !== undefined) {
    throw new CatalogError(`${path}.activeHours`, 'give activeHours or trigger.localTime, not both');
  }
  const hours = raw.activeHours ?? t.localTime;
  const hoursPath = raw.activeHours !== undefined ? `${path}.activeHours` : `${path}.trigger.localTime`;
  if (hours !== undefined) campaign.localTime = compileHours(hours, hoursPath);
  if (t.weekdays !== undefined) {
    campaign.weekdays = new Set(
      requireList(t.weekdays, `${path}.trigger.weekdays`).map((d, i) => requireNumber(d, `${path}.trigger.weekdays[${i}]`, 1, 7)),
    );
  }
  if (t.channels !== undefined) {
    campaign.eventChannels = new Set(requireList(t.channels, `${path}.trigger.channels`).map((c, i) => requireString(c, `${path}.trigger.channels[${i}]`)));
  }
  if (t.near !== undefined) {
    const near = t.near;
    if (!isRecord(near)) throw new CatalogError(`${path}.trigger.near`, 'must be {partners, radiusM}');
    const kind = requireString(near.partners, `${path}.trigger.near.partners`);
    const list = partners.filter((p) => p.kind === kind);
    if (list.length === 0) throw new CatalogError(`${path}.trigger.near.partners`, `no partners of kind "${kind}"`);
    campaign.near = { partners: list, radiusM: requireNumber(near.radiusM, `${path}.trigger.near.radiusM`, 1, 100_000) };
  }

  const groups = requireList(raw.groups, `${path}.groups`);
  if (groups.length === 0) throw new CatalogError(`${path}.groups`, 'must hold at least one target group');
  campaign.groups = groups.map((g, i) => {
    const gp = `${path}.groups[${i}]`;
    if (!isRecord(g)) throw new CatalogError(gp, 'must be {id, when, responsePercent}');
    const gid = requireId(g.id, `${gp}.id`);
    return {
      id: gid,
      name: typeof g.name === 'string' ? g.name : gid,
      when: compileCondition(g.when, `${gp}.when`, { features, scores, segments, event: false }),
      probability: requireNumber(g.responsePercent, `${gp}.responsePercent`, 0, 100) / 100,
    };
  });
  uniqueIds(campaign.groups, `${path}.groups`);

  const scope: TemplateScope = { offer, vars: varNames, near: campaign.near !== undefined };
  const templates = new Map<Channel, ChannelTemplate>();
  chans.forEach((ch, i) => {
    const tpl = offer.templates[ch];
    if (tpl === undefined) throw new CatalogError(`${path}.channels[${i}]`, `offer "${offer.id}" has no template for channel "${ch}"`);
    const oi = [...offers.keys()].indexOf(offer.id);
    templates.set(ch, compileChannelTemplate(tpl, ch, `offers[${oi}].templates.${ch}`, scope, maxSmsParts));
  });
  campaign.templates = templates;
  return campaign;
}

function compileChannelList(raw: unknown, path: string): Set<Channel> {
  return new Set(
    requireList(raw, path).map((c, i) => {
      if (!isChannel(c)) throw new CatalogError(`${path}[${i}]`, `unknown channel (known: ${channels.join(', ')})`);
      return c;
    }),
  );
}

function compileHours(raw: unknown, path: string): Hours {
  if (!isRecord(raw)) throw new CatalogError(path, 'must be {from: "HH:MM", to: "HH:MM"}');
  const from = typeof raw.from === 'string' ? parseClock(raw.from) : undefined;
  const to = typeof raw.to === 'string' ? parseClock(raw.to) : undefined;
  if (from === undefined) throw new CatalogError(`${path}.from`, 'must be "HH:MM"');
  if (to === undefined) throw new CatalogError(`${path}.to`, 'must be "HH:MM"');
  if (from === to) throw new CatalogError(path, 'from and to are the same minute');
  return { from, to };
}

function compileRecency(raw: unknown, path: string): Recency {
  if (!isRecord(raw)) throw new CatalogError(path, 'must be {sameOfferDays, sameCampaignDays, afterDeclineDays}');
  const days = (field: string): number => requireNumber(raw[field], `${path}.${field}`, 0, 3650) * 86_400_000;
  return { sameOfferMs: days('sameOfferDays'), sameCampaignMs: days('sameCampaignDays'), afterDeclineMs: days('afterDeclineDays') };
}

function compileSeeds(raw: unknown, path: string, campaignChannels: readonly Channel[]): Array<{ channel: Channel; to: string }> {
  return requireList(raw, path).map((s, i) => {
    const p = `${path}[${i}]`;
    if (!isRecord(s)) throw new CatalogError(p, 'must be {channel, to}');
    if (!isChannel(s.channel) || !isOutbound(s.channel)) throw new CatalogError(`${p}.channel`, 'must be sms, email or push');
    if (!campaignChannels.includes(s.channel)) throw new CatalogError(`${p}.channel`, `the campaign does not send on ${s.channel}`);
    return { channel: s.channel, to: requireString(s.to, `${p}.to`) };
  });
}

function compileBudget(raw: unknown, path: string): NonNullable<Campaign['budget']> {
  if (!isRecord(raw)) throw new CatalogError(path, 'must be {maxContacts?, maxCost?, costPerChannel?}');
  const budget: NonNullable<Campaign['budget']> = { costPerChannel: {} };
  if (raw.maxContacts !== undefined) budget.maxContacts = requireNumber(raw.maxContacts, `${path}.maxContacts`, 0, 1e12);
  if (raw.maxCost !== undefined) budget.maxCost = requireNumber(raw.maxCost, `${path}.maxCost`, 0, 1e15);
  if (raw.costPerChannel !== undefined) {
    if (!isRecord(raw.costPerChannel)) throw new CatalogError(`${path}.costPerChannel`, 'must map channels to roubles');
    for (const [ch, cost] of Object.entries(raw.costPerChannel)) {
      if (!isChannel(ch)) throw new CatalogError(`${path}.costPerChannel.${ch}`, 'unknown channel');
      budget.costPerChannel[ch] = requireNumber(cost, `${path}.costPerChannel.${ch}`, 0, 1e9);
    }
  }
  if (budget.maxContacts === undefined && budget.maxCost === undefined) throw new CatalogError(path, 'needs maxContacts or maxCost');
  if (budget.maxCost !== undefined && Object.keys(budget.costPerChannel).length === 0) throw new CatalogError(`${path}.costPerChannel`, 'a money budget needs the cost per channel');
  return budget;
}

/** The stage filters, in the order they are checked. */
export const stageFilters = ['eligibility', 'applicability', 'suitability'] as const;

function compileContextWeights(raw: unknown, path: string, chans: readonly Channel[]): Partial<Record<Channel, number>> {
  if (!isRecord(raw)) throw new CatalogError(path, 'must map channels to weights');
  const out: Partial<Record<Channel, number>> = {};
  for (const [ch, w] of Object.entries(raw)) {
    if (!isChannel(ch)) throw new CatalogError(`${path}.${ch}`, `unknown channel (known: ${channels.join(', ')})`);
    if (!chans.includes(ch)) throw new CatalogError(`${path}.${ch}`, `the campaign does not use channel "${ch}"`);
    out[ch] = requireNumber(w, `${path}.${ch}`, 0, 1000);
  }
  return out;
}

function compileSuppression(raw: unknown, path: string): Suppression {
  if (!isRecord(raw)) throw new CatalogError(path, 'must be {declines, withinDays, pauseDays, scope?}');
  if (raw.scope !== undefined && raw.scope !== 'offer' && raw.scope !== 'group') throw new CatalogError(`${path}.scope`, 'must be "offer" or "group"');
  return {
    declines: requireNumber(raw.declines, `${path}.declines`, 1, 1000),
    withinMs: requireNumber(raw.withinDays, `${path}.withinDays`, 1, 3650) * 86_400_000,
    pauseMs: requireNumber(raw.pauseDays, `${path}.pauseDays`, 0, 3650) * 86_400_000,
    scope: raw.scope ?? 'offer',
  };
}

function compileGoal(raw: unknown, path: string, env: AttrEnv): Goal {
  if (!isRecord(raw)) throw new CatalogError(path, 'must be {events, withinDays, when?}');
  const events = requireList(raw.events, `${path}.events`).map((e, i) => requireString(e, `${path}.events[${i}]`));
  if (events.length === 0) throw new CatalogError(`${path}.events`, 'must name at least one event type');
  const goal: Goal = { events: new Set(events), withinMs: requireNumber(raw.withinDays, `${path}.withinDays`, 1, 3650) * 86_400_000 };
  if (raw.when !== undefined) goal.when = compileCondition(raw.when, `${path}.when`, env);
  return goal;
}

function compileLearning(raw: unknown, path: string): Learning {
  const l = raw ?? {};
  if (!isRecord(l)) throw new CatalogError(path, 'must be {models?, modelEvidence?, exploration?, randomPercent?, bits?}');
  if (l.models !== undefined && typeof l.models !== 'boolean') throw new CatalogError(`${path}.models`, 'must be true or false');
  if (l.exploration !== undefined && l.exploration !== 'thompson' && l.exploration !== 'none') {
    throw new CatalogError(`${path}.exploration`, 'must be "thompson" or "none"');
  }
  return {
    models: l.models !== false,
    modelEvidence: l.modelEvidence === undefined ? 200 : requireNumber(l.modelEvidence, `${path}.modelEvidence`, 1, 1e9),
    exploration: l.exploration ?? 'thompson',
    randomShare: (l.randomPercent === undefined ? 2 : requireNumber(l.randomPercent, `${path}.randomPercent`, 0, 100)) / 100,
    bits: l.bits === undefined ? 14 : requireNumber(l.bits, `${path}.bits`, 8, 22),
  };
}

function compilePolicy(raw: unknown): Policy {
  const path = 'policy';
  if (!isRecord(raw)) throw new CatalogError(path, 'must be the contact policy');
  const tz = requireString(raw.defaultTimezone, `${path}.defaultTimezone`);
  if (!isValidTimeZone(tz)) throw new CatalogError(`${path}.defaultTimezone`, `unknown time zone "${tz}"`);
  const caps = requireList(raw.caps, `${path}.caps`).map((c, i): Cap => {
    const cp = `${path}.caps[${i}]`;
    if (!isRecord(c)) throw new CatalogError(cp, 'must be {channel, max, window}');
    const channel = c.channel;
    if (channel !== '*' && channel !== 'any' && !isChannel(channel)) {
      throw new CatalogError(`${cp}.channel`, 'must be a channel, "*" (each channel) or "any" (all together)');
    }
    return {
      channel,
      max: requireNumber(c.max, `${cp}.max`, 0, 10_000),
      windowMs: parseDuration(c.window, `${cp}.window`),
    };
  });
  return {
    defaultTimezone: tz,
    caps,
    minProbability: requireNumber(raw.minResponsePercent, `${path}.minResponsePercent`, 0, 100) / 100,
    maxActions: requireNumber(raw.maxActions, `${path}.maxActions`, 1, 20),
    expiresInMs: parseDuration(raw.expiresIn, `${path}.expiresIn`),
    consentRequired: compileChannelList(raw.consentRequired, `${path}.consentRequired`),
    quietHours: (() => {
      const q = raw.quietHours;
      if (!isRecord(q)) throw new CatalogError(`${path}.quietHours`, 'must be {channels, weekdays, weekends}');
      return {
        channels: compileChannelList(q.channels, `${path}.quietHours.channels`),
        weekdays: compileHours(q.weekdays, `${path}.quietHours.weekdays`),
        weekends: compileHours(q.weekends, `${path}.quietHours.weekends`),
      };
    })(),
    recency: compileRecency(raw.recency, `${path}.recency`),
    sessionExempt: compileChannelList(raw.sessionExempt, `${path}.sessionExempt`),
    priorStrength: raw.priorStrength === undefined ? 20 : requireNumber(raw.priorStrength, `${path}.priorStrength`, 0, 1e9),
    suppression:
      raw.suppression === undefined
        ? { declines: 3, withinMs: 90 * 86_400_000, pauseMs: 90 * 86_400_000, scope: 'offer' }
        : compileSuppression(raw.suppression, `${path}.suppression`),
    maybeLater: (() => {
      const m = raw.maybeLater;
      if (m === undefined) return { weight: 0.5, ms: 14 * 86_400_000 };
      if (!isRecord(m)) throw new CatalogError(`${path}.maybeLater`, 'must be {weight, days}');
      return { weight: requireNumber(m.weight, `${path}.maybeLater.weight`, 0, 1), ms: requireNumber(m.days, `${path}.maybeLater.days`, 0, 3650) * 86_400_000 };
    })(),
    learning: compileLearning(raw.learning, `${path}.learning`),
    channelCapacity: (() => {
      const out = new Map<Channel, number>();
      const cc = raw.channelCapacity;
      if (cc === undefined) return out;
      if (!isRecord(cc)) throw new CatalogError(`${path}.channelCapacity`, 'must map channels to {perDay}');
      for (const [ch, v] of Object.entries(cc)) {
        if (!isChannel(ch)) throw new CatalogError(`${path}.channelCapacity.${ch}`, `unknown channel (known: ${channels.join(', ')})`);
        if (!isRecord(v)) throw new CatalogError(`${path}.channelCapacity.${ch}`, 'must be {perDay}');
        out.set(ch, requireNumber(v.perDay, `${path}.channelCapacity.${ch}.perDay`, 0, 1e9));
      }
      return out;
    })(),
  };
}

/** Checks a catalog definition and compiles it; throws CatalogError naming the first problem. */
export function compileCatalog(def: CatalogDef): Catalog {
  if (!isRecord(def)) throw new CatalogError('catalog', 'must be a catalog definition');
  checkDefinitionBounds(def);
  const version = requireNumber(def.version, 'version', 0, Number.MAX_SAFE_INTEGER);
  const policy = compilePolicy(def.policy);

  const featureDefs = requireList(def.features, 'features') as FeatureDef[];
  const featureIds = new Set(featureDefs.map((f) => (isRecord(f) ? String(f.id) : '')));
  const features = featureDefs.map((f, i) => compileFeature(f, `features[${i}]`, featureIds));
  uniqueIds(features, 'features');
  featureSeries(features, featureDefs as unknown as Record<string, unknown>[]);

  const scoreList = (def.scores === undefined ? [] : requireList(def.scores, 'scores')).map((raw, i): Score => {
    const p = `scores[${i}]`;
    if (!isRecord(raw)) throw new CatalogError(p, 'must be {id, terms}');
    const terms = requireList(raw.terms, `${p}.terms`).map((t, j) => {
      const tp = `${p}.terms[${j}]`;
      if (!isRecord(t)) throw new CatalogError(tp, 'must be {feature, weight, cap?}');
      const feature = requireString(t.feature, `${tp}.feature`);
      if (!featureIds.has(feature)) throw new CatalogError(`${tp}.feature`, `unknown feature "${feature}"`);
      return { feature, weight: requireNumber(t.weight, `${tp}.weight`, -1e6, 1e6), cap: t.cap === undefined ? Infinity : requireNumber(t.cap, `${tp}.cap`, 0, 1e12) };
    });
    if (terms.length === 0) throw new CatalogError(`${p}.terms`, 'must hold at least one term');
    return { id: requireId(raw.id, `${p}.id`), terms };
  });
  uniqueIds(scoreList, 'scores');
  const scores = new Map(scoreList.map((s) => [s.id, s]));
  const scoreIds = new Set(scores.keys());

  /** The features a rule reads, directly or through a score. */
  const inputsOf = (rule: unknown): Set<string> => {
    const inputs = new Set<string>();
    for (const attr of referencedAttrs(rule)) {
      const [root, ...rest] = attr.split('.');
      const name = rest.join('.');
      if (root === 'feature') inputs.add(name);
      if (root === 'score') for (const t of scores.get(name)?.terms ?? []) inputs.add(t.feature);
    }
    return inputs;
  };

  const segmentDefs = requireList(def.segments, 'segments');
  const segments = segmentDefs.map((s, i): Segment => {
    const p = `segments[${i}]`;
    if (!isRecord(s)) throw new CatalogError(p, 'must be {id, name, rule} or {id, name, members}');
    if (s.rule === undefined && s.members === undefined) throw new CatalogError(p, 'needs a rule, members, or both');
    const members = s.members === undefined ? [] : requireList(s.members, `${p}.members`).map((m, j) => requireString(m, `${p}.members[${j}]`));
    const segment: Segment = {
      id: requireId(s.id, `${p}.id`),
      name: requireString(s.name, `${p}.name`),
      members: new Set(members),
      inputs: inputsOf(s.rule),
    };
    if (s.rule !== undefined) segment.rule = compileCondition(s.rule, `${p}.rule`, { features: featureIds, scores: scoreIds, event: false });
    return segment;
  });
  uniqueIds(segments, 'segments');
  const segmentIds = new Set(segments.map((s) => s.id));

  const partners = requireList(def.partners, 'partners').map((p, i) => {
    const pp = `partners[${i}]`;
    if (!isRecord(p)) throw new CatalogError(pp, 'must be {id, kind, name, address, lat, lon}');
    const partner: PartnerDef = {
      id: requireId(p.id, `${pp}.id`),
      kind: requireString(p.kind, `${pp}.kind`),
      name: requireString(p.name, `${pp}.name`),
      address: requireString(p.address, `${pp}.address`),
      lat: requireNumber(p.lat, `${pp}.lat`, -90, 90),
      lon: requireNumber(p.lon, `${pp}.lon`, -180, 180),
    };
    if (p.note !== undefined) partner.note = requireString(p.note, `${pp}.note`);
    return partner;
  });
  uniqueIds(partners, 'partners');

  const places = requireList(def.places, 'places').map((p, i) => {
    const pp = `places[${i}]`;
    if (!isRecord(p)) throw new CatalogError(pp, 'must be {id, kind, name, address, lat, lon}');
    if (p.kind !== 'branch' && p.kind !== 'atm' && p.kind !== 'kiosk') throw new CatalogError(`${pp}.kind`, 'must be branch, atm or kiosk');
    return {
      id: requireString(p.id, `${pp}.id`),
      kind: p.kind,
      name: requireString(p.name, `${pp}.name`),
      address: requireString(p.address, `${pp}.address`),
      lat: requireNumber(p.lat, `${pp}.lat`, -90, 90),
      lon: requireNumber(p.lon, `${pp}.lon`, -180, 180),
    } satisfies PlaceDef;
  });
  uniqueIds(places, 'places');

  const offerList = requireList(def.offers, 'offers').map((o, i) => {
    const offer = compileOffer(o, `offers[${i}]`);
    const env: AttrEnv = { features: featureIds, scores: scoreIds, segments: segmentIds, event: true };
    for (const stage of stageFilters) {
      const rule = (o as Record<string, unknown>)[stage];
      if (rule !== undefined) offer.compiled[stage] = compileCondition(rule, `offers[${i}].${stage}`, env);
    }
    return offer;
  });
  uniqueIds(offerList, 'offers');
  const offerDefs = new Map(offerList.map((o) => [o.id, o]));

  const campaigns = requireList(def.campaigns, 'campaigns').map((c, i) =>
    compileCampaign(c, `campaigns[${i}]`, offerDefs, featureIds, scoreIds, segmentIds, partners, policy),
  );
  uniqueIds(campaigns, 'campaigns');

  const reminderEnv: AttrEnv = { features: featureIds, scores: scoreIds, segments: segmentIds, event: true };
  const reminders = (def.reminders === undefined ? [] : requireList(def.reminders, 'reminders')).map((raw, i): Reminder => {
    const p = `reminders[${i}]`;
    if (!isRecord(raw)) throw new CatalogError(p, 'must be {id, on, event, at?, offset?}');
    const on = requireList(raw.on, `${p}.on`).map((e, j) => requireString(e, `${p}.on[${j}]`));
    if (on.length === 0) throw new CatalogError(`${p}.on`, 'must name at least one event type');
    const r: Reminder = { id: requireId(raw.id, `${p}.id`), on: new Set(on), offsetMs: 0, event: requireString(raw.event, `${p}.event`) };
    if (raw.offset !== undefined) {
      const text = typeof raw.offset === 'string' ? raw.offset : '';
      const negative = text.startsWith('-');
      r.offsetMs = (negative ? -1 : 1) * parseDuration(negative ? text.slice(1) : text, `${p}.offset`);
    }
    if (raw.at !== undefined) r.at = compileAttr(raw.at, `${p}.at`, reminderEnv);
    return r;
  });
  uniqueIds(reminders, 'reminders');

  const featuresByEvent = new Map<string, Feature[]>();
  for (const f of features) {
    for (const e of f.events) featuresByEvent.set(e, [...(featuresByEvent.get(e) ?? []), f]);
  }
  return {
    version,
    features,
    featuresByEvent,
    featureById: new Map(features.map((f) => [f.id, f])),
    scores,
    segments,
    offers: new Map(offerList.map((o) => [o.id, o.compiled])),
    campaigns,
    places: new Map(places.map((p) => [p.id, p])),
    reminders,
    policy,
    def,
  };
}
