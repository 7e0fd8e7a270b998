import type { Catalog } from './catalog/compiled-catalog.js';
import type { EvalScope } from './condition.js';
import type { CustomerContext } from './customer-state.js';
import { bucketsOf, windowValue } from './features.js';
import type { GatewayEvent } from './gateway-event.js';

/** The customer's time zone: the profile's, else the catalog's default. */
export function customerTimeZone(ctx: CustomerContext, catalog: Catalog): string {
  return ctx.profile.timezone ?? catalog.policy.defaultTimezone;
}

/**
 * A scope for rules at one moment: features read the windows ending on `today` (the
 * customer's local day), memoised for the scope's life. A class, not an object of closures:
 * several scopes are made per event (ingest, goals, the decision), each one object (the memo
 * made at the first feature read).
 */
class Scope implements EvalScope {
  declare event?: GatewayEvent;
  declare vars?: Readonly<Record<string, number | string>>;
  /** feature id -> its value, shared with the scopes `withVars` made of this one */
  memo: Map<string, number | undefined> | undefined;

  constructor(
    readonly ctx: CustomerContext,
    readonly catalog: Catalog,
    readonly day: number,
  ) {}

  feature(id: string): number | undefined {
    const memo = (this.memo ??= new Map<string, number | undefined>());
    if (memo.has(id)) return memo.get(id);
    const f = this.catalog.featureById.get(id);
    const v = f === undefined ? undefined : windowValue(bucketsOf(this.ctx.features, f), this.day, f.window, f.aggregate);
    memo.set(id, v);
    return v;
  }

  score(id: string): number {
    let total = 0;
    for (const term of this.catalog.scores.get(id)?.terms ?? []) total += term.weight * Math.min(this.feature(term.feature) ?? 0, term.cap);
    return total;
  }

  inSegment(id: string): boolean {
    return Object.hasOwn(this.ctx.segments, id);
  }
}

export function makeScope(
  ctx: CustomerContext,
  catalog: Catalog,
  today: number,
  event?: GatewayEvent,
  vars?: Readonly<Record<string, number | string>>,
): EvalScope {
  const scope = new Scope(ctx, catalog, today);
  if (event !== undefined) scope.event = event;
  if (vars !== undefined) scope.vars = vars;
  return scope;
}

/** The scope with a campaign's computed vars (its features' values read once for both). */
export function withVars(scope: EvalScope, vars: Readonly<Record<string, number | string>>): EvalScope {
  if (!(scope instanceof Scope)) return { ...scope, vars };
  const out = new Scope(scope.ctx, scope.catalog, scope.day);
  out.memo = scope.memo ??= new Map<string, number | undefined>();
  if (scope.event !== undefined) out.event = scope.event;
  out.vars = vars;
  return out;
}
