import { invalidAt } from '../brain-error.js';
import type { AttrEnv } from '../condition.js';
import { compileAttr, compileCondition } from '../condition.js';
import type { Channel } from './channels.js';
import { channelKind, channels, isChannel, isOutbound } from './channels.js';
import type { Campaign, ChannelTemplate, Goal, Offer, Outbound, Policy, Var, Waves } from './compiled-catalog.js';
import { defaultInterest, stageFilters } from './compiled-catalog.js';
import { compileChannelTemplate } from './compile-template.js';
import type { TemplateScope } from './compile-template.js';
import { compileHours, compileRecency, compileSuppression } from './compile-policy.js';
import { compileModelSpec, mergeModelSpecs } from './compile-model-spec.js';
import type { OfferDef, PartnerDef } from './definition-schema.js';
import { campaignStatuses, isCampaignStatus } from './definition-schema.js';
import { isRecord, parseDuration, parseInstant, parseZonedInstant, requireId, requireList, requireNumber, requireString, requireWhole, uniqueIds } from './field-checks.js';
import { parseClock } from '../local-time.js';

export function compileVar(name: string, raw: unknown, path: string, env: AttrEnv): Var {
  if (!isRecord(raw)) throw invalidAt(path, 'must be {from, minus?, roundUpTo?, tiers?}');
  const v: Var = { name, from: compileAttr(raw.from, `${path}.from`, env) };
  if (raw.minus !== undefined) v.minus = compileAttr(raw.minus, `${path}.minus`, env);
  if (raw.roundUpTo !== undefined) v.roundUpTo = requireNumber(raw.roundUpTo, `${path}.roundUpTo`, 1e-9, 1e12);
  if (raw.tiers !== undefined) {
    const tiers = requireList(raw.tiers, `${path}.tiers`).map((t, i) => {
      if (!Array.isArray(t) || t.length !== 2 || !t.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw invalidAt(`${path}.tiers[${i}]`, 'must be [threshold, value]');
      }
      return [t[0] as number, t[1] as number] as const;
    });
    for (let i = 1; i < tiers.length; i++) {
      if ((tiers[i]?.[0] ?? 0) <= (tiers[i - 1]?.[0] ?? 0)) throw invalidAt(`${path}.tiers[${i}]`, 'thresholds must rise');
    }
    if (tiers.length === 0) throw invalidAt(`${path}.tiers`, 'must hold at least one step');
    v.tiers = tiers;
  }
  return v;
}

