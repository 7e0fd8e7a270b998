import type { ContactIdentifierKind } from './gateway-event.js';

/** Where a customer stands with the bank. */
export const lifecycleStages = ['visitor', 'prospect', 'client', 'formerClient'] as const;
export type LifecycleStage = (typeof lifecycleStages)[number];

/** Profile attributes: master data from the bank (the demo loads them from the UCI data set). */
export interface Profile {
  firstName?: string;
  patronymic?: string;
  lastName?: string;
  gender?: 'm' | 'f';
  age?: number;
  job?: string;
  marital?: string;
  education?: string;
  /** has credit in default */
  creditDefault?: boolean;
  /** current-account balance, roubles */
  balance?: number;
  housingLoan?: boolean;
  personalLoan?: boolean;
  /** IANA time zone; the catalog's default (Europe/Moscow) when absent */
  timezone?: string;
  city?: string;
}

/** The numeric, boolean and string profile fields, by name, for rules and for validation. */
export const profileFieldTypes: Readonly<Record<keyof Profile, 'string' | 'number' | 'boolean'>> = {
  firstName: 'string',
  patronymic: 'string',
  lastName: 'string',
  gender: 'string',
  age: 'number',
  job: 'string',
  marital: 'string',
  education: 'string',
  creditDefault: 'boolean',
  balance: 'number',
  housingLoan: 'boolean',
  personalLoan: 'boolean',
  timezone: 'string',
  city: 'string',
};

export interface LifecycleEntry {
  stage: LifecycleStage;
  at: number;
  reason: string;
}

/**
 * A day bucket of a windowed feature: [epoch day in the customer's time zone, count, sum,
 * smallest, largest value that day]. (Buckets written before min and max were kept have
 * three elements; their average stands in for both.)
 */
export type DayBucket = [day: number, count: number, sum: number, min?: number, max?: number];

/**
 * `shown`: returned to the gateway for its screen; `queued`: in the outbox;
 * `delivered` / `failed`: as the delivery endpoint confirmed.
 */
export type DeliveryStatus = 'shown' | 'queued' | 'delivered' | 'failed' | 'withheld';

/** One contact Kairos made (or queued): the record the contact policy counts. */
export interface ContactRecord {
  instance: string;
  campaign: string;
  offer: string;
  channel: string;
  at: number;
  /** true for marketing contacts (counted by caps); false for service messages */
  marketing: boolean;
  delivery: DeliveryStatus;
  /** the customer's answer (accepted, declined, ...), or "expired" when none came in time */
  outcome?: string;
  /** a control-group customer: the offer was chosen but withheld ("would have offered") */
  control?: boolean;
  /** the target group the customer was offered it as */
  group?: string;
  /** which ranking chose it: the models, or the random control arm */
  arm?: 'model' | 'random';
  /** when a goal event of the campaign followed (the uplift report counts it once) */
  converted?: number;
}

/** A live offer instance awaiting the customer's answer. */
export interface OfferInstance {
  instance: string;
  campaign: string;
  offer: string;
  channel: string;
  at: number;
  expiresAt: number;
  /** the target group the customer was offered it as: responses teach that group's propensity */
  group?: string;
  /** the offer's computed variables (the credit amount, the rate), for the back office on acceptance */
  vars: Record<string, number | string>;
  /** the hashed features the offer's model scored: it learns from the answer with exactly these */
  x?: number[];
  /** the response probability the decision used */
  p?: number;
  arm?: 'model' | 'random';
}

export interface ResponseRecord {
  id: string;
  instance: string;
  campaign: string;
  offer: string;
  outcome: string;
  at: number;
  data?: Record<string, unknown>;
}

/** What the customer was told, kept so that a repeated event id gets the same answer. */
export interface RecordedDecision {
  actions: DecisionAction[];
}

/**
 * The recorded decision of every event that got no actions, shared (and frozen): most events
 * get none, and a customer remembers 32 of them. One object instead of a decision and an
 * empty array per entry is ~2 KB less per live customer and ~64 bytes less per event for the
 * garbage collector to copy.
 */
export const NO_ACTIONS: RecordedDecision = Object.freeze({ actions: Object.freeze([]) as unknown as DecisionAction[] });

/** The recorded form of a decision's actions: the shared NO_ACTIONS when there are none. */
export function recordedDecision(actions: DecisionAction[]): RecordedDecision {
  return actions.length === 0 ? NO_ACTIONS : { actions };
}

