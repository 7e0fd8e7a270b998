import type { Campaign, Catalog, Channel, ChannelTemplate, PartnerDef, PlaceDef, Policy } from './catalog.js';
import { runs } from './campaign.machine.js';
import { isChannel, isOutbound, stageFilters } from './catalog.js';
import type { EvalScope } from './condition.js';
import type { StopScope } from './contact-policy.js';
import { blockingCap, isStopped, isStoppedEverywhere } from './contact-policy.js';
import type { ChannelContent, ContactRecord, CustomerContext, DecisionAction, OfferInstance } from './customer-state.js';
import { formatClock, formatDate, formatNumber } from './format.js';
import type { GatewayEvent } from './gateway-event.js';
import type { LatLon } from './geo.js';
import { bearingDeg, directionRu, distanceM, walkingMinutes, walkingRouteUrl } from './geo.js';
import { fnv1a } from './hash.js';
import type { LocalTime } from './local-time.js';
import { inWindow, localTime } from './local-time.js';
import type { SegmentChange } from './ingest.js';
import type { OutboxEntry } from './outbox-entry.js';
import type { OfferModelView } from './propensity/ftrl.js';
import { hashFeature, hashFeatures, modelFeatureNames } from './propensity/model-features.js';
import type { Arm, GroupEvidence } from './propensity/prior.js';
import { evidenceKey, posteriorProbability } from './propensity/prior.js';
import type { Rng } from './propensity/random.js';
import { betaSample, seededRng } from './propensity/random.js';
import { customerTimeZone, makeScope } from './scope.js';
import type { SmsLength } from './sms-length.js';
import { smsLength } from './sms-length.js';
import type { RenderValues } from './template.js';
import type { ReminderSpec } from './reminders.js';
import { expiryReminder } from './reminders.js';
import { renderTemplate } from './template.js';

/**
 * The decision for one event: which active campaigns it triggers, which of those may speak
 * to this customer now (target group, stop list, caps, the propensity floor), the best
 * offer per channel slot, rendered for the channel. Every campaign the event triggered
 * leaves an explanation: offered, or the rule that suppressed it.
 */

export interface Explanation {
  campaign: string;
  /** `control`: the customer is in the campaign's control group; the offer was recorded, not made */
  verdict: 'offered' | 'suppressed' | 'control';
  /** why it was suppressed: a stable reason code with detail after a colon */
  reason?: string;
  group?: string;
  channel?: string;
  /** the offer, once a candidate got as far as a channel slot */
  offer?: string;
  /**
   * the response probability used: the group's prior moved by the responses seen, blended
   * with the offer's model by the model's evidence
   */
  probability?: number;
  /** the offer's model: its own probability and the weight it had in the blend */
  model?: { probability: number; weight: number };
  /** expected value: probability x context weight x value x levers */
  score?: number;
  /** the Thompson draw the ranking used in place of the probability */
  draw?: number;
  /** `random`: this decision was in the random control arm that measures the models' lift */
  arm?: Arm;
}

/** What a decision reads besides the customer, the event and the catalog. */
export interface DecideInputs {
  /** stop-list entries matching this customer's identifiers */
  stops: readonly StopScope[];
  /** campaigns whose budget is spent */
  budgetSpent?: ReadonlySet<string>;
  /** channels whose capacity for today is used up (policy.channelCapacity) */
  channelsFull?: ReadonlySet<string>;
  segmentChanges?: readonly SegmentChange[];
  /** responses so far per campaign and group (evidenceKey), across customers */
  evidence?: ReadonlyMap<string, GroupEvidence>;
  /** each offer's adaptive model, by offer id */
  models?: ReadonlyMap<string, OfferModelView>;
  /** the randomness for exploration and the random arm; a hash of the event id when absent */
  seed?: number;
}

export interface DecideResult {
  ctx: CustomerContext;
  actions: DecisionAction[];
  outbox: OutboxEntry[];
  explain: Explanation[];
  /** each offer's expiry, and the campaigns' follow-ups */
  reminders: ReminderSpec[];
}

/** The screen or operator session the event came from, where an offer can be shown now. */
export function sessionChannel(event: GatewayEvent): Channel | undefined {
  const c = event.channel ?? event.type.split('.')[0];
  return isChannel(c) && !isOutbound(c) ? c : undefined;
}

