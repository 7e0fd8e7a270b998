import type { Api, FunnelRow } from './api/client';
import { problemText } from './api/client';

/** The campaign funnel's stages the console shows, in order. */
export const FUNNEL_STAGES = ['triggered', 'offered', 'delivered', 'answered', 'converted'] as const;
export type FunnelStageName = (typeof FUNNEL_STAGES)[number];
export type FunnelTotals = Record<FunnelStageName, number>;

const zero = (): FunnelTotals => ({ triggered: 0, offered: 0, delivered: 0, answered: 0, converted: 0 });

/** The report's rows summed by campaign (a row per campaign and channel comes back). */
export function totalsByCampaign(rows: readonly FunnelRow[]): Map<string, FunnelTotals> {
  const out = new Map<string, FunnelTotals>();
  for (const r of rows) {
    const t = out.get(r.campaign) ?? zero();
    for (const s of FUNNEL_STAGES) t[s] += r[s];
    out.set(r.campaign, t);
  }
  return out;
}

export function emptyTotals(): FunnelTotals {
  return zero();
}

/** The funnel report's rows by campaign and channel over a day range (one campaign, or all); the API's refusal thrown as its message. */
export async function funnelRows(api: Api, range: { from: string; to: string; campaign?: string }): Promise<FunnelRow[]> {
  const r = await api.GET('/v1/reports/funnel', { params: { query: { ...range, by: 'channel', format: 'json' } } });
  if (r.error !== undefined) throw new Error(problemText(r.error));
  // JSON asked for: the CSV form of the reply (a string) never comes back here.
  if (typeof r.data === 'string') throw new Error('the funnel came back as CSV');
  return r.data.rows;
}