export function compileCampaign(
  raw: unknown,
  path: string,
  offers: ReadonlyMap<string, OfferDef & { compiled: Offer }>,
  features: ReadonlySet<string>,
  scores: ReadonlySet<string>,
  segments: ReadonlySet<string>,
  partners: readonly PartnerDef[],
  policy: Policy,
): Campaign {
  if (!isRecord(raw)) throw invalidAt(path, 'must be a campaign definition');
  const id = requireId(raw.id, `${path}.id`);
  const name = requireString(raw.name, `${path}.name`);
  if (!isCampaignStatus(raw.status)) throw invalidAt(`${path}.status`, `must be one of ${campaignStatuses.join(', ')}`);
  const offerId = requireString(raw.offer, `${path}.offer`);
  const offer = offers.get(offerId);
  if (offer === undefined) throw invalidAt(`${path}.offer`, `unknown offer "${offerId}"`);
  const chans = requireList(raw.channels, `${path}.channels`).map((c, i) => {
    if (!isChannel(c)) throw invalidAt(`${path}.channels[${i}]`, `unknown channel (known: ${channels.join(', ')})`);
    return c;
  });
  if (chans.length === 0) throw invalidAt(`${path}.channels`, 'must name at least one channel');

  const baseEnv: AttrEnv = { features, scores, segments, event: true };
  const vars: Var[] = [];
  if (raw.vars !== undefined) {
    if (!isRecord(raw.vars)) throw invalidAt(`${path}.vars`, 'must map names to variable definitions');
    for (const [vname, vdef] of Object.entries(raw.vars)) {
      if (!/^[a-zA-Z][a-zA-Z0-9_]*$/.test(vname)) throw invalidAt(`${path}.vars.${vname}`, 'is not a variable name');
      vars.push(compileVar(vname, vdef, `${path}.vars.${vname}`, baseEnv));
    }
  }
  const varNames = new Set(vars.map((v) => v.name));

  const outbound = raw.outbound === undefined ? undefined : compileOutbound(raw.outbound, `${path}.outbound`, segments, policy.defaultTimezone);
  // An outbound campaign is triggered by its runs only: its trigger may narrow (when, hours, weekdays), not start it.
  const t = raw.trigger ?? (outbound !== undefined ? {} : undefined);
  if (!isRecord(t)) throw invalidAt(`${path}.trigger`, 'must be a trigger: {events} or {passive: true}');
  const events =
    t.events === undefined ? [] : requireList(t.events, `${path}.trigger.events`).map((e, i) => requireString(e, `${path}.trigger.events[${i}]`));
  const passive = t.passive === true;
  if (outbound === undefined && events.length === 0 && !passive) throw invalidAt(`${path}.trigger`, 'needs event types, or passive: true');
  if (outbound !== undefined && (events.length > 0 || passive)) throw invalidAt(`${path}.trigger`, 'an outbound campaign is started by its runs: no events, no passive');
  if (outbound !== undefined && (t.near !== undefined || t.channels !== undefined)) throw invalidAt(`${path}.trigger`, 'an outbound campaign has no event: no near, no channels');

  const onSegment = { entered: new Set<string>(), exited: new Set<string>() };
  events.forEach((e, i) => {
    const m = /^segment\.(entered|exited)\.(.+)$/.exec(e);
    if (m === null) return;
    const [, change, seg = ''] = m;
    if (!segments.has(seg)) throw invalidAt(`${path}.trigger.events[${i}]`, `unknown segment "${seg}"`);
    (change === 'entered' ? onSegment.entered : onSegment.exited).add(seg);
  });

  const priority = raw.priority === undefined ? 1 : requireNumber(raw.priority, `${path}.priority`, 0, 1000);
  const maxSmsParts = raw.maxSmsParts === undefined ? 3 : requireNumber(raw.maxSmsParts, `${path}.maxSmsParts`, 1, 10);
  const campaign: Campaign = {
    id,
    name,
    status: raw.status,
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
    model: mergeModelSpecs(offer.compiled.model, raw.model === undefined ? undefined : compileModelSpec(raw.model, `${path}.model`, features)),
    minProbability: raw.minResponsePercent === undefined ? policy.minProbability : requireNumber(raw.minResponsePercent, `${path}.minResponsePercent`, 0, 100) / 100,
    contextWeights: raw.contextWeights === undefined ? {} : compileContextWeights(raw.contextWeights, `${path}.contextWeights`, chans),
    suppression: raw.suppression === undefined ? policy.suppression : compileSuppression(raw.suppression, `${path}.suppression`),
    pushTo: new Set(
      (raw.pushTo === undefined ? [] : requireList(raw.pushTo, `${path}.pushTo`)).map((ch, i) => {
        if (!isChannel(ch) || isOutbound(ch)) throw invalidAt(`${path}.pushTo[${i}]`, 'must be a screen or operator channel (ib, callcenter, branch, …); sms, email and push are always queued');
        if (!chans.includes(ch)) throw invalidAt(`${path}.pushTo[${i}]`, `the campaign does not use channel "${ch}"`);
        return ch;
      }),
    ),
  };
  const customerEnv: AttrEnv = { features, scores, segments, event: true };
  for (const stage of stageFilters) {
    if (raw[stage] !== undefined) campaign[stage] = compileCondition(raw[stage], `${path}.${stage}`, customerEnv);
  }
  if (outbound !== undefined) {
    if (raw.outbound !== undefined && isRecord(raw.outbound) && raw.outbound.waves !== undefined) {
      outbound.waves = compileWaves(raw.outbound.waves, `${path}.outbound.waves`, chans.filter((ch): ch is Channel => isChannel(ch) && campaign.pushTo.has(ch) && channelKind(ch) === 'operator'), chans.length);
      // a call not answered has expired (not reached) before the next wave calls again
      if (outbound.waves.everyMs < campaign.expiresInMs) throw invalidAt(`${path}.outbound.waves.every`, "must be at least the campaign's expiresIn: a call not answered expires before the next wave calls again");
    }
    campaign.outbound = outbound;
  }
  if (raw.goal !== undefined) campaign.goal = compileGoal(raw.goal, `${path}.goal`, customerEnv);
  if (raw.followUp !== undefined) {
    const f = raw.followUp;
    if (!isRecord(f)) throw invalidAt(`${path}.followUp`, 'must be {after, event}');
    campaign.followUp = { afterMs: parseDuration(f.after, `${path}.followUp.after`), event: requireString(f.event, `${path}.followUp.event`) };
  }
  if (raw.budget !== undefined) campaign.budget = compileBudget(raw.budget, `${path}.budget`);
  if (raw.startsAt !== undefined) campaign.startsAt = parseInstant(raw.startsAt, `${path}.startsAt`);
  if (raw.endsAt !== undefined) campaign.endsAt = parseInstant(raw.endsAt, `${path}.endsAt`);
  if (campaign.startsAt !== undefined && campaign.endsAt !== undefined && campaign.endsAt <= campaign.startsAt) {
    throw invalidAt(`${path}.endsAt`, 'must be after startsAt');
  }
  if (t.when !== undefined) campaign.when = compileCondition(t.when, `${path}.trigger.when`, { ...baseEnv, vars: varNames });
  if (raw.activeHours !== undefined && t.localTime !== undefined) {
    throw invalidAt(`${path}.activeHours`, 'give activeHours or trigger.localTime, not both');
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
    if (!isRecord(near)) throw invalidAt(`${path}.trigger.near`, 'must be {partners, radiusM}');
    const kind = requireString(near.partners, `${path}.trigger.near.partners`);
    const list = partners.filter((p) => p.kind === kind);
    if (list.length === 0) throw invalidAt(`${path}.trigger.near.partners`, `no partners of kind "${kind}"`);
    campaign.near = { partners: list, radiusM: requireNumber(near.radiusM, `${path}.trigger.near.radiusM`, 1, 100_000) };
  }

  const groups = requireList(raw.groups, `${path}.groups`);
  if (groups.length === 0) throw invalidAt(`${path}.groups`, 'must hold at least one target group');
  campaign.groups = groups.map((g, i) => {
    const gp = `${path}.groups[${i}]`;
    if (!isRecord(g)) throw invalidAt(gp, 'must be {id, when, responsePercent}');
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
    if (tpl === undefined) throw invalidAt(`${path}.channels[${i}]`, `offer "${offer.id}" has no template for channel "${ch}"`);
    const oi = [...offers.keys()].indexOf(offer.id);
    templates.set(ch, compileChannelTemplate(tpl, ch, `offers[${oi}].templates.${ch}`, scope, maxSmsParts));
  });
  campaign.templates = templates;
  return campaign;
}

