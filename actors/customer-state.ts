import type { ContactIdentifierKind } from './gateway-event.js';
import { contactIdentifierKinds } from './gateway-event.js';

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
  /**
   * YYYY-MM-DD, from the bank's import: where it is known, rules and templates read `age` from
   * it at the decision's local day (`ageOn`), so it moves on as birthdays pass
   */
  birthDate?: string;
  /** the bank's own columns beyond the canonical ones, typed as the import stored them (docs/import.md) */
  attributes?: Record<string, ProfileAttribute>;
}

/**
 * An imported attribute's value: a number, a boolean, a date (a `YYYY-MM-DD` string) or text.
 * Rules read them as `profile.attributes.<name>` (docs/catalog.md).
 */
export type ProfileAttribute = string | number | boolean;

/** The profile's scalar fields (all but `birthDate` and `attributes`). */
export type ProfileScalarField = Exclude<keyof Profile, 'birthDate' | 'attributes'>;

/** The numeric, boolean and string profile fields, by name, for rules and for validation. */
export const profileFieldTypes: Readonly<Record<ProfileScalarField, 'string' | 'number' | 'boolean'>> = {
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

/** A `YYYY-MM-DD` date that exists on the calendar. */
export function isIsoDate(v: unknown): v is string {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(v);
}

/**
 * Whole years from a `YYYY-MM-DD` birth date to a local day (days since 1970-01-01 in the
 * customer's time zone, as `localTime(t, tz).epochDay` gives): the age on that day. One born on
 * 29 February is a year older on 1 March in common years. Undefined for a date that is not one.
 */
export function ageOn(birthDate: string, epochDay: number): number | undefined {
  if (!isIsoDate(birthDate)) return undefined;
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  const today = new Date(epochDay * 86_400_000);
  const month = today.getUTCMonth() + 1;
  const before = month < m || (month === m && today.getUTCDate() < d);
  return today.getUTCFullYear() - y - (before ? 1 : 0);
}

/** The customer's age on a local day: from the birth date where one is known, else the profile's `age`. */
export function profileAge(profile: Profile, epochDay: number | undefined): number | undefined {
  if (profile.birthDate !== undefined && epochDay !== undefined) return ageOn(profile.birthDate, epochDay) ?? profile.age;
  return profile.age;
}

/**
 * The context with the bank's imported master data laid over it (the direct import,
 * src/cli/import-command.ts, on a stored snapshot): the profile as imported (the fields, birth
 * date and attributes it names replace the context's; attributes it does not name stay). The
 * next decision evaluates every segment again (the memory of the last
 * full evaluation is dropped), so memberships follow the new profile. The same context when
 * nothing changes.
 */
export function withImportedProfile(ctx: CustomerContext, profile: Profile): CustomerContext {
  const next: Profile = { ...ctx.profile, ...profile };
  if (profile.attributes !== undefined) next.attributes = { ...ctx.profile.attributes, ...profile.attributes };
  if (sameJson(next, ctx.profile)) return ctx;
  const out: CustomerContext = { ...ctx, profile: next };
  delete out.segmentsEvaluated;
  return out;
}

/**
 * The consents the bank's master data moved, laid over the customer's (the direct import, on
 * a stored snapshot, as the admin route's `consent.granted` / `consent.revoked` events do for
 * a live customer): each channel granted or withdrawn at `at`, its source `import`. The same
 * context when nothing moves.
 */
export function withImportedConsents(ctx: CustomerContext, moves: { granted: readonly string[]; revoked: readonly string[] }, at: number): CustomerContext {
  if (moves.granted.length === 0 && moves.revoked.length === 0) return ctx;
  const consents = { ...ctx.consents };
  for (const ch of moves.revoked) consents[ch] = { granted: false, at, source: 'import' };
  for (const ch of moves.granted) consents[ch] = { granted: true, at, source: 'import' };
  return { ...ctx, consents };
}

/**
 * The bank's master data laid over the customer's identifiers (docs/import.md): for each kind
 * the record lists, the record's values first (the first phone is the one SMS go to), then
 * those the customer's events added that the record did not drop; `dropped` (identifiers an
 * earlier record listed and this one does not) leave the customer. The same context when
 * nothing changes.
 */
export function withMasterIdentifiers(ctx: CustomerContext, identifiers: Partial<Identifiers>, dropped?: Partial<Identifiers>): CustomerContext {
  let next: Identifiers | undefined;
  for (const kind of contactIdentifierKinds) {
    const master = identifiers[kind];
    const gone = dropped?.[kind];
    if (master === undefined && gone === undefined) continue;
    const had = ctx.identifiers[kind];
    const list = [...new Set([...(master ?? []), ...had.filter((v) => gone?.includes(v) !== true)])];
    if (list.length === had.length && list.every((v, i) => v === had[i])) continue;
    (next ??= { ...ctx.identifiers })[kind] = list;
  }
  return next === undefined ? ctx : { ...ctx, identifiers: next };
}

function sameJson(a: Profile, b: Profile): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof Profile>;
  for (const k of keys) {
    const x = a[k];
    const y = b[k];
    if (typeof x === 'object' && typeof y === 'object') {
      if (JSON.stringify(Object.entries(x).sort()) !== JSON.stringify(Object.entries(y).sort())) return false;
    } else if (x !== y) return false;
  }
  return true;
}

