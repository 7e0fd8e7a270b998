import type { Campaign, Var } from '../catalog/compiled-catalog.js';
import type { EvalScope } from '../condition.js';

export type Vars = Record<string, number | string>;

export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
}

/** One variable's value from what it read (`raw`, and `minus` where it subtracts one); undefined: none. */
function varValue(v: Var, raw: unknown, minus: unknown): number | string | undefined {
  if (typeof raw === 'string' && v.minus === undefined && v.roundUpTo === undefined && v.tiers === undefined) return raw;
  let n = toNumber(raw);
  if (v.minus !== undefined) n -= toNumber(minus);
  if (!Number.isFinite(n)) return undefined;
  if (v.roundUpTo !== undefined) n = Math.ceil(n / v.roundUpTo - 1e-9) * v.roundUpTo;
  if (v.tiers !== undefined) {
    let tier: number | undefined;
    for (const [threshold, value] of v.tiers) if (n >= threshold) tier = value;
    if (tier === undefined) return undefined;
    n = tier;
  }
  return n;
}

/**
 * The campaign's variables for this event, or the name of the first one without a value.
 * With `opaque` (a masked customer's scope reads that for every value of the customer,
 * masked-render.ts), a variable that reads it is `opaque` itself, whatever it computes: nothing
 * derived from a hidden value (a difference, a rounding, a tier) is a value.
 */
export function computeVars(c: Campaign, scope: EvalScope, opaque?: string): { vars: Vars } | { missing: string } {
  const vars: Vars = {};
  for (const v of c.vars) {
    const raw = v.from(scope);
    const minus = v.minus?.(scope);
    const value = opaque !== undefined && (raw === opaque || minus === opaque) ? opaque : varValue(v, raw, minus);
    if (value === undefined) return { missing: v.name };
    vars[v.name] = value;
  }
  return { vars };
}
