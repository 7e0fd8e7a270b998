import type { Consent, CustomerContext, DaySeries, Identifiers, LifecycleStage, Profile, SeenLog } from './customer-state.js';
import { BUCKET_SIZE, UNTAUGHT_CALLS_KEPT, emptyIdentifiers, keepUntaught, retention } from './customer-state.js';
import { contactIdentifierKinds } from './gateway-event.js';

/** How far along a stage is: a merge keeps the further one. */
const stageRank: Readonly<Record<LifecycleStage, number>> = { visitor: 0, prospect: 1, formerClient: 2, client: 3 };

/** What a merge combined, for its reply and the audit trail. */
export interface MergeCounts {
  /** identifiers of the loser the survivor did not have */
  identifiers: number;
  contacts: number;
  pending: number;
  responses: number;
  features: number;
  segments: number;
  consents: number;
  /** profile fields the survivor had empty and took from the loser */
  profileFields: number;
}

export interface MergeResult {
  ctx: CustomerContext;
  counts: MergeCounts;
}

function empty(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

/** The survivor's fields, each one it has empty taken from the loser. */
function mergeProfile(survivor: Profile, loser: Profile): [Profile, number] {
  const out: Record<string, unknown> = { ...survivor };
  let taken = 0;
  for (const [k, v] of Object.entries(loser)) {
    if (empty(out[k]) && !empty(v)) {
      out[k] = v;
      taken++;
    }
  }
  return [out, taken];
}

/** Per channel, the most recent decision; at the same time, a revocation over a grant. */
function mergeConsents(survivor: Record<string, Consent>, loser: Record<string, Consent>): [Record<string, Consent>, number] {
  const out: Record<string, Consent> = { ...survivor };
  let taken = 0;
  for (const [channel, c] of Object.entries(loser)) {
    const mine = out[channel];
    if (mine === undefined || c.at > mine.at || (c.at === mine.at && !c.granted && mine.granted)) {
      out[channel] = c;
      taken++;
    }
  }
  return [out, taken];
}

function mergeIdentifiers(survivor: Identifiers, loser: Identifiers): [Identifiers, number] {
  const out = emptyIdentifiers();
  let added = 0;
  for (const kind of contactIdentifierKinds) {
    const mine = survivor[kind];
    const theirs = loser[kind].filter((v) => !mine.includes(v));
    added += theirs.length;
    out[kind] = [...mine, ...theirs];
  }
  return [out, added];
}

/** Two day-bucket series as one: per day, counts and sums added, the smaller smallest and the larger largest. */
export function mergeSeries(a: Readonly<DaySeries>, b: Readonly<DaySeries>): DaySeries {
  const days = new Map<number, number[]>();
  for (const s of [a, b]) {
    for (let i = 0; i + BUCKET_SIZE <= s.length; i += BUCKET_SIZE) {
      const day = s[i] as number;
      const [count, sum, min, max] = s.slice(i + 1, i + BUCKET_SIZE) as [number, number, number, number];
      const d = days.get(day);
      if (d === undefined) days.set(day, [count, sum, min, max]);
      else days.set(day, [(d[0] as number) + count, (d[1] as number) + sum, Math.min(d[2] as number, min), Math.max(d[3] as number, max)]);
    }
  }
  return [...days.entries()].sort((x, y) => x[0] - y[0]).flatMap(([day, v]) => [day, ...v]);
}

/** Both sides' entries by time (the survivor's first at a tie), the newest `keep`. */
function byTime<T extends { at: number }>(a: readonly T[], b: readonly T[], keep: number): T[] {
  const all = [...a, ...b].map((x, i) => ({ x, i })).sort((p, q) => p.x.at - q.x.at || p.i - q.i).map((p) => p.x);
  return all.slice(Math.max(0, all.length - keep));
}

/** The two idempotency logs as one, by time: a request id either side answered is answered again. */
function mergeSeen(a: SeenLog, b: SeenLog): SeenLog {
  const rows = [...a.id.keys()].map((i) => ({ id: a.id[i] as string, at: a.at[i] as number, actions: a.actions[i] ?? null }));
  for (const [i, id] of b.id.entries()) if (!a.id.includes(id)) rows.push({ id, at: b.at[i] as number, actions: b.actions[i] ?? null });
  rows.sort((p, q) => p.at - q.at);
  return { id: rows.map((r) => r.id), at: rows.map((r) => r.at), actions: rows.map((r) => r.actions) };
}

/**
 * Two profiles of one person as one: the survivor's, with the loser's history joined
 * (docs/identity.md, "Merging profiles"). Pure: `now` is the merge's time.
 *
 * - id, offer-instance sequence: the survivor's;
 * - stage: the further along (visitor < prospect < formerClient < client), with a lifecycle entry `merge`;
 * - profile: the survivor's fields, each one it has empty taken from the loser;
 * - identifiers: both, the survivor's first (the bank's import is not cut, so neither is a merge);
 * - consents: per channel the most recent decision wins; at the same time a revocation wins;
 * - contacts (so the caps, which count them), pending offers, responses, lifecycle: both, by
 *   time, within the retention bounds; segments: both, the earlier entry; features: per day
 *   the buckets added; the segments' last evaluation is dropped (the next event evaluates all);
 * - the idempotency log: both; created: the earlier; last event: the later;
 * - the outbound runs handed over, the warm leads, the calls kept for a late answer: both.
 */
export function mergeCustomers(survivor: CustomerContext, loser: CustomerContext, now: number): MergeResult {
  const [profile, profileFields] = mergeProfile(survivor.profile, loser.profile);
  const [consents, consentsTaken] = mergeConsents(survivor.consents, loser.consents);
  const [identifiers, identifiersAdded] = mergeIdentifiers(survivor.identifiers, loser.identifiers);
  const stage = stageRank[loser.stage] > stageRank[survivor.stage] ? loser.stage : survivor.stage;
  const segments: Record<string, number> = { ...survivor.segments };
  for (const [seg, at] of Object.entries(loser.segments)) segments[seg] = Math.min(at, segments[seg] ?? at);
  const features: Record<string, DaySeries> = { ...survivor.features };
  for (const [f, series] of Object.entries(loser.features)) {
    const mine = features[f];
    features[f] = mine === undefined ? [...series] : mergeSeries(mine, series);
  }
  const lastEventAt = Math.max(survivor.lastEventAt ?? -Infinity, loser.lastEventAt ?? -Infinity);
  const ctx: CustomerContext = {
    ...survivor,
    stage,
    profile,
    identifiers,
    consents,
    lifecycle: byTime(survivor.lifecycle, loser.lifecycle, retention.lifecycle - 1).concat({ stage, at: now, reason: `merge:${loser.id}` }),
    segments,
    features,
    contacts: byTime(survivor.contacts, loser.contacts, retention.contacts),
    pending: byTime(survivor.pending, loser.pending, Number.MAX_SAFE_INTEGER),
    responses: byTime(survivor.responses, loser.responses, retention.responses),
    seen: mergeSeen(survivor.seen, loser.seen),
    createdAt: Math.min(survivor.createdAt, loser.createdAt),
  };
  delete ctx.segmentsEvaluated;
  if (Number.isFinite(lastEventAt)) ctx.lastEventAt = lastEventAt;
  // the outbound runs either was handed: the person was, so a run reaching the survivor does nothing again
  if (survivor.runs !== undefined || loser.runs !== undefined) ctx.runs = { ...loser.runs, ...survivor.runs };
  // the warm leads either became: the person did, so the manager is not notified twice
  if (survivor.leads !== undefined || loser.leads !== undefined) ctx.leads = { ...loser.leads, ...survivor.leads };
  // the calls closed unanswered either keeps for a late answer, by time, as long as their contact is kept
  const untaught = byTime(survivor.untaught ?? [], loser.untaught ?? [], UNTAUGHT_CALLS_KEPT);
  const merged = untaught.length === 0 ? ctx : keepUntaught({ ...ctx, untaught: [] }, untaught);
  if (merged.untaught?.length === 0) delete merged.untaught;
  return {
    ctx: merged,
    counts: {
      identifiers: identifiersAdded,
      contacts: loser.contacts.length,
      pending: loser.pending.length,
      responses: loser.responses.length,
      features: Object.keys(loser.features).length,
      segments: Object.keys(loser.segments).length,
      consents: consentsTaken,
      profileFields,
    },
  };
}
