import type { Channel } from '../catalog/channels.js';
import type { Campaign, Catalog } from '../catalog/compiled-catalog.js';
import { isOutbound } from '../catalog/channels.js';
import type { StopScope } from '../contact-policy.js';
import { blockingCap, isStoppedEverywhere } from '../contact-policy.js';
import type { ContactRecord, CustomerContext, DecisionAction, OfferInstance } from '../customer-state.js';
import { NO_ACTIONS, NOTHING } from '../customer-state.js';
import type { GatewayEvent } from '../gateway-event.js';
import { fnv1a } from '../hash.js';
import { localTime } from '../local-time.js';
import type { SegmentChange } from '../ingest.js';
import type { OutboxEntry } from '../outbox-entry.js';
import type { RunCall } from '../outbound-run.js';
import { waveProblem } from '../outbound-run.js';
import { callbackOf } from '../call-outcomes.js';
import type { OfferModelView } from '../propensity/ftrl.js';
import type { ModelInput } from '../propensity/model-features.js';
import { customerInputs, hashFeature, modelFeatureHashes } from '../propensity/model-features.js';
import type { Arm, GroupEvidence } from '../propensity/prior.js';
import { evidenceKey, evidenceWeight, posteriorProbability } from '../propensity/prior.js';
import type { Rng } from '../propensity/random.js';
import { betaSample, seededRng } from '../propensity/random.js';
import { customerTimeZone, makeScope, withVars } from '../scope.js';
import type { ReminderSpec } from '../reminders.js';
import { computeVars } from './campaign-vars.js';
import { addressFor, channelProblem } from './channel-problem.js';
import { formatWindow, laterWeight, recencyProblem, stageProblem, suppressionProblem } from './customer-filters.js';
import type { Explanation } from './explanation.js';
import type { Nearby } from './nearby.js';
import { findNearby } from './nearby.js';
import type { Candidate } from './ranking.js';
import { blend, inControlGroup } from './ranking.js';
import { render, renderValues } from './render.js';
import { sessionChannel } from './session-channel.js';
import { offerInstanceId } from './offer-instance-id.js';
import { triggerProblem, triggers } from './trigger.js';
import { expiryReminder } from '../reminders.js';
import { blockedByQuietHours, deferralReminder, deferredOf, nextAllowedAt } from './deferral.js';
import { seedContent } from './masked-render.js';

/**
 * The decision for one event: which active campaigns it triggers, which of those may speak
 * to this customer now (target group, stop list, caps, the propensity floor), the best
 * offer per channel slot, rendered for the channel. Every campaign the event triggered
 * leaves an explanation: offered, or the rule that suppressed it.
 */

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
  /**
   * the server's clock when the decision is made (the event's time when absent): offers
   * expire, and say they do, counted from it, never from a past event's time
   */
  now?: number;
  /** the event came later than the server's bound (stale_event): applied, but no push contact is made */
  stale?: boolean;
  /** the event is an outbound run's hand-over (actors/outbound-run.ts): its campaign is decided, and other campaigns only on the segment changes it brought */
  run?: RunCall;
  /** the event is one of the server's own reminders firing: only then is an `offer.deferred` a deferred message's retry (never from a gateway) */
  fromReminder?: boolean;
  /** outbound runs cancelled: a deferred message of theirs is not sent at its retry (`run_cancelled`), nor is a hand-over of theirs decided (`run_cancelled`, not final) */
  runsCancelled?: ReadonlySet<string>;
  /** outbound runs paused: a deferred message of theirs waits again at its retry (`deferred:run_paused`), RUN_PAUSED_RETRY_MS later or more; a hand-over of theirs is not decided (`run_paused`, not final) */
  runsPaused?: ReadonlySet<string>;
}

/** How long a paused run's deferred message waits again before it looks whether the run goes on (then in the customer's next allowed window). */
export const RUN_PAUSED_RETRY_MS = 3_600_000;

export interface DecideResult {
  ctx: CustomerContext;
  actions: DecisionAction[];
  outbox: OutboxEntry[];
  explain: Explanation[];
  /** each offer's expiry, and the campaigns' follow-ups */
  reminders: ReminderSpec[];
}

export const noEvidence: ReadonlyMap<string, GroupEvidence> = new Map();
export const noModels: ReadonlyMap<string, OfferModelView> = new Map();
export const noneSpent: ReadonlySet<string> = new Set();

