import type { Condition } from '../condition.js';
import type { Channel } from './channels.js';
import type { FeatureAggregate } from './feature-window.js';

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
