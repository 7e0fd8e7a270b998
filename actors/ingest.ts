import type { Catalog, Segment } from './catalog/compiled-catalog.js';
import type { EvalScope } from './condition.js';
import type { Consent, CustomerContext, DaySeries, Identifiers, OfferInstance, Profile, ProfileAttribute } from './customer-state.js';
import { NOTHING, isIsoDate, profileFieldTypes, retention } from './customer-state.js';
import { addToBuckets, bucketsOf } from './features.js';
import type { ContactIdentifierKind, GatewayEvent } from './gateway-event.js';
import { contactIdentifierKinds } from './gateway-event.js';
import { channels } from './catalog/channels.js';
import { stateBounds } from './limits.js';
import { localTime, startOfLocalDay } from './local-time.js';
import { customerTimeZone, makeScope } from './scope.js';
import { SEGMENTS_CHECK_EVENT } from './segment-timer.js';

/**
 * What an event teaches the actor before any decision: new identifiers, profile changes,
 * windowed features, segment entries and exits, and which open offers ran out of time.
 */

export interface IdentifierLink {
  kind: ContactIdentifierKind;
  value: string;
}

export interface SegmentChange {
  segment: string;
  change: 'entered' | 'exited';
}

export interface IngestResult {
  ctx: CustomerContext;
  links: IdentifierLink[];
  segmentChanges: SegmentChange[];
  /** offers that ran out of time unanswered with this event */
  expired: OfferInstance[];
  /** the local day segments were evaluated on (the later of the event's and now's, customer's time zone) */
  segmentsDay: number;
  /** segments were evaluated afresh: never before (imported, merged) or under another catalog (the time zone may have moved) */
  segmentsReset: boolean;
}

/**
 * Identifiers the event names that the profile does not hold yet, while the profile holds
 * fewer than `stateBounds.identifiers` of that kind: past it a new one is neither added nor
 * indexed (every index entry stays one the profile lists, so erasure finds them all).
 */
export function newIdentifiers(identifiers: Identifiers, event: GatewayEvent): IdentifierLink[] {
  const links: IdentifierLink[] = [];
  for (const kind of contactIdentifierKinds) {
    const value = event.customer[kind];
    if (value !== undefined && !identifiers[kind].includes(value) && identifiers[kind].length < stateBounds.identifiers[kind]) links.push({ kind, value });
  }
  return links;
}

const knownChannels: ReadonlySet<string> = new Set(channels);

/** The profile fields a `profile.updated` event carries in `data`, typed as the profile wants. */
function profilePatch(data: Record<string, unknown> | undefined): Partial<Profile> {
  const patch: Record<string, unknown> = {};
  if (data === undefined) return {};
  for (const [key, type] of Object.entries(profileFieldTypes)) {
    const v = data[key];
    if (typeof v === type && (typeof v !== 'string' || v.length <= stateBounds.profileStringChars)) patch[key] = v;
  }
  // The import's birth date and typed attributes (docs/import.md): dates that are dates,
  // scalars, bounded (a gateway could send anything here).
  if (isIsoDate(data.birthDate)) patch.birthDate = data.birthDate;
  const attrs = data.attributes;
  if (attrs !== null && typeof attrs === 'object' && !Array.isArray(attrs)) {
    const kept: Record<string, ProfileAttribute> = {};
    let n = 0;
    for (const [k, v] of Object.entries(attrs as Record<string, unknown>)) {
      if (n >= stateBounds.profileAttributes) break;
      if (k.length > stateBounds.profileAttributeKeyChars) continue;
      if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= stateBounds.profileStringChars)) {
        kept[k] = v;
        n++;
      }
    }
    if (n > 0) patch.attributes = kept;
  }
  // Every key copied is a profile field holding a value of that field's type.
  return patch;
}

/** Reply words that withdraw consent to marketing SMS ("СТОП"). */
export const smsStopWords: ReadonlySet<string> = new Set(['стоп', 'stop', 'отписаться', 'unsubscribe']);

/** Consent changes an event carries: `consent.granted` / `consent.revoked` with `data.channel` or `data.channels`, or an SMS "СТОП". */
function consentChanges(event: GatewayEvent, t: number): Record<string, Consent> {
  const out: Record<string, Consent> = {};
  if (event.type === 'consent.granted' || event.type === 'consent.revoked') {
    const d = event.data ?? {};
    const list = Array.isArray(d.channels) ? d.channels : [d.channel];
    for (const ch of list) {
      // Channels Kairos knows only: a consent map keyed by whatever a gateway sends would grow without bound.
      if (typeof ch === 'string' && knownChannels.has(ch)) out[ch] = { granted: event.type === 'consent.granted', at: t, source: event.type };
    }
  }
  const text = event.data?.text;
  if (event.type === 'sms.received' && typeof text === 'string' && smsStopWords.has(text.trim().toLowerCase())) {
    out.sms = { granted: false, at: t, source: 'sms_reply' };
  }
  return out;
}