type Vars = Record<string, number | string>;

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
}

/** The campaign's variables for this event, or the name of the first one without a value. */
function computeVars(c: Campaign, scope: EvalScope): { vars: Vars } | { missing: string } {
  const vars: Vars = {};
  for (const v of c.vars) {
    const raw = v.from(scope);
    if (typeof raw === 'string' && v.minus === undefined && v.roundUpTo === undefined && v.tiers === undefined) {
      vars[v.name] = raw;
      continue;
    }
    let n = toNumber(raw);
    if (v.minus !== undefined) n -= toNumber(v.minus(scope));
    if (!Number.isFinite(n)) return { missing: v.name };
    if (v.roundUpTo !== undefined) n = Math.ceil(n / v.roundUpTo - 1e-9) * v.roundUpTo;
    if (v.tiers !== undefined) {
      let tier: number | undefined;
      for (const [threshold, value] of v.tiers) if (n >= threshold) tier = value;
      if (tier === undefined) return { missing: v.name };
      n = tier;
    }
    vars[v.name] = n;
  }
  return { vars };
}

interface Nearby {
  partner: PartnerDef;
  place?: PlaceDef;
  origin: LatLon;
  distance: number;
}

function findNearby(c: Campaign, event: GatewayEvent, catalog: Catalog): Nearby | undefined {
  if (c.near === undefined || event.location === undefined) return undefined;
  const place = event.location.place === undefined ? undefined : catalog.places.get(event.location.place);
  const origin: LatLon = { lat: event.location.lat, lon: event.location.lon };
  let best: Nearby | undefined;
  for (const partner of c.near.partners) {
    const d = distanceM(origin, partner);
    if (d <= c.near.radiusM && (best === undefined || d < best.distance)) {
      best = place === undefined ? { partner, origin, distance: d } : { partner, place, origin, distance: d };
    }
  }
  return best;
}

/** Why this campaign does not apply to this event and customer now, or undefined when it does. */
function triggerProblem(c: Campaign, event: GatewayEvent, t: number, local: LocalTime): string | undefined {
  if (!runs(c.status)) return `inactive:${c.status}`;
  if (c.startsAt !== undefined && t < c.startsAt) return 'not_started';
  if (c.endsAt !== undefined && t >= c.endsAt) return 'ended';
  if (c.eventChannels !== undefined && (event.channel === undefined || !c.eventChannels.has(event.channel))) return 'wrong_channel';
  if (c.localTime !== undefined && !inWindow(local.minuteOfDay, c.localTime.from, c.localTime.to)) {
    return `outside_hours:${formatClock(local.hour, local.minute)}`;
  }
  if (c.weekdays !== undefined && !c.weekdays.has(local.weekday === 0 ? 7 : local.weekday)) return 'wrong_weekday';
  return undefined;
}

function triggers(c: Campaign, event: GatewayEvent, session: Channel | undefined, changes: readonly SegmentChange[]): boolean {
  if (c.events.has(event.type) || (c.passive && session !== undefined && c.channels.includes(session))) return true;
  return changes.some((ch) => (ch.change === 'entered' ? c.onSegment.entered : c.onSegment.exited).has(ch.segment));
}

function customerValues(ctx: CustomerContext): Record<string, string> {
  const { firstName, patronymic, lastName } = ctx.profile;
  const v: Record<string, string> = {};
  if (firstName !== undefined) v.firstName = firstName;
  if (patronymic !== undefined) v.patronymic = patronymic;
  if (lastName !== undefined) v.lastName = lastName;
  if (firstName !== undefined && patronymic !== undefined) v.name = `${firstName} ${patronymic}`;
  if (firstName !== undefined && patronymic !== undefined && lastName !== undefined) v.fullName = `${lastName} ${firstName} ${patronymic}`;
  return v;
}

function nearbyValues(n: Nearby): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {
    partner: {
      name: n.partner.name,
      address: n.partner.address,
      distance: `${formatNumber(Math.round(n.distance / 10) * 10)}\u00a0м`,
      minutes: String(walkingMinutes(n.distance)),
      direction: directionRu(bearingDeg(n.origin, n.partner)),
      route: walkingRouteUrl(n.origin, n.partner),
    },
  };
  if (n.partner.note !== undefined) (out.partner as Record<string, string>).note = n.partner.note;
  if (n.place !== undefined) out.place = { name: n.place.name, address: n.place.address };
  return out;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** What a campaign's templates can say, for this customer, event and moment. */