export function compileSeeds(raw: unknown, path: string, campaignChannels: readonly Channel[]): Array<{ channel: Channel; to: string }> {
  return requireList(raw, path).map((s, i) => {
    const p = `${path}[${i}]`;
    if (!isRecord(s)) throw invalidAt(p, 'must be {channel, to}');
    if (!isChannel(s.channel) || !isOutbound(s.channel)) throw invalidAt(`${p}.channel`, 'must be sms, email or push');
    if (!campaignChannels.includes(s.channel)) throw invalidAt(`${p}.channel`, `the campaign does not send on ${s.channel}`);
    return { channel: s.channel, to: requireString(s.to, `${p}.to`) };
  });
}

export function compileBudget(raw: unknown, path: string): NonNullable<Campaign['budget']> {
  if (!isRecord(raw)) throw invalidAt(path, 'must be {maxContacts?, maxCost?, costPerChannel?}');
  const budget: NonNullable<Campaign['budget']> = { costPerChannel: {} };
  if (raw.maxContacts !== undefined) budget.maxContacts = requireNumber(raw.maxContacts, `${path}.maxContacts`, 0, 1e12);
  if (raw.maxCost !== undefined) budget.maxCost = requireNumber(raw.maxCost, `${path}.maxCost`, 0, 1e15);
  if (raw.costPerChannel !== undefined) {
    if (!isRecord(raw.costPerChannel)) throw invalidAt(`${path}.costPerChannel`, 'must map channels to roubles');
    for (const [ch, cost] of Object.entries(raw.costPerChannel)) {
      if (!isChannel(ch)) throw invalidAt(`${path}.costPerChannel.${ch}`, 'unknown channel');
      budget.costPerChannel[ch] = requireNumber(cost, `${path}.costPerChannel.${ch}`, 0, 1e9);
    }
  }
  if (budget.maxContacts === undefined && budget.maxCost === undefined) throw invalidAt(path, 'needs maxContacts or maxCost');
  if (budget.maxCost !== undefined && Object.keys(budget.costPerChannel).length === 0) throw invalidAt(`${path}.costPerChannel`, 'a money budget needs the cost per channel');
  return budget;
}


export function compileContextWeights(raw: unknown, path: string, chans: readonly Channel[]): Partial<Record<Channel, number>> {
  if (!isRecord(raw)) throw invalidAt(path, 'must map channels to weights');
  const out: Partial<Record<Channel, number>> = {};
  for (const [ch, w] of Object.entries(raw)) {
    if (!isChannel(ch)) throw invalidAt(`${path}.${ch}`, `unknown channel (known: ${channels.join(', ')})`);
    if (!chans.includes(ch)) throw invalidAt(`${path}.${ch}`, `the campaign does not use channel "${ch}"`);
    out[ch] = requireNumber(w, `${path}.${ch}`, 0, 1000);
  }
  return out;
}