/** Closes offers whose time ran out: they leave `pending`, and their contacts read "expired". */
export function expireOffers(ctx: CustomerContext, t: number): { ctx: CustomerContext; expired: OfferInstance[] } {
  let expired: OfferInstance[] | undefined;
  for (const p of ctx.pending) if (p.expiresAt <= t) (expired ??= []).push(p);
  if (expired === undefined) return { ctx, expired: NOTHING };
  const gone = new Set(expired.map((p) => p.instance));
  return {
    ctx: {
      ...ctx,
      pending: ctx.pending.filter((p) => !gone.has(p.instance)),
      contacts: ctx.contacts.map((c) => (gone.has(c.instance) && c.outcome === undefined ? { ...c, outcome: 'expired' } : c)),
    },
    expired,
  };
}

/** Drops contact history past its retention (age, then count). */
export function pruneContacts(ctx: CustomerContext, t: number): CustomerContext {
  const oldest = t - retention.contactDays * 86_400_000;
  if (ctx.contacts.length <= retention.contacts && (ctx.contacts[0]?.at ?? t) >= oldest) return ctx;
  const kept = ctx.contacts.filter((c) => c.at >= oldest);
  return { ...ctx, contacts: kept.slice(-retention.contacts) };
}

const seriesIds = new WeakMap<Catalog, ReadonlySet<string>>();

/**
 * The context without the feature series of features the catalog no longer has (a catalog
 * change re-evaluates everything: the series kept are those of its features, and the lists
 * its features' members kept before they shared a series). The same context when none.
 */
export function withCatalogFeatures(ctx: CustomerContext, catalog: Catalog): CustomerContext {
  let ids = seriesIds.get(catalog);
  if (ids === undefined) {
    const set = new Set<string>();
    for (const f of catalog.features) {
      set.add(f.id);
      set.add(f.series);
    }
    ids = set;
    seriesIds.set(catalog, ids);
  }
  const known = ids;
  const stale = Object.keys(ctx.features).filter((id) => !known.has(id));
  if (stale.length === 0) return ctx;
  const features = { ...ctx.features };
  for (const id of stale) delete features[id];
  return { ...ctx, features };
}

/** The features an event that feeds none fed (shared, never added to). */
const NO_IDS: ReadonlySet<string> = new Set();

function readsAny(inputs: ReadonlySet<string>, fed: ReadonlySet<string>): boolean {
  for (const f of inputs) if (fed.has(f)) return true;
  return false;
}

/** Whether the customer belongs to segment `s`: listed by hand, or its rule holds in `scope`. */
function isMember(s: Segment, ctx: CustomerContext, scope: EvalScope): boolean {
  return s.members.has(ctx.id) || (s.rule?.(scope) ?? false);
}

/**
 * The customer's memberships on local day `today` (segment id -> when entered): the stored
 * ones when they were evaluated that day under this catalog, else every segment evaluated
 * again, one the stored memberships do not hold yet entered at the day's local midnight (when
 * time moved the customer in; the same on every read). For a view (the card), so it never
 * shows a membership time has ended before the segment timer's step commits.
 */
export function membershipsOn(ctx: CustomerContext, catalog: Catalog, today: number): Record<string, number> {
  const last = ctx.segmentsEvaluated;
  if (last !== undefined && last.day === today && last.catalog === catalog.version && last.stage === ctx.stage) return ctx.segments;
  const scope = makeScope(ctx, catalog, today);
  const out: Record<string, number> = {};
  let midnight: number | undefined;
  for (const s of catalog.segments) {
    if (isMember(s, ctx, scope)) out[s.id] = ctx.segments[s.id] ?? (midnight ??= startOfLocalDay(today, customerTimeZone(ctx, catalog)));
  }
  return out;
}

/**
 * `now` (the server's clock, when the caller has it): segments are evaluated on the local day of
 * the later of the event's time and now, so a late event counts in its own day's buckets but
 * never takes memberships back to an older day (a customer out of a segment for a day, back in
 * at the next timer: its entry campaigns twice).
 */