function renderValues(ctx: CustomerContext, c: Campaign, vars: Vars, event: GatewayEvent, expiresAt: number, tz: string, nearby: Nearby | undefined): RenderValues {
  const exp = localTime(expiresAt, tz);
  return {
    customer: customerValues(ctx),
    offer: { name: c.offer.name, value: c.offer.value, ...c.offer.params },
    vars,
    expires: { date: formatDate(exp.year, exp.month, exp.day), time: formatClock(exp.hour, exp.minute) },
    event: { data: event.data ?? {} },
    ...(nearby === undefined ? {} : nearbyValues(nearby)),
  };
}

type Rendered = { ok: true; content: ChannelContent } | { ok: false; reason: string };

function render(tpl: ChannelTemplate, values: RenderValues, maxSmsParts: number): Rendered {
  const text = (field: 'title' | 'text' | 'subject' | 'html' | 'script'): string | { missing: string } => {
    const t = tpl[field];
    if (t === undefined) return '';
    const r = renderTemplate(t, values);
    return r.ok ? r.text : { missing: r.missing };
  };
  const fields: Record<string, string> = {};
  for (const f of ['title', 'text', 'subject', 'html', 'script'] as const) {
    const v = text(f);
    if (typeof v !== 'string') return { ok: false, reason: `missing_variable:${v.missing}` };
    fields[f] = v;
  }
  const { title = '', text: body = '', subject = '', html = '', script = '' } = fields;
  switch (tpl.kind) {
    case 'sms': {
      const parts = smsLength(body).parts;
      if (parts > maxSmsParts) return { ok: false, reason: `sms_too_long:${parts}_parts` };
      return { ok: true, content: { text: body } };
    }
    case 'email':
      return {
        ok: true,
        content: { subject, text: body, html: html !== '' ? html : `<p>${escapeHtml(body).replace(/\n/g, '<br>')}</p>` },
      };
    case 'push':
    case 'screen':
      return { ok: true, content: { title, text: body, buttons: tpl.buttons.map((b) => ({ ...b })) } };
    case 'operator':
      return { ok: true, content: { script } };
    default: {
      const never: never = tpl.kind;
      throw new Error(`unhandled channel kind ${String(never)}`);
    }
  }
}

/** Where an outbound message to the customer goes: the first phone for SMS, the first e-mail; none for push (the app knows its device). */
function addressFor(ctx: CustomerContext, channel: Channel): string | undefined {
  if (channel === 'sms') return ctx.identifiers.phone[0];
  if (channel === 'email') return ctx.identifiers.email[0];
  return undefined;
}

/** Whether the customer can be reached on an outbound channel at all. */
function reachable(ctx: CustomerContext, channel: Channel): boolean {
  if (channel === 'sms') return ctx.identifiers.phone.length > 0;
  if (channel === 'email') return ctx.identifiers.email.length > 0;
  return true;
}

/** Whether the customer's local time is inside the hours a push channel may be used. */
function allowedHours(policy: Policy, local: LocalTime): boolean {
  const weekend = local.weekday === 0 || local.weekday === 6;
  const h = weekend ? policy.quietHours.weekends : policy.quietHours.weekdays;
  return inWindow(local.minuteOfDay, h.from, h.to);
}

/** Why this campaign cannot use this channel now, or undefined when it can. */
function channelProblem(
  ctx: CustomerContext,
  c: Campaign,
  channel: Channel,
  session: Channel | undefined,
  stops: readonly StopScope[],
  policy: Policy,
  local: LocalTime,
): string | undefined {
  if (isOutbound(channel)) {
    if (!reachable(ctx, channel)) return 'unreachable';
  } else if (channel !== session && !c.pushTo.has(channel)) {
    return 'no_session';
  }
  if (isStopped(stops, c.id, channel)) return 'stop_list';
  if (c.marketing && policy.consentRequired.has(channel) && ctx.consents[channel]?.granted !== true) return 'no_consent';
  if (c.marketing && !c.quietHoursExempt && policy.quietHours.channels.has(channel) && !allowedHours(policy, local)) return 'quiet_hours';
  if (ctx.pending.some((p) => p.offer === c.offer.id && p.channel === channel)) return 'already_pending';
  return undefined;
}

