import type { Campaign } from '../catalog/compiled-catalog.js';
import type { EvalScope } from '../condition.js';

export type Vars = Record<string, number | string>;

export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
}

/** The campaign's variables for this event, or the name of the first one without a value. */
export function computeVars(c: Campaign, scope: EvalScope): { vars: Vars } | { missing: string } {
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
