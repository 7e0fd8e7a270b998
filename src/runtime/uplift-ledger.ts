import type { Catalog, ContactRecord, Conversion, Explanation } from '../../actors/index.js';
import { differenceInterval, wilson } from '../../actors/index.js';
import { isAnswer } from './funnel-ledger.js';
import { MetaCounters } from './meta-counters.js';
import { reportFigure, reportFigureOrNull } from './report-figure.js';

/**
 * Per campaign: contacts made (treated) and withheld (control group), how many of each
 * reached the campaign's goal, and the answers to the real contacts. Written with the
 * write-behind batches; read by the uplift report.
 */
export interface UpliftCounts {
  treated: number;
  control: number;
  treatedConverted: number;
  controlConverted: number;
  accepted: number;
  answered: number;
}

export interface Rate {
  contacts: number;
  conversions: number;
  rate: number | null;
  /** 95 % Wilson interval */
  ci95: [number, number] | null;
}

export interface UpliftReport {
  campaign: string;
  goal: { events: string[]; withinDays: number } | null;
  controlPercent: number;
  treated: Rate;
  control: Rate;
  /** treated rate minus control rate, with a 95 % interval (Newcombe); null until both groups have contacts */
  uplift: { difference: number; ci95: [number, number]; relative: number | null; significant: boolean } | null;
  /** answers to the real contacts */
  responses: { answered: number; accepted: number; acceptanceRate: number | null };
  note?: string;
}

/**
 * A group's rate. Over a date range, conversions (by the day they were recorded) may outnumber
 * the contacts (by the day they were made); the rate and its interval then count as many
 * conversions as contacts (a rate of 1), the count itself is shown as it is.
 */
function rateOf(contacts: number, conversions: number): Rate {
  const counted = Math.min(conversions, contacts);
  return { contacts, conversions, rate: contacts === 0 ? null : reportFigure(counted / contacts), ci95: contacts === 0 ? null : interval(wilson(counted, contacts)) };
}

/** An interval as the report gives it: each bound a `reportFigure` (a bound that is 0 is 0, not 4.3e-19). */
const interval = ([low, high]: [number, number]): [number, number] => [reportFigure(low), reportFigure(high)];

export class UpliftLedger {
  readonly counters = new MetaCounters<UpliftCounts>('uplift/', () => ({ treated: 0, control: 0, treatedConverted: 0, controlConverted: 0, accepted: 0, answered: 0 }));

  /** One handled event's trace: contacts made and withheld, goals reached. */
  record(explain: readonly Explanation[], conversions: readonly Conversion[]): void {
    for (const e of explain) {
      if (e.verdict === 'offered') this.counters.update(e.campaign, (u) => void (u.treated += 1));
      else if (e.verdict === 'control') this.counters.update(e.campaign, (u) => void (u.control += 1));
    }
    for (const c of conversions) {
      this.counters.update(c.campaign, (u) => {
        if (c.control) u.controlConverted += 1;
        else u.treatedConverted += 1;
      });
    }
  }

  /**
   * The answers to the real contacts, from a step's contact records as the funnel counts them
   * (FunnelLedger.recordContacts): an outcome newly recorded that is an answer (not `expired`,
   * not `no_answer`; a call's late answer replacing those counts then), of any kind (`later`,
   * `interested`, `callback` too, though they teach the models nothing); a control-group
   * hold-out has none. Contact records are immutable: only new objects are compared.
   */
  recordContacts(before: readonly ContactRecord[], after: readonly ContactRecord[]): void {
    if (before === after) return;
    let old: Map<string, ContactRecord> | undefined;
    for (const c of after) {
      if (c.control === true || c.outcome === undefined || before.includes(c)) continue;
      old ??= new Map(before.map((b) => [b.instance, b]));
      const was = old.get(c.instance)?.outcome;
      if (c.outcome === was) continue;
      const answered = (isAnswer(c.outcome) ? 1 : 0) - (was !== undefined && isAnswer(was) ? 1 : 0);
      const accepted = (c.outcome === 'accepted' ? 1 : 0) - (was === 'accepted' ? 1 : 0);
      if (answered === 0 && accepted === 0) continue;
      this.counters.update(c.campaign, (u) => {
        u.answered += answered;
        u.accepted += accepted;
      });
    }
  }

  report(campaignId: string, catalog: Catalog): UpliftReport {
    return upliftReport(campaignId, catalog, this.counters.get(campaignId));
  }
}

/**
 * A campaign's uplift report from its counts: those since the store began (the ledger's), or
 * those of a date range summed from the funnel's daily buckets (`upliftCountsOf`).
 */
export function upliftReport(campaignId: string, catalog: Catalog, u: UpliftCounts): UpliftReport {
  const c = catalog.campaigns.find((x) => x.id === campaignId);
  const goal = c?.goal;
  const treated = rateOf(u.treated, u.treatedConverted);
  const control = rateOf(u.control, u.controlConverted);
  const out: UpliftReport = {
    campaign: campaignId,
    goal: goal === undefined ? null : { events: [...goal.events], withinDays: goal.withinMs / 86_400_000 },
    controlPercent: (c?.controlShare ?? 0) * 100,
    treated,
    control,
    uplift: null,
    responses: { answered: u.answered, accepted: u.accepted, acceptanceRate: u.answered === 0 ? null : reportFigure(u.accepted / u.answered) },
  };
  if (treated.rate !== null && control.rate !== null) {
    // from the counts, not the rounded rates; each figure then rounded, and significance read off
    // the interval as reported (a bound of 4.3e-19 is 0: no significance out of rounding noise)
    const treatedRate = Math.min(u.treatedConverted, u.treated) / u.treated;
    const controlRate = Math.min(u.controlConverted, u.control) / u.control;
    const ci95 = interval(differenceInterval(Math.min(u.treatedConverted, u.treated), u.treated, Math.min(u.controlConverted, u.control), u.control));
    out.uplift = {
      difference: reportFigure(treatedRate - controlRate),
      ci95,
      relative: reportFigureOrNull(controlRate === 0 ? null : treatedRate / controlRate - 1),
      significant: ci95[0] > 0 || ci95[1] < 0,
    };
  }
  if (goal === undefined) out.note = 'the campaign has no goal: conversions are not counted (set goal.events to measure uplift)';
  else if ((c?.controlShare ?? 0) === 0) out.note = 'the campaign has no control group (set controlPercent above 0 to measure uplift)';
  else if (u.control === 0) out.note = 'no control-group contacts yet';
  const capped = [u.treatedConverted > u.treated ? 'treated' : '', u.controlConverted > u.control ? 'control' : ''].filter((g) => g !== '');
  if (capped.length > 0) {
    // Only over a range: a contact converts once, so the totals never have more conversions than contacts.
    const more = `${capped.join(' and ')}: more conversions than contacts in the range (conversions of contacts made before it); the rate counts as many conversions as contacts (1)`;
    out.note = out.note === undefined ? more : `${out.note}; ${more}`;
  }
  return out;
}

/** The uplift counts of a funnel row: its offers and hold-outs, their goals reached, the answers (expiries and calls not answered are none, as in UpliftLedger.recordContacts). */
export function upliftCountsOf(row: { offered: number; control: number; converted: number; controlConverted: number; answered: number; accepted: number } | undefined): UpliftCounts {
  if (row === undefined) return { treated: 0, control: 0, treatedConverted: 0, controlConverted: 0, accepted: 0, answered: 0 };
  return { treated: row.offered, control: row.control, treatedConverted: row.converted, controlConverted: row.controlConverted, accepted: row.accepted, answered: row.answered };
}