/**
 * Whether the recency rules forbid this campaign's offer at `t`: the same offer or campaign
 * within its window (either side of `t`, so a late event cannot slip in before an earlier
 * contact), or inside the pause after the customer declined the offer.
 */
export function recencyProblem(ctx: CustomerContext, c: Campaign, t: number): string | undefined {
  if (!c.marketing) return undefined;
  const r = c.recency;
  for (const k of ctx.contacts) {
    if (!k.marketing) continue;
    const gap = Math.abs(k.at - t);
    if (k.offer === c.offer.id && gap < r.sameOfferMs) return 'recency:offer';
    if (k.campaign === c.id && gap < r.sameCampaignMs) return 'recency:campaign';
  }
  for (const resp of ctx.responses) {
    if (resp.offer === c.offer.id && resp.outcome === 'declined' && t >= resp.at && t < resp.at + r.afterDeclineMs) return 'recency:declined';
  }
  return undefined;
}

/**
 * Outcome-driven suppression: after `declines` declines of the offer (or, by scope, of any
 * offer of its product family) within the window, it pauses from the last of them.
 */
export function suppressionProblem(ctx: CustomerContext, c: Campaign, t: number, catalog: Catalog): string | undefined {
  const s = c.suppression;
  const sameGroup = s.scope === 'group';
  let count = 0;
  let last = -Infinity;
  for (const r of ctx.responses) {
    if (r.outcome !== 'declined' || r.at > t || r.at < t - s.withinMs) continue;
    const match = r.offer === c.offer.id || (sameGroup && catalog.offers.get(r.offer)?.group === c.offer.group);
    if (!match) continue;
    count++;
    last = Math.max(last, r.at);
  }
  if (count < s.declines || t >= last + s.pauseMs) return undefined;
  return `declined_repeatedly:${count}_in_${formatWindow(s.withinMs)}${sameGroup ? `:group_${c.offer.group}` : ''}`;
}

/** "Maybe later": the weight of an offer the customer put off recently. */
function laterWeight(ctx: CustomerContext, c: Campaign, t: number, policy: Policy): number {
  const { weight, ms } = policy.maybeLater;
  for (const r of ctx.responses) {
    if (r.offer === c.offer.id && r.outcome === 'later' && r.at <= t && t < r.at + ms) return weight;
  }
  return 1;
}

/** The first stage filter (campaign, then offer) this customer does not pass, or undefined. */
function stageProblem(c: Campaign, scope: EvalScope): string | undefined {
  for (const stage of stageFilters) {
    const campaignRule = c[stage];
    if (campaignRule !== undefined && !campaignRule(scope)) return `${stageReason[stage]}:campaign`;
    const offerRule = c.offer[stage];
    if (offerRule !== undefined && !offerRule(scope)) return `${stageReason[stage]}:offer`;
  }
  return undefined;
}

const stageReason = { eligibility: 'not_eligible', applicability: 'not_applicable', suitability: 'not_suitable' } as const;

