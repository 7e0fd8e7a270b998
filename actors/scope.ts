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
 * customer's local day), memoised for the scope's life.
 */
export function makeScope(
  ctx: CustomerContext,
  catalog: Catalog,
  today: number,
  event?: GatewayEvent,
  vars?: Readonly<Record<string, number | string>>,
): EvalScope {
  const memo = new Map<string, number | undefined>();
  const scope: EvalScope = {
    ctx,
    day: today,
    feature(id) {
      if (memo.has(id)) return memo.get(id);
      const f = catalog.featureById.get(id);
      const v = f === undefined ? undefined : windowValue(bucketsOf(ctx.features, f), today, f.window, f.aggregate);
      memo.set(id, v);
      return v;
    },
    score(id) {
      let total = 0;
      for (const term of catalog.scores.get(id)?.terms ?? []) total += term.weight * Math.min(scope.feature(term.feature) ?? 0, term.cap);
      return total;
    },
    inSegment(id) {
      return Object.hasOwn(ctx.segments, id);
    },
  };
  if (event !== undefined) scope.event = event;
  if (vars !== undefined) scope.vars = vars;
  return scope;
}