export interface LifecycleEntry {
  stage: LifecycleStage;
  at: number;
  reason: string;
}

/**
 * A windowed feature's day buckets, flat: five numbers a day, oldest day first: [epoch day in
 * the customer's time zone, count, sum, smallest, largest value that day, the next day, ...].
 * One array a feature, not an array a day: a customer active every day keeps up to two
 * months of buckets of each feature, and each array is two heap objects more for the garbage
 * collector to mark. (Snapshot version 4 held an array a day, `[day, count, sum, min?, max?]`;
 * the migration to version 5 flattens it, the average for a missing min or max.)
 */
export type DaySeries = number[];

/** The numbers of one day in a DaySeries. */
export const BUCKET_SIZE = 5;

/**
 * `shown`: returned to the gateway for its screen; `queued`: in the outbox;
 * `delivered` / `failed`: as the delivery endpoint confirmed; `suppressed`: cancelled at send
 * time (the reason in `suppressed`).
 */
export const deliveryStatuses = ['shown', 'queued', 'delivered', 'failed', 'withheld', 'suppressed'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** Why a queued message was cancelled at send time: the stop list, no consent for the channel, or the offer expired. */
export const suppressReasons = ['stop_list', 'no_consent', 'expired'] as const;
export type SuppressReason = (typeof suppressReasons)[number];

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
  /** with `delivery: 'suppressed'`: why it was cancelled at send time */
  suppressed?: SuppressReason;
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
  /** the outbound run that made it (actors/outbound-run.ts) */
  run?: string;
}

/**
 * What became of a message quiet hours held back (actors/decision/deferral.ts): `deferred`,
 * waiting for its retry at `retryAt`; `retried`, decided again at its retry (`outcome`:
 * `offered`, `control`, or the suppression's reason); `expired`, dropped because its offer
 * would have closed before the customer's window opened (or did, before the retry fired);
 * `superseded`, replaced by a later deferral of the same campaign (one waits per campaign).
 */
export const deferralStatuses = ['deferred', 'retried', 'expired', 'superseded'] as const;
export type DeferralStatus = (typeof deferralStatuses)[number];

/** One message quiet hours held back, kept in the customer's history (bounded: `retention.deferrals`). */
export interface DeferralRecord {
  campaign: string;
  /** when the decision held it back */
  at: number;
  status: DeferralStatus;
  /** the channels the customer's quiet hours blocked */
  channels: string[];
  reason: 'quiet_hours';
  /** the event type that triggered the campaign */
  trigger: string;
  /** while `deferred`: when it will be decided again (the customer's next allowed window) */
  retryAt?: number;
  /** the latest its offer may expire (absent when it expired at the decision) */
  until?: number;
  /** when it stopped waiting (retried, expired at its retry, superseded) */
  resolvedAt?: number;
  /** with `retried`: `offered`, `control` or the reason it was suppressed at its retry */
  outcome?: string;
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
  /** scalars only, bounded (limits.ts, `boundedResponseData`) */
  data?: Record<string, unknown>;
  /** how many responses gave this outcome to this instance (absent: one); the record is the latest of them */
  count?: number;
}