/** 86400000 -> "1d", for explanations. */
function formatWindow(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

interface Candidate {
  campaign: Campaign;
  group: string;
  probability: number;
  channel: Channel;
  /** expected value */
  score: number;
  /** what the ranking sorts by: the score with the Thompson draw, or a random key in the random arm */
  key: number;
  draw?: number;
  model?: { probability: number; weight: number };
  /** the hashed features the offer's model scored */
  x?: number[];
  vars: Vars;
  nearby?: Nearby;
  /** the campaign's channel preference, for ties */
  rank: number;
}

/** The response probability for a group: its learnt prior, blended with the offer's model by the model's evidence. */
function blend(groupP: number, model: OfferModelView | undefined, x: readonly number[] | undefined, modelEvidence: number): { p: number; model?: { probability: number; weight: number } } {
  if (model === undefined || x === undefined || model.examples === 0) return { p: groupP };
  const probability = model.predict(x);
  const weight = model.examples / (model.examples + modelEvidence);
  return { p: (1 - weight) * groupP + weight * probability, model: { probability, weight } };
}

/** Whether this customer is in the campaign's control group: a stable hash, so always the same answer. */
export function inControlGroup(customer: string, c: Campaign): boolean {
  return c.controlShare > 0 && fnv1a(`${customer}|${c.id}`) % 10_000 < c.controlShare * 10_000;
}

const noEvidence: ReadonlyMap<string, GroupEvidence> = new Map();
const noModels: ReadonlyMap<string, OfferModelView> = new Map();
const noneSpent: ReadonlySet<string> = new Set();

export function decide(ctx: CustomerContext, event: GatewayEvent, t: number, catalog: Catalog, inputs: DecideInputs): DecideResult {
  const { stops, budgetSpent = noneSpent, channelsFull = noneSpent, segmentChanges = [], evidence = noEvidence, models = noModels } = inputs;
  const explain: Explanation[] = [];
  const session = sessionChannel(event);
  const tz = customerTimeZone(ctx, catalog);
  const local = localTime(t, tz);
  const triggered = catalog.campaigns.filter((c) => triggers(c, event, session, segmentChanges));
  if (triggered.length === 0) return { ctx, actions: [], outbox: [], explain, reminders: [] };
  if (isStoppedEverywhere(stops)) {
    for (const c of triggered) explain.push({ campaign: c.id, verdict: 'suppressed', reason: 'stop_list' });
    return { ctx, actions: [], outbox: [], explain, reminders: [] };
  }

  const baseScope = makeScope(ctx, catalog, local.epochDay, event);
  const learning = catalog.policy.learning;
  const rng: Rng = seededRng(inputs.seed ?? fnv1a(event.id));
  // One draw decides the arm, before anything else, so the arm does not depend on the candidates.
  const arm: Arm = rng() < learning.randomShare ? 'random' : 'model';
  let features: number[] | undefined;
  const featuresFor = (): number[] => (features ??= hashFeatures(modelFeatureNames(ctx, baseScope, event, local, catalog)));
  const candidates: Candidate[] = [];
  for (const c of triggered) {
    const suppress = (reason: string, extra: Partial<Explanation> = {}): void => {
      explain.push({ campaign: c.id, verdict: 'suppressed', reason, ...extra });
    };
    const problem = triggerProblem(c, event, t, local);
    if (problem !== undefined) {
      suppress(problem);
      continue;
    }
    if (budgetSpent.has(c.id)) {
      suppress('budget_spent');
      continue;
    }
    let nearby: Nearby | undefined;
    if (c.near !== undefined) {
      nearby = findNearby(c, event, catalog);
      if (nearby === undefined) {
        suppress(event.location === undefined ? 'no_location' : 'no_partner_nearby');
        continue;
      }
    }
    const computed = computeVars(c, baseScope);
    if ('missing' in computed) {
      suppress(`missing_data:${computed.missing}`);
      continue;
    }
    const scope: EvalScope = { ...baseScope, vars: computed.vars };
    if (c.when !== undefined && !c.when(scope)) {
      suppress('condition_false');
      continue;
    }
    const stage = stageProblem(c, scope);
    if (stage !== undefined) {
      suppress(stage);
      continue;
    }
    const group = c.groups.find((g) => g.when(scope));
    if (group === undefined) {
      suppress('not_in_target_group');
      continue;
    }
    const groupEvidence = evidence.get(evidenceKey(c.id, group.id));
    const groupP = posteriorProbability(group.probability, groupEvidence, catalog.policy.priorStrength);
    const model = learning.models ? models.get(c.offer.id) : undefined;
    const x = learning.models ? [...featuresFor(), hashFeature(`group=${c.id}/${group.id}`)] : undefined;
    const blended = blend(groupP, model, x, learning.modelEvidence);
    const probability = blended.p;
    if (probability < c.minProbability || probability === 0) {
      suppress('below_propensity_floor', { group: group.id, probability });
      continue;
    }
    const recency = recencyProblem(ctx, c, t) ?? suppressionProblem(ctx, c, t, catalog);
    if (recency !== undefined) {
      suppress(recency, { group: group.id });
      continue;
    }
    // Levers: the campaign's priority and the offer's lever; "maybe later" weighs it down for a while.
    const weight = Math.max(c.offer.value, 1) * c.priority * c.offer.lever * laterWeight(ctx, c, t, catalog.policy);
    let draw: number | undefined;
    if (learning.exploration === 'thompson') {
      // The draw's spread narrows as evidence (the group's answers, the model's examples) grows.
      const n = catalog.policy.priorStrength + (groupEvidence === undefined ? 0 : groupEvidence.positives + groupEvidence.negatives) + (model === undefined ? 0 : (blended.model?.weight ?? 0) * model.examples);
      draw = betaSample(probability * n, (1 - probability) * n, rng);
    }
    const randomKey = rng();
    const why: string[] = [];
    c.channels.forEach((channel, rank) => {
      const problem = channelsFull.has(channel) ? 'capacity' : channelProblem(ctx, c, channel, session, stops, catalog.policy, local);
      if (problem !== undefined) {
        why.push(`${channel}=${problem}`);
        return;
      }
      const context = c.contextWeights[channel] ?? 1;
      const score = probability * context * weight;
      const key = arm === 'random' ? randomKey : (draw ?? probability) * context * weight;
      const cand: Candidate = { campaign: c, group: group.id, probability, channel, score, key, vars: computed.vars, rank };
      if (draw !== undefined) cand.draw = draw;
      if (blended.model !== undefined) cand.model = blended.model;
      if (x !== undefined) cand.x = x;
      if (nearby !== undefined) cand.nearby = nearby;
      candidates.push(cand);
    });
    if (why.length === c.channels.length) suppress(`no_channel:${why.join(',')}`, { group: group.id, probability });
  }

  candidates.sort((a, b) => b.key - a.key || a.rank - b.rank || a.campaign.id.localeCompare(b.campaign.id));

  let next = ctx;
  const actions: DecisionAction[] = [];
  const outbox: OutboxEntry[] = [];
  const reminders: ReminderSpec[] = [];
  const usedChannels = new Set<string>();
  const usedCampaigns = new Set<string>();
  const failed = new Map<string, Explanation>();
  for (const cand of candidates) {
    const c = cand.campaign;
    if (usedCampaigns.has(c.id)) continue;
    const fail = (reason: string): void => {
      if (!failed.has(c.id)) failed.set(c.id, { campaign: c.id, verdict: 'suppressed', reason, group: cand.group, channel: cand.channel, offer: c.offer.id, score: cand.score });
    };
    if (actions.length >= catalog.policy.maxActions) {
      fail('max_actions');
      continue;
    }
    if (usedChannels.has(cand.channel)) {
      fail(`outranked:${cand.channel}`);
      continue;
    }
    const exempt = catalog.policy.sessionExempt;
    if (c.marketing && !exempt.has(cand.channel)) {
      // In-session channels the policy exempts are not counted, and do not count; nor do offers withheld from a control group.
      const counted = next.contacts.filter((k) => k.control !== true && !exempt.has(k.channel as Channel));
      const cap = blockingCap(counted, catalog.policy.caps, cand.channel, t);
      if (cap !== undefined) {
        fail(`cap:${cap.channel === '*' ? cand.channel : cap.channel}:${cap.max}_per_${formatWindow(cap.windowMs)}`);
        continue;
      }
    }
    if (inControlGroup(next.id, c)) {
      // "Would have offered": recorded for the uplift report, counted by recency, never sent.
      const seq = next.seq + 1;
      const instance = `${next.id}:${seq.toString(36)}.${fnv1a(event.id).toString(36)}`;
      const withheld: ContactRecord = { instance, campaign: c.id, offer: c.offer.id, channel: cand.channel, at: t, marketing: c.marketing, delivery: 'withheld', control: true, group: cand.group };
      next = { ...next, seq, contacts: [...next.contacts, withheld] };
      usedCampaigns.add(c.id);
      failed.delete(c.id);
      explain.push({ campaign: c.id, verdict: 'control', group: cand.group, channel: cand.channel, offer: c.offer.id, score: cand.score });
      continue;
    }
    const tpl = c.templates.get(cand.channel);
    if (tpl === undefined) continue;
    const expiresAt = t + c.expiresInMs;
    const rendered = render(tpl, renderValues(next, c, cand.vars, event, expiresAt, tz, cand.nearby), c.maxSmsParts);
    if (!rendered.ok) {
      fail(rendered.reason);
      continue;
    }
    const seq = next.seq + 1;
    const instance = `${next.id}:${seq.toString(36)}.${fnv1a(event.id).toString(36)}`;
    // Queued for delivery: an outbound channel, or a screen reached outside its session.
    const outbound = isOutbound(cand.channel) || cand.channel !== session;
    const contact: ContactRecord = {
      instance,
      campaign: c.id,
      offer: c.offer.id,
      channel: cand.channel,
      at: t,
      marketing: c.marketing,
      delivery: outbound ? 'queued' : 'shown',
      group: cand.group,
      arm,
    };
    const pending: OfferInstance = { instance, campaign: c.id, offer: c.offer.id, channel: cand.channel, at: t, expiresAt, group: cand.group, vars: cand.vars, p: cand.probability, arm };
    if (cand.x !== undefined) pending.x = cand.x;
    next = { ...next, seq, contacts: [...next.contacts, contact], pending: [...next.pending, pending] };
    const action: DecisionAction = { instance, campaign: c.id, offer: c.offer.id, channel: cand.channel, content: rendered.content, expiresAt };
    actions.push(action);
    reminders.push(expiryReminder(instance, c.id, c.offer.id, expiresAt));
    if (c.followUp !== undefined) {
      reminders.push({ name: `followup:${c.id}`, due: t + c.followUp.afterMs, event: c.followUp.event, data: { campaign: c.id, offer: c.offer.id, instance } });
    }
    if (outbound) {
      const entry: OutboxEntry = { kind: 'offer', instance, customer: next.id, channel: cand.channel, campaign: c.id, offer: c.offer.id, content: rendered.content, expiresAt, at: t };
      const to = addressFor(next, cand.channel);
      if (to !== undefined) entry.to = to;
      outbox.push(entry);
      // The seed list gets the same message, so the bank sees what its customers see.
      c.seeds.forEach((seed, i) => {
        if (seed.channel !== cand.channel) return;
        outbox.push({ kind: 'offer', instance: `${instance}~seed${i + 1}`, customer: next.id, channel: seed.channel, campaign: c.id, offer: c.offer.id, content: rendered.content, expiresAt, at: t, to: seed.to, seed: true });
      });
    }
    usedChannels.add(cand.channel);
    usedCampaigns.add(c.id);
    failed.delete(c.id);
    explain.push(offeredExplanation(cand, arm));
  }
  for (const [id, e] of failed) if (!usedCampaigns.has(id)) explain.push(e);
  return { ctx: next, actions, outbox, explain, reminders };
}

function offeredExplanation(cand: Candidate, arm: Arm): Explanation {
  const e: Explanation = { campaign: cand.campaign.id, verdict: 'offered', group: cand.group, channel: cand.channel, offer: cand.campaign.offer.id, probability: cand.probability, score: cand.score, arm };
  if (cand.model !== undefined) e.model = cand.model;
  if (cand.draw !== undefined) e.draw = cand.draw;
  return e;
}

export interface Preview {
  channel: Channel;
  content?: ChannelContent;
  /** for SMS: the encoding and the number of parts */
  sms?: SmsLength;
  /** why this channel's message cannot be rendered for this customer and event */
  problem?: string;
}

/**
 * What a campaign would say on each of its channels to this customer for this event, without
 * checking whether it would speak at all: for marketers to read their texts, with the SMS
 * length, before the campaign goes live.
 */
export function previewCampaign(ctx: CustomerContext, c: Campaign, event: GatewayEvent, t: number, catalog: Catalog): Preview[] {
  const tz = customerTimeZone(ctx, catalog);
  const scope = makeScope(ctx, catalog, localTime(t, tz).epochDay, event);
  const computed = computeVars(c, scope);
  const nearby = c.near === undefined ? undefined : findNearby(c, event, catalog);
  return c.channels.map((channel): Preview => {
    if ('missing' in computed) return { channel, problem: `missing_data:${computed.missing}` };
    if (c.near !== undefined && nearby === undefined) return { channel, problem: event.location === undefined ? 'no_location' : 'no_partner_nearby' };
    const tpl = c.templates.get(channel);
    if (tpl === undefined) return { channel, problem: 'no_template' };
    const rendered = render(tpl, renderValues(ctx, c, computed.vars, event, t + c.expiresInMs, tz, nearby), Number.MAX_SAFE_INTEGER);
    if (!rendered.ok) return { channel, problem: rendered.reason };
    const preview: Preview = { channel, content: rendered.content };
    if ('text' in rendered.content && tpl.kind === 'sms') {
      preview.sms = smsLength(rendered.content.text);
      if (preview.sms.parts > c.maxSmsParts) preview.problem = `sms_too_long:${preview.sms.parts}_parts`;
    }
    return preview;
  });
}
