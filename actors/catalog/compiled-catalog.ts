import type { SegmentClock } from '../segment-timer.js';
import type { Getter, Predicate } from '../condition.js';
import type { CompiledTemplate } from '../template.js';
import type { Channel, ChannelKind } from './channels.js';
import type { CampaignStatus, CatalogDef, PartnerDef, PlaceDef } from './definition-schema.js';
import type { FeatureAggregate, FeatureWindow } from './feature-window.js';
import type { ModelSpec } from '../propensity/model-features.js';

/** The compiled catalog: what the actor evaluates (`compileCatalog` makes it from the definitions). */

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
  /** what its adaptive model leaves out, bins differently and crosses (the catalog's `model`) */
  model?: ModelSpec;
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
  /** what the offer's model reads for this campaign: the offer's `model` merged with the campaign's */
  model: ModelSpec;
  contextWeights: Partial<Record<Channel, number>>;
  suppression: Suppression;
  goal?: Goal;
  followUp?: { afterMs: number; event: string };
  /** screen and operator channels reached outside a session, through the outbox */
  pushTo: ReadonlySet<Channel>;
  /** an outbound campaign: triggered only by its runs (actors/outbound-run.ts), never by an event */
  outbound?: Outbound;
}

/** When an outbound campaign's runs start by themselves, in the policy's default time zone. */
export type OutboundSchedule = { once: number } | { daily: number } | { weekly: { weekday: number; minuteOfDay: number } };

export interface Outbound {
  /** a run's segments (a customer in any of them); empty: the whole base */
  segments: readonly string[];
  schedule?: OutboundSchedule;
  /** call-centre waves (docs/outbound.md#call-centre-waves) */
  waves?: Waves;
}

/** Call-centre waves: each wave a run calling in order of expected value; the next re-calls those not reached. */
export interface Waves {
  /** waves in all, the first included */
  count: number;
  /** how long after a wave finished the next one starts */
  everyMs: number;
  /** the operator channel the calls go to (the first of the campaign's channels it pushes to) */
  channel: Channel;
  warmLeads?: WarmLeads;
}

/** Who becomes a warm lead from the calls' outcomes. */
export interface WarmLeads {
  /** interest (1..100) at or above which a customer becomes one (0 would make every call's customer one) */
  threshold: number;
  /** the interest each outcome means (a response's `data.interest` overrides it) */
  interest: ReadonlyMap<string, number>;
  /** the back-office action that notifies the manager */
  action: string;
}

/** The interest an outcome means when a campaign's `warmLeads.interest` does not say. */
export const defaultInterest: ReadonlyMap<string, number> = new Map([
  ['interested', 80],
  ['callback', 60],
  ['later', 50],
]);

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
  /** drift: answers after which an earlier one weighs half (group probabilities, model learning rates); 0 never forgets */
  halfLife: number;
  /** the random arm reaches customers below the propensity floor too (within every contact rule) */
  belowFloor: boolean;
  /** a model's AUC and lift are shown from this many answers behind them (200) … */
  figureAnswers: number;
  /** … with at least this many positive and this many negative (20) */
  figureOutcomes: number;
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
  /** what segment rules read that time moves (segment-timer.ts) */
  segmentClock: SegmentClock;
  /**
   * A hash of what memberships depend on in the catalog (the segments, features and scores, the
   * default time zone): a catalog change that leaves it alone (a campaign's text, a status)
   * sends no customer back to be evaluated by the sweep.
   */
  segmentsFingerprint: number;
  offers: ReadonlyMap<string, Offer>;
  campaigns: readonly Campaign[];
  places: ReadonlyMap<string, PlaceDef>;
  reminders: readonly Reminder[];
  policy: Policy;
  /** the definition this was compiled from */
  def: CatalogDef;
}


/** The stage filters, in the order they are checked. */
export const stageFilters = ['eligibility', 'applicability', 'suitability'] as const;