/**
 * The request ids a customer has seen, with the answers they got, so that a repeated id gets
 * the same answer: three columns, oldest first, one entry in each per request. Columns, not
 * an object per entry: as rows, 32 requests were 32 objects and 32 boxed times (~2 KB and
 * ~60 heap objects) in every live customer for the garbage collector to mark; as columns
 * they are three arrays, the times unboxed. How long and how many are kept: `appendSeen`.
 */
export interface SeenLog {
  /** the request ids */
  id: string[];
  /** when each came: the server's clock when it arrived, ms (snapshots before version 6: the message's time) */
  at: number[];
  /** an event's decision's actions (the shared NO_ACTIONS when none); null for a response (its reply is a plain ack) */
  actions: Array<DecisionAction[] | null>;
}

/**
 * The one shared, frozen empty list, for any element type: what a step hands back where it
 * has nothing (most events trigger, expire and convert nothing). Read only.
 */
export const NOTHING: never[] = Object.freeze([]) as unknown as never[];

/**
 * The recorded actions of every event that got none, shared (and frozen): most events get
 * none, and a customer remembers many of them.
 */
export const NO_ACTIONS: DecisionAction[] = NOTHING;

/** The recorded form of a decision's actions: the shared NO_ACTIONS when there are none. */
export function recordedActions(actions: DecisionAction[]): DecisionAction[] {
  return actions.length === 0 ? NO_ACTIONS : actions;
}

export function emptySeen(): SeenLog {
  return { id: [], at: [], actions: [] };
}

/** Where request `id` is in the log (the latest entry of it), or -1. */
export function seenIndex(seen: SeenLog, id: string): number {
  return seen.id.lastIndexOf(id);
}

/** Whether a remembered answer made a contact (an event's decision with actions): a repeat of it must not make another. */
function madeContact(actions: DecisionAction[] | null | undefined): boolean {
  return actions !== null && actions !== undefined && actions.length > 0;
}

/**
 * The log with one more entry. Entries that came before `oldest` are dropped (the retention
 * is by time, however many requests came since); then, while `max` or more would remain, the
 * oldest entry whose answer made no contact (a repeat of it cannot make a second one). An
 * entry whose answer made a contact is never dropped for room: when every entry within the
 * retention made one, the log grows past `max` (see `seenFull`: a gateway's request is
 * refused before it comes to that; only the server's own reminders are let through). New
 * arrays of the exact length (the log is immutable, like the rest of the context).
 */
export function appendSeen(seen: SeenLog, id: string, at: number, actions: DecisionAction[] | null, max: number, oldest: number): SeenLog {
  const n = seen.id.length;
  let keep: number[] | undefined;
  let aged = false;
  for (let i = 0; i < n; i++) {
    if ((seen.at[i] as number) < oldest) {
      aged = true;
      break;
    }
  }
  if (aged || n + 1 > max) {
    keep = [];
    for (let i = 0; i < n; i++) if ((seen.at[i] as number) >= oldest) keep.push(i);
    let excess = keep.length + 1 - max;
    if (excess > 0) {
      const room: number[] = [];
      for (const i of keep) {
        if (excess > 0 && !madeContact(seen.actions[i])) excess--;
        else room.push(i);
      }
      keep = room;
    }
  }
  const len = (keep?.length ?? n) + 1;
  const ids = new Array<string>(len);
  const ats = new Array<number>(len);
  const acts = new Array<DecisionAction[] | null>(len);
  for (let j = 0; j < len - 1; j++) {
    const i = keep === undefined ? j : (keep[j] as number);
    ids[j] = seen.id[i] as string;
    ats[j] = seen.at[i] as number;
    acts[j] = seen.actions[i] ?? null;
  }
  ids[len - 1] = id;
  ats[len - 1] = at;
  acts[len - 1] = actions;
  return { id: ids, at: ats, actions: acts };
}

/**
 * Whether the log has no room for another request without forgetting a contact: `max` or
 * more entries came at `oldest` or later, and every one of them made a contact.
 */