export function compileGoal(raw: unknown, path: string, env: AttrEnv): Goal {
  if (!isRecord(raw)) throw invalidAt(path, 'must be {events, withinDays, when?}');
  const events = requireList(raw.events, `${path}.events`).map((e, i) => requireString(e, `${path}.events[${i}]`));
  if (events.length === 0) throw invalidAt(`${path}.events`, 'must name at least one event type');
  const goal: Goal = { events: new Set(events), withinMs: requireNumber(raw.withinDays, `${path}.withinDays`, 1, 3650) * 86_400_000 };
  if (raw.when !== undefined) goal.when = compileCondition(raw.when, `${path}.when`, env);
  return goal;
}

/** Call-centre waves (`WavesDefSchema`): the calls go to the first operator channel the campaign pushes to. */
function compileWaves(raw: unknown, path: string, operators: readonly Channel[], channelCount: number): Waves {
  if (!isRecord(raw)) throw invalidAt(path, 'must be {count, every, warmLeads?}');
  const channel = operators[0];
  if (channel === undefined || operators.length !== channelCount) throw invalidAt(path, 'waves call: every channel of the campaign must be an operator channel (callcenter, branch) it pushes to');
  const waves: Waves = { count: requireNumber(raw.count, `${path}.count`, 1, 10), everyMs: parseDuration(raw.every, `${path}.every`), channel };
  if (!Number.isInteger(waves.count)) throw invalidAt(`${path}.count`, 'must be a whole number from 1 to 10');
  const w = raw.warmLeads;
  if (w === undefined) return waves;
  if (!isRecord(w)) throw invalidAt(`${path}.warmLeads`, 'must be {threshold, interest?, action?}');
  const interest = new Map(defaultInterest);
  if (w.interest !== undefined) {
    if (!isRecord(w.interest)) throw invalidAt(`${path}.warmLeads.interest`, 'must map outcomes to an interest from 0 to 100');
    for (const [outcome, v] of Object.entries(w.interest)) interest.set(outcome, requireNumber(v, `${path}.warmLeads.interest.${outcome}`, 0, 100));
  }
  waves.warmLeads = {
    threshold: requireNumber(w.threshold, `${path}.warmLeads.threshold`, 1, 100),
    interest,
    action: w.action === undefined ? 'notify_manager' : requireString(w.action, `${path}.warmLeads.action`),
  };
  return waves;
}

/**
 * An outbound campaign's runs: their segments (known ones) and schedule (`OutboundDefSchema`).
 * A `once` without an offset is the wall-clock time in the policy's `timeZone`, as the daily and
 * weekly times are; a weekday is a whole ISO weekday.
 */
function compileOutbound(raw: unknown, path: string, segments: ReadonlySet<string>, timeZone: string): Outbound {
  if (!isRecord(raw)) throw invalidAt(path, 'must be {segments?, schedule?, waves?}');
  const list = raw.segments === undefined ? [] : requireList(raw.segments, `${path}.segments`).map((s, i) => requireString(s, `${path}.segments[${i}]`));
  list.forEach((s, i) => {
    if (!segments.has(s)) throw invalidAt(`${path}.segments[${i}]`, `unknown segment "${s}"`);
  });
  if (new Set(list).size !== list.length) throw invalidAt(`${path}.segments`, 'names a segment twice');
  const out: Outbound = { segments: list };
  const sch = raw.schedule;
  if (sch === undefined) return out;
  if (!isRecord(sch)) throw invalidAt(`${path}.schedule`, 'must be {once: date-time}, {daily: "HH:MM"} or {weekly: {weekday, at}}');
  const clockAt = (v: unknown, p: string): number => {
    const m = typeof v === 'string' ? parseClock(v) : undefined;
    if (m === undefined) throw invalidAt(p, 'must be "HH:MM"');
    return m;
  };
  if (sch.once !== undefined) out.schedule = { once: parseZonedInstant(sch.once, `${path}.schedule.once`, timeZone) };
  else if (sch.daily !== undefined) out.schedule = { daily: clockAt(sch.daily, `${path}.schedule.daily`) };
  else if (isRecord(sch.weekly)) {
    out.schedule = { weekly: { weekday: requireWhole(sch.weekly.weekday, `${path}.schedule.weekly.weekday`, 1, 7), minuteOfDay: clockAt(sch.weekly.at, `${path}.schedule.weekly.at`) } };
  } else throw invalidAt(`${path}.schedule`, 'must be {once: date-time}, {daily: "HH:MM"} or {weekly: {weekday, at}}');
  return out;
}