export function decide(ctx: CustomerContext, event: GatewayEvent, t: number, catalog: Catalog, inputs: DecideInputs): DecideResult {
  const { stops, budgetSpent = noneSpent, channelsFull = noneSpent, segmentChanges = [], evidence = noEvidence, models = noModels } = inputs;
  const session = sessionChannel(event);
  const deferred = inputs.fromReminder === true ? deferredOf(event) : undefined;
  // A call back the customer asked for (the server's reminder): its campaign decided again.
  const callback = inputs.fromReminder === true ? callbackOf(event) : undefined;
  const only = deferred?.campaign ?? callback?.campaign;
  let triggered: Campaign[] | undefined;
  for (const c of catalog.campaigns) {
    if (only === undefined ? triggers(c, event, session, segmentChanges, inputs.run) : only === c.id) (triggered ??= []).push(c);
  }
  // Most events trigger no campaign: nothing is made for them (the shared, frozen empties).
  if (triggered === undefined) return { ctx, actions: NO_ACTIONS, outbox: NOTHING, explain: NOTHING, reminders: NOTHING };
  const explain: Explanation[] = [];
  const tz = customerTimeZone(ctx, catalog);
  const local = localTime(t, tz);
  // Offers are made now: a late event's time is in the past.
  const decidedAt = Math.max(t, inputs.now ?? t);
  const stale = inputs.stale === true;
  // What an outbound run decides for its campaign (the run handed over, or the one a deferred retry came from) is counted for that run.
  const run = inputs.run?.id ?? (deferred !== undefined && typeof event.data?.run === 'string' ? event.data.run : undefined);
  const runCampaign = inputs.run?.campaign ?? deferred?.campaign;
  const ofRun = (campaign: string): boolean => run !== undefined && campaign === runCampaign;
  const result = (r: DecideResult): DecideResult => {
    for (const e of r.explain) if (ofRun(e.campaign)) e.run = run!;
    return r;
  };
  if (isStoppedEverywhere(stops)) {
    for (const c of triggered) explain.push({ campaign: c.id, verdict: 'suppressed', reason: 'stop_list' });
    return result({ ctx, actions: [], outbox: [], explain, reminders: [] });
  }

  const baseScope = makeScope(ctx, catalog, local.epochDay, event);
  const learning = catalog.policy.learning;
  const rng: Rng = seededRng(inputs.seed ?? fnv1a(event.id));
  // One draw decides the arm, before anything else, so the arm does not depend on the candidates.
  const arm: Arm = rng() < learning.randomShare ? 'random' : 'model';
  // The customer's and the moment's inputs, once; each campaign adds its own and applies its `model`.
  let modelInputs: ModelInput[] | undefined;
  const featuresFor = (c: Campaign): number[] => modelFeatureHashes((modelInputs ??= customerInputs(ctx, baseScope, event, local, catalog)), ctx, event, c, t);
  const candidates: Candidate[] = [];
  const reminders: ReminderSpec[] = [];
  for (const c of triggered) {
    const suppress = (reason: string, extra: Partial<Explanation> = {}): void => {
      explain.push({ campaign: c.id, verdict: 'suppressed', reason, ...extra });
    };
    const problem = triggerProblem(c, event, t, local);
    if (problem !== undefined) {
      suppress(problem);
      continue;
    }
    if (deferred !== undefined && decidedAt >= deferred.until) {
      // A deferred message whose offer would be closed already: recorded, never sent.
      suppress('expired');
      continue;
    }
    // A run's deferred message at its retry: not sent once the run is cancelled; waiting again while it is paused.
    if (deferred !== undefined && ofRun(c.id)) {
      if (inputs.runsCancelled?.has(run!) === true) {
        suppress('run_cancelled');
        continue;
      }
      if (inputs.runsPaused?.has(run!) === true) {
        const due = nextAllowedAt(catalog.policy, tz, decidedAt + RUN_PAUSED_RETRY_MS);
        if (due !== undefined && due < deferred.until) {
          reminders.push(deferralReminder(c, event, due, deferred.until));
          suppress('deferred:run_paused');
        } else suppress('expired');
        continue;
      }
    }
    // A run's hand-over once the run is cancelled or paused (the engine stops handing over, but
    // hand-overs already on their way are decided after the move): nobody is offered, and the
    // answer is not final (actors/outbound-run.ts): a paused run hands the customer over again.
    if (deferred === undefined && inputs.run !== undefined && c.id === inputs.run.campaign) {
      if (inputs.runsCancelled?.has(inputs.run.id) === true) {
        suppress('run_cancelled');
        continue;
      }
      if (inputs.runsPaused?.has(inputs.run.id) === true) {
        suppress('run_paused');
        continue;
      }
    }
    if (budgetSpent.has(c.id)) {
      suppress('budget_spent');
      continue;
    }
    // A run's customer left its segments since the run listed them (memberships as of now).
    if (c.outbound !== undefined && c.outbound.segments.length > 0 && !c.outbound.segments.some((s) => ctx.segments[s] !== undefined)) {
      suppress('not_in_segment');
      continue;
    }
    // A later wave calls again only those an earlier one did not reach.
    const wave = ofRun(c.id) && inputs.run !== undefined ? waveProblem(ctx, inputs.run) : undefined;
    if (wave !== undefined) {
      suppress(wave);
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
    const scope = withVars(baseScope, computed.vars);
    if (c.when !== undefined && !c.when(scope)) {
      suppress('condition_false');
      continue;
    }
    const stage = stageProblem(c, scope);
    if (stage !== undefined) {
      suppress(stage);
      continue;
    }
    let group: (typeof c.groups)[number] | undefined;
    for (const g of c.groups) {
      if (g.when(scope)) {
        group = g;
        break;
      }
    }
    if (group === undefined) {
      suppress('not_in_target_group');
      continue;
    }
    const groupEvidence = evidence.get(evidenceKey(c.id, group.id));
    const groupP = posteriorProbability(group.probability, groupEvidence, catalog.policy.priorStrength);
    const model = learning.models ? models.get(c.offer.id) : undefined;
    let x: number[] | undefined;
    if (learning.models) {
      x = featuresFor(c);
      x.push(hashFeature(`group=${c.id}/${group.id}`));
    }
    const blended = blend(groupP, model, x, learning.modelEvidence);
    const probability = blended.p;
    // Below the floor, silence; except in the random arm (learning.belowFloor), so the models
    // learn whether they were wrong about those they score lowest. Every contact rule after this still holds.
    const exploring = arm === 'random' && learning.belowFloor && probability > 0;
    if ((probability < c.minProbability && !exploring) || probability === 0) {
      suppress('below_propensity_floor', { group: group.id, probability });
      continue;
    }
    const recency = recencyProblem(ctx, c, t, ofRun(c.id) ? inputs.run : undefined) ?? suppressionProblem(ctx, c, t, catalog);
    if (recency !== undefined) {
      suppress(recency, { group: group.id });
      continue;
    }
    // Levers: the campaign's priority and the offer's lever; "maybe later" weighs it down for a while.
    const weight = campaignLevers(c) * laterWeight(ctx, c, t, catalog.policy);
    let draw: number | undefined;
    if (learning.exploration === 'thompson') {
      // The draw's spread narrows as evidence (the group's answers, the model's examples) grows.
      const n = catalog.policy.priorStrength + evidenceWeight(groupEvidence) + (model === undefined ? 0 : (blended.model?.weight ?? 0) * model.examples);
      draw = betaSample(probability * n, (1 - probability) * n, rng);
    }
    const randomKey = rng();
    const why: string[] = [];
    c.channels.forEach((channel, rank) => {
      // A stale event may still answer on its own screen; nothing is pushed (docs/runtime.md).
      const pushed = isOutbound(channel) || channel !== session;
      const problem = stale && pushed ? 'stale_event' : channelsFull.has(channel) ? 'capacity' : channelProblem(ctx, c, channel, session, stops, catalog.policy, local);
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
    if (why.length === c.channels.length) {
      if (stale) {
        suppress('stale_event', { group: group.id, probability });
      } else if (blockedByQuietHours(why) && c.near === undefined) {
        // Deferred, not dropped: retried at the next allowed window unless its offer would be closed by then.
        // An offer about where the customer is now (trigger.near) is not: the moment has passed.
        const until = deferred?.until ?? decidedAt + c.expiresInMs;
        const due = nextAllowedAt(catalog.policy, tz, decidedAt);
        if (due !== undefined && due < until) {
          reminders.push(deferralReminder(c, event, due, until));
          suppress(`deferred:${why.join(',')}`, { group: group.id, probability });
        } else {
          suppress(`expired:${why.join(',')}`, { group: group.id, probability });
        }
      } else {
        suppress(`no_channel:${why.join(',')}`, { group: group.id, probability });
      }
    }
  }

  candidates.sort((a, b) => b.key - a.key || a.rank - b.rank || a.campaign.id.localeCompare(b.campaign.id));

  let next = ctx;
  const actions: DecisionAction[] = [];
  const outbox: OutboxEntry[] = [];
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
      // (a call back is not capped by the call it follows)
      const counted = next.contacts.filter((k) => k.control !== true && !exempt.has(k.channel as Channel) && k.instance !== callback?.instance);
      const cap = blockingCap(counted, catalog.policy.caps, cand.channel, t);
      if (cap !== undefined) {
        fail(`cap:${cap.channel === '*' ? cand.channel : cap.channel}:${cap.max}_per_${formatWindow(cap.windowMs)}`);
        continue;
      }
    }
    if (inControlGroup(next.id, c)) {
      // "Would have offered": recorded for the uplift report, counted by recency, never sent.
      const seq = next.seq + 1;
      const instance = offerInstanceId(next.id, seq, event.id);
      const withheld: ContactRecord = { instance, campaign: c.id, offer: c.offer.id, channel: cand.channel, at: t, marketing: c.marketing, delivery: 'withheld', control: true, group: cand.group };
      if (ofRun(c.id)) withheld.run = run!;
      next = { ...next, seq, contacts: [...next.contacts, withheld] };
      usedCampaigns.add(c.id);
      failed.delete(c.id);
      explain.push({ campaign: c.id, verdict: 'control', group: cand.group, channel: cand.channel, offer: c.offer.id, score: cand.score });
      continue;
    }
    const tpl = c.templates.get(cand.channel);
    if (tpl === undefined) continue;
    // Counted from now, and never past a deferred message's original deadline.
    const expiresAt = deferred === undefined ? decidedAt + c.expiresInMs : Math.min(decidedAt + c.expiresInMs, deferred.until);
    const rendered = render(tpl, renderValues(next, c, cand.vars, event, expiresAt, tz, cand.nearby, local.epochDay), c.maxSmsParts);
    if (!rendered.ok) {
      fail(rendered.reason);
      continue;
    }
    const seq = next.seq + 1;
    const instance = offerInstanceId(next.id, seq, event.id);
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
    if (ofRun(c.id)) contact.run = run!;
    const pending: OfferInstance = { instance, campaign: c.id, offer: c.offer.id, channel: cand.channel, at: t, expiresAt, group: cand.group, vars: cand.vars, p: cand.probability, arm };
    if (cand.x !== undefined) pending.x = cand.x;
    next = { ...next, seq, contacts: [...next.contacts, contact], pending: [...next.pending, pending] };
    const action: DecisionAction = { instance, campaign: c.id, offer: c.offer.id, channel: cand.channel, content: rendered.content, expiresAt };
    actions.push(action);
    reminders.push(expiryReminder(instance, c.id, c.offer.id, expiresAt));
    if (c.followUp !== undefined) {
      reminders.push({ name: `followup:${c.id}`, due: decidedAt + c.followUp.afterMs, event: c.followUp.event, data: { campaign: c.id, offer: c.offer.id, instance } });
    }
    if (outbound) {
      const entry: OutboxEntry = { kind: 'offer', instance, customer: next.id, channel: cand.channel, campaign: c.id, offer: c.offer.id, content: rendered.content, expiresAt, at: t };
      const to = addressFor(next, cand.channel);
      if (to !== undefined) entry.to = to;
      outbox.push(entry);
      // The seed list gets a copy of the message rendered for the customer masked (and their
      // event): the bank's test recipient sees its layout and delivery, not whom it went to or
      // what it said of them (docs/security.md). Its SMS parts are its own text's (delivery counts them).
      const seeds = c.seeds.filter((seed) => seed.channel === cand.channel);
      const copy = seeds.length === 0 ? undefined : seedContent(next.profile, c, cand.channel, event, t, expiresAt, catalog, rendered.content);
      c.seeds.forEach((seed, i) => {
        if (seed.channel !== cand.channel || copy === undefined) return;
        outbox.push({ kind: 'offer', instance: `${instance}~seed${i + 1}`, customer: next.id, channel: seed.channel, campaign: c.id, offer: c.offer.id, content: copy, expiresAt, at: t, to: seed.to, seed: true });
      });
    }
    usedChannels.add(cand.channel);
    usedCampaigns.add(c.id);
    failed.delete(c.id);
    explain.push(offeredExplanation(cand, arm));
  }
  for (const [id, e] of failed) if (!usedCampaigns.has(id)) explain.push(e);
  return result({ ctx: next, actions, outbox, explain, reminders });
}

/** What a campaign's offer weighs in the ranking besides its probability and the channel's context: the offer's value, the campaign's priority and the offer's lever. */
export function campaignLevers(c: Campaign): number {
  return Math.max(c.offer.value, 1) * c.priority * c.offer.lever;
}

export function offeredExplanation(cand: Candidate, arm: Arm): Explanation {
  const e: Explanation = { campaign: cand.campaign.id, verdict: 'offered', group: cand.group, channel: cand.channel, offer: cand.campaign.offer.id, probability: cand.probability, score: cand.score, arm };
  if (cand.model !== undefined) e.model = cand.model;
  if (cand.draw !== undefined) e.draw = cand.draw;
  return e;
}