export function ingestEvent(prev: CustomerContext, event: GatewayEvent, t: number, catalog: Catalog, now?: number): IngestResult {
  // The one copy of the context this event makes: its own, so the parts that change are set
  // on it in place (each part that changes is a new object; `prev` and its parts are never touched).
  let ctx: CustomerContext = { ...prev, lastEventAt: Math.max(prev.lastEventAt ?? t, t) };

  const links = newIdentifiers(ctx.identifiers, event);
  if (links.length > 0) {
    const identifiers: Identifiers = { ...ctx.identifiers };
    for (const { kind, value } of links) identifiers[kind] = [...identifiers[kind], value];
    ctx.identifiers = identifiers;
  }

  const consents = consentChanges(event, t);
  if (Object.keys(consents).length > 0) ctx.consents = { ...ctx.consents, ...consents };

  if (event.type === 'profile.updated') {
    const patch = profilePatch(event.data);
    if (Object.keys(patch).length > 0) {
      const profile = { ...ctx.profile, ...patch };
      if (patch.attributes !== undefined) profile.attributes = { ...ctx.profile.attributes, ...patch.attributes };
      ctx.profile = profile;
    }
  }

  const local = localTime(t, customerTimeZone(ctx, catalog));
  const today = local.epochDay;
  const fed = catalog.featuresByEvent.get(event.type);
  let fedIds = NO_IDS;
  if (fed !== undefined) {
    const ids = new Set<string>();
    fedIds = ids;
    const scope = makeScope(ctx, catalog, today, event);
    // One copy of the feature map for the event, however many features it feeds.
    let features: Record<string, DaySeries> | undefined;
    // Features sharing a series (same events, filter and field) are fed once: whether the
    // first member's filter and field let it count is the answer for all of them.
    let seriesFed: Map<string, boolean> | undefined;
    for (const f of fed) {
      const shared = f.seriesMembers.length > 1;
      const earlier = shared ? seriesFed?.get(f.series) : undefined;
      if (earlier !== undefined) {
        if (earlier) ids.add(f.id);
        continue;
      }
      let counts = f.where === undefined || f.where(scope);
      let amount = 0;
      if (counts && f.field !== undefined) {
        const raw = f.field(scope);
        amount = typeof raw === 'number' ? raw : Number(raw);
        counts = Number.isFinite(amount);
      }
      if (shared) (seriesFed ??= new Map()).set(f.series, counts);
      if (!counts) continue;
      features ??= { ...ctx.features };
      // The series keeps the days its longest window reads (not the catalog's longest window:
      // a customer active daily kept 90 buckets of a 30-day feature), under its own id; the
      // members' own lists from before a grouping are folded into it and dropped.
      features[f.series] = addToBuckets(bucketsOf(features, f), today, amount, f.keepDays);
      if (shared) for (const id of f.seriesMembers) if (id !== f.series) delete features[id];
      ids.add(f.id);
    }
    if (features !== undefined) ctx.features = features;
  }

  // Incremental: a new day (windows slide), another catalog, another stage or a profile change
  // re-evaluates every segment; otherwise only those that read a feature this event fed.
  const last = ctx.segmentsEvaluated;
  // Now's local day only when now may be past the event day's midnight (most events: not).
  const day = now !== undefined && now - t >= 86_400_000 - (local.minuteOfDay + 1) * 60_000 ? localTime(now, customerTimeZone(ctx, catalog)).epochDay : today;
  const full =
    last === undefined ||
    last.day !== day ||
    last.catalog !== catalog.version ||
    last.stage !== ctx.stage ||
    event.type === 'profile.updated' ||
    event.type === SEGMENTS_CHECK_EVENT;
  const segmentChanges: SegmentChange[] = [];
  const scope = makeScope(ctx, catalog, day);
  for (const s of catalog.segments) {
    const was = ctx.segments[s.id];
    const evaluate = full || (fedIds.size > 0 && readsAny(s.inputs, fedIds));
    if (!evaluate) continue;
    const isIn = isMember(s, ctx, scope);
    if (isIn && was === undefined) segmentChanges.push({ segment: s.id, change: 'entered' });
    else if (!isIn && was !== undefined) segmentChanges.push({ segment: s.id, change: 'exited' });
  }
  // Unchanged memberships keep their object (one less copy to survive every event); a full
  // evaluation rebuilds it, dropping segments the catalog no longer has.
  if (segmentChanges.length > 0 || full) {
    const segments: Record<string, number> = {};
    const exited = new Set(segmentChanges.filter((c) => c.change === 'exited').map((c) => c.segment));
    for (const s of catalog.segments) {
      const was = ctx.segments[s.id];
      if (was !== undefined && !exited.has(s.id)) segments[s.id] = was;
      else if (was === undefined && segmentChanges.some((c) => c.segment === s.id && c.change === 'entered')) segments[s.id] = t;
    }
    ctx.segments = segments;
  }
  if (full && last?.catalog !== catalog.version) ctx = withCatalogFeatures(ctx, catalog);
  if (full) ctx.segmentsEvaluated = { day, catalog: catalog.version, stage: ctx.stage, rules: catalog.segmentsFingerprint };

  const closed = expireOffers(ctx, t);
  const reset = last === undefined || last.catalog !== catalog.version;
  return { ctx: pruneContacts(closed.ctx, t), links, segmentChanges, expired: closed.expired, segmentsDay: day, segmentsReset: reset };
}
