import type { Catalog } from '../catalog/compiled-catalog.js';
import type { EvalScope } from '../condition.js';
import type { CustomerContext } from '../customer-state.js';
import type { GatewayEvent } from '../gateway-event.js';
import { fnv1a } from '../hash.js';
import type { LocalTime } from '../local-time.js';

/**
 * What an offer's adaptive model sees of a customer at the moment of a decision: profile
 * attributes (binned), lifecycle stage, segment memberships, the catalog's behavioural
 * features (log-binned), and the context (event type, channel, part of day, weekday). Each
 * is a named binary feature; the model hashes the names into its weights. The same list is
 * kept with the offer instance, so the model learns from exactly what it scored.
 */

/** A number onto a few steps: 0, then powers of two (1, 2, 4 ... in the value's unit). */
function log2Bin(v: number): string {
  if (!Number.isFinite(v)) return 'na';
  if (v <= 0) return v === 0 ? '0' : 'neg';
  return String(Math.floor(Math.log2(v)));
}

/** The feature names, for explanations and for the model's dictionary. */
export function modelFeatureNames(ctx: CustomerContext, scope: EvalScope, event: GatewayEvent, local: LocalTime, catalog: Catalog): string[] {
  const p = ctx.profile;
  const names = ['bias', `stage=${ctx.stage}`];
  if (p.age !== undefined) names.push(`age=${Math.min(9, Math.floor(p.age / 10))}`);
  if (p.gender !== undefined) names.push(`gender=${p.gender}`);
  if (p.job !== undefined) names.push(`job=${p.job}`);
  if (p.marital !== undefined) names.push(`marital=${p.marital}`);
  if (p.education !== undefined) names.push(`education=${p.education}`);
  if (p.creditDefault !== undefined) names.push(`default=${p.creditDefault}`);
  if (p.housingLoan !== undefined) names.push(`housing=${p.housingLoan}`);
  if (p.personalLoan !== undefined) names.push(`loan=${p.personalLoan}`);
  if (p.balance !== undefined) names.push(`balance=${log2Bin(p.balance)}`);
  for (const s of Object.keys(ctx.segments)) names.push(`segment=${s}`);
  for (const f of catalog.features) {
    const v = scope.feature(f.id);
    if (v !== undefined) names.push(`${f.id}=${log2Bin(v)}`);
  }
  names.push(`event=${event.type}`);
  if (event.channel !== undefined) names.push(`channel=${event.channel}`);
  names.push(`daypart=${Math.floor(local.hour / 3)}`, `weekday=${local.weekday}`);
  const answered = ctx.responses.length;
  names.push(`responses=${log2Bin(answered)}`);
  return names;
}

/**
 * The hashed form the model reads: 30 bits (the model masks them to its size), so each is a
 * small integer V8 keeps unboxed in the arrays an offer instance carries, not a heap number.
 */
export function hashFeature(name: string): number {
  return fnv1a(name) & 0x3fffffff;
}

export function hashFeatures(names: readonly string[]): number[] {
  return names.map(hashFeature);
}