export function seenFull(seen: SeenLog, max: number, oldest: number): boolean {
  let within = 0;
  for (let i = 0; i < seen.id.length; i++) {
    if ((seen.at[i] as number) < oldest) continue;
    if (!madeContact(seen.actions[i])) return false;
    within++;
  }
  return within >= max;
}

/**
 * The context with every recorded empty decision as the shared NO_ACTIONS: what a store
 * hands back (each entry decoded into an array of its own) made as compact as what the brain
 * records. The same context when there is nothing to share.
 */
export function withSharedNoActions(ctx: CustomerContext): CustomerContext {
  const seen = ctx.seen as SeenLog | undefined;
  if (typeof seen !== 'object' || seen === null || !Array.isArray(seen.actions)) return ctx;
  const sharable = (a: DecisionAction[] | null): boolean => Array.isArray(a) && a.length === 0 && a !== NO_ACTIONS;
  if (!seen.actions.some(sharable)) return ctx;
  return { ...ctx, seen: { ...seen, actions: seen.actions.map((a) => (sharable(a) ? NO_ACTIONS : a)) } };
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
  segmentsEvaluated?: { day: number; catalog: number; stage: LifecycleStage; rules?: number };
  /**
   * The local day the armed segment timer fires at the start of: the next day a membership can
   * change with no event (segment-timer.ts). Absent: none armed.
   */
  segmentsCheckDay?: number;
  /** feature series id -> its day buckets (DaySeries) */
  features: Record<string, DaySeries>;
  contacts: ContactRecord[];
  /** messages quiet hours held back, oldest first (absent: none; snapshots before it have none) */
  deferrals?: DeferralRecord[];
  /** outbound runs this customer was handed, and what became of each (actors/outbound-run.ts); the latest RUNS_REMEMBERED */
  runs?: Record<string, string>;
  /** the campaigns this customer became a warm lead of, and when (actors/call-outcomes.ts); the latest LEADS_REMEMBERED */
  leads?: Record<string, number>;
  pending: OfferInstance[];
  /**
   * Operator calls closed unanswered (`no_answer`, or expired with nothing reported) that
   * taught nothing, kept with what their models need (`x`, `p`, `arm`) so that the call's late
   * `accepted` or `declined` teaches once, and with the offer's variables (`vars`) so that a late
   * `accepted` queues the offer's back-office action with them (actors/respond.ts;
   * `keptForLateAnswer`); the latest UNTAUGHT_CALLS_KEPT, as long as their contact record is
   * kept (absent: none).
   */
  untaught?: OfferInstance[];
  responses: ResponseRecord[];
  seen: SeenLog;
  /** offer-instance sequence, for deterministic instance ids */
  seq: number;
  createdAt: number;
  lastEventAt?: number;
}

/** How many closed, untaught calls a customer keeps for their late answers (`untaught`). */
export const UNTAUGHT_CALLS_KEPT = 20;

/**
 * The context with `closed` (operator calls closed unanswered, untaught) kept for a late
 * answer: the latest UNTAUGHT_CALLS_KEPT whose contact record is still kept.
 */
export function keepUntaught(ctx: CustomerContext, closed: readonly OfferInstance[]): CustomerContext {
  if (closed.length === 0) return ctx;
  const kept = new Set(ctx.contacts.map((c) => c.instance));
  const again = new Set(closed.map((p) => p.instance));
  const untaught = [...(ctx.untaught ?? []).filter((p) => !again.has(p.instance)), ...closed].filter((p) => kept.has(p.instance)).slice(-UNTAUGHT_CALLS_KEPT);
  return { ...ctx, untaught };
}

/** How much history one actor keeps: bounded, so a busy customer cannot grow without limit. */
export const retention = {
  contacts: 500,
  contactDays: 90,
  responses: 200,
  /** lifecycle entries kept (request ids: `CustomerLimits` in limits.ts, a setting) */
  lifecycle: 50,
  /** deferral records kept (the oldest resolved ones go first; also dropped after `contactDays`) */
  deferrals: 50,
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
    seen: emptySeen(),
    seq: 0,
    createdAt: input.at,
  };
}