/** A recorded decision that is "no actions" and nothing else, in an object of its own. */
function sharable(s: SeenRequest): boolean {
  const d = s.decision;
  return d !== undefined && d !== NO_ACTIONS && Array.isArray(d.actions) && d.actions.length === 0 && Object.keys(d).length === 1;
}

/**
 * The context with every recorded decision without actions as the shared NO_ACTIONS: what
 * a store hands back (each entry decoded into objects of its own) made as compact as what
 * the brain records. The same context when there is nothing to share.
 */
export function withSharedNoActions(ctx: CustomerContext): CustomerContext {
  if (!Array.isArray(ctx.seen) || !ctx.seen.some(sharable)) return ctx;
  return { ...ctx, seen: ctx.seen.map((s) => (sharable(s) ? { ...s, decision: NO_ACTIONS } : s)) };
}

export interface SeenRequest {
  id: string;
  at: number;
  /** the decision for an event; absent for a response (its reply is a plain ack) */
  decision?: RecordedDecision;
}

/** One action of a decision (PROTOCOL.md, `decision`). */
export interface DecisionAction {
  instance: string;
  campaign: string;
  offer: string;
  channel: string;
  content: ChannelContent;
  expiresAt?: number;
}

export interface ScreenButton {
  id: string;
  label: string;
}

export type ChannelContent =
  | { text: string }
  | { title: string; text: string; buttons: ScreenButton[] }
  | { subject: string; text: string; html: string }
  | { script: string };

export type Identifiers = Record<ContactIdentifierKind, string[]>;

/** The customer's word on marketing contact over one channel. */
export interface Consent {
  granted: boolean;
  at: number;
  /** where it came from: the bank's import, an event type, an SMS reply */
  source: string;
}

/** The customer actor's context: everything Kairos knows of one customer. */
export interface CustomerContext {
  id: string;
  stage: LifecycleStage;
  profile: Profile;
  identifiers: Identifiers;
  /** channel -> the customer's consent to marketing on it */
  consents: Record<string, Consent>;
  lifecycle: LifecycleEntry[];
  /** segment id -> when the customer entered it */
  segments: Record<string, number>;
  /**
   * What the last full evaluation of segments saw: the local day, the catalog version and the
   * stage. Until one of them changes, an event re-evaluates only the segments that read a
   * feature it fed.
   */
  segmentsEvaluated?: { day: number; catalog: number; stage: LifecycleStage };
  /** feature id -> day buckets, oldest first */
  features: Record<string, DayBucket[]>;
  contacts: ContactRecord[];
  pending: OfferInstance[];
  responses: ResponseRecord[];
  seen: SeenRequest[];
  /** offer-instance sequence, for deterministic instance ids */
  seq: number;
  createdAt: number;
  lastEventAt?: number;
}

/** How much history one actor keeps: bounded, so a busy customer cannot grow without limit. */
export const retention = {
  contacts: 500,
  contactDays: 90,
  responses: 200,
  /**
   * request ids remembered for idempotency (with the decisions they got): a gateway's retry
   * comes within seconds, so the last 32 within 7 days are plenty, and the snapshot stays small
   */
  seen: 32,
  seenDays: 7,
  lifecycle: 50,
} as const;

export interface CustomerInput {
  id: string;
  stage: LifecycleStage;
  profile?: Profile;
  identifiers?: Partial<Identifiers>;
  consents?: Record<string, Consent>;
  /** when the profile was created (the first event, or the bank's import) */
  at: number;
  reason: string;
}

export function emptyIdentifiers(): Identifiers {
  return { card: [], phone: [], email: [], cookie: [] };
}

export function initialCustomerContext(input: CustomerInput): CustomerContext {
  const identifiers = emptyIdentifiers();
  for (const kind of Object.keys(identifiers) as ContactIdentifierKind[]) {
    identifiers[kind] = [...(input.identifiers?.[kind] ?? [])];
  }
  return {
    id: input.id,
    stage: input.stage,
    profile: { ...input.profile },
    identifiers,
    consents: { ...input.consents },
    lifecycle: [{ stage: input.stage, at: input.at, reason: input.reason }],
    segments: {},
    features: {},
    contacts: [],
    pending: [],
    responses: [],
    seen: [],
    seq: 0,
    createdAt: input.at,
  };
}
