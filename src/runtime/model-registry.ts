import type { Arm, Learned, OfferModelView } from '../../actors/index.js';
import { FtrlModel, aucBin, aucBins, binnedAuc, defaultFtrl, rateRatio } from '../../actors/index.js';
import type { AuditDraft } from '../audit/audit-chain.js';
import type { Store } from '../store/store.js';
import { DayCounters, FUNNEL_KEEP_DAYS, isoDay } from './funnel-ledger.js';
import { MetaCounters } from './meta-counters.js';

/**
 * The adaptive propensity model of each offer (FTRL over the customer's hashed features),
 * trained by the runtime from the `learned` traces of the actors, and read by decisions.
 * Models span customers, so they live here, not in an actor.
 *
 * Two things are kept in the store: the statistics (examples, positives, negatives, a
 * running AUC, the answers per arm), small, written with every write-behind batch; and the
 * weights, written every few seconds and at shutdown (a `kill -9` loses at most that much
 * learning, never a contact).
 */

export interface ArmCounts {
  positives: number;
  negatives: number;
}

export interface ModelStats {
  examples: number;
  positives: number;
  negatives: number;
  /** running AUC: outcomes by the score bin the decision used (halved as they grow, so recent outcomes weigh most) */
  aucPos: number[];
  aucNeg: number[];
  arms: Record<Arm, ArmCounts>;
  /** the answers per arm of each campaign that offered the model's offer */
  campaigns: Record<string, Record<Arm, ArmCounts>>;
}

/**
 * The evidence an AUC or a lift needs before it is shown (documented in docs/learning.md):
 * the model has learnt from `examples` answers, and the answers behind the figure (the
 * model's, the period's, each arm's) number `examples` with `positives` yes and `negatives` no.
 * The defaults; policy.learning's `figureAnswers` and `figureOutcomes` set them.
 */
export interface FigureEvidence {
  examples: number;
  positives: number;
  negatives: number;
}
export const FIGURE_EVIDENCE: FigureEvidence = { examples: 200, positives: 20, negatives: 20 };

/** The evidence policy.learning asks for. */
export const figureEvidenceOf = (l: { figureAnswers: number; figureOutcomes: number }): FigureEvidence => ({ examples: l.figureAnswers, positives: l.figureOutcomes, negatives: l.figureOutcomes });

/** How many days the within-period AUC covers: the last 30 local days, today included. */
export const RECENT_AUC_DAYS = 30;

/** Why a figure is not shown yet: the first threshold the evidence is short of (`what`: whose answers), or null. */
export function evidenceShortfall(n: { answers: number; positives: number; negatives: number }, what = '', need: FigureEvidence = FIGURE_EVIDENCE): string | null {
  const say = (min: number, has: number, of: string): string => `${what === '' ? '' : `${what}: `}needs ${min} ${of}, has ${has}`;
  if (n.answers < need.examples) return say(need.examples, n.answers, 'answers');
  if (n.positives < need.positives) return say(need.positives, n.positives, 'positive answers');
  if (n.negatives < need.negatives) return say(need.negatives, n.negatives, 'negative answers');
  return null;
}

const SEP = '\u001f';

/** How many scored outcomes the running AUC keeps before halving them. */
const AUC_WINDOW = 20_000;

function emptyStats(): ModelStats {
  return {
    examples: 0,
    positives: 0,
    negatives: 0,
    aucPos: new Array<number>(aucBins).fill(0),
    aucNeg: new Array<number>(aucBins).fill(0),
    arms: { model: { positives: 0, negatives: 0 }, random: { positives: 0, negatives: 0 } },
    campaigns: {},
  };
}

/**
 * One offer's learning on one local day (the funnel's days: the policy's defaultTimezone, the
 * server clock): the answers it learnt from, and the scored outcomes by score bin (sparse:
 * bin → count) for that day's AUC. Sums, so the nodes sharing a store add theirs.
 */
export interface ModelDayCounts {
  examples: number;
  positives: number;
  negatives: number;
  aucPos: Record<string, number>;
  aucNeg: Record<string, number>;
  arms: Record<Arm, ArmCounts>;
}

const emptyDay = (): ModelDayCounts => ({ examples: 0, positives: 0, negatives: 0, aucPos: {}, aucNeg: {}, arms: { model: { positives: 0, negatives: 0 }, random: { positives: 0, negatives: 0 } } });

/** A day of an offer model's history: that day's figures, and the AUC from the range's first day to it. */
export interface ModelDay {
  day: string;
  examples: number;
  positives: number;
  negatives: number;
  /** the AUC of that day's scored outcomes; null without the evidence (`aucReason`) */
  auc: number | null;
  /** why `auc` is null (the summary's evidence rule), or null */
  aucReason: string | null;
  /** the AUC of the scored outcomes from the first day asked to this one; null without the evidence of those days' answers */
  runningAuc: number | null;
  runningAucReason: string | null;
  arms: Record<Arm, ArmCounts & { rate: number | null }>;
  /** that day's model arm's response rate over the random arm's; null without each arm's evidence that day */
  lift: number | null;
  liftReason: string | null;
}

function aucOf(pos: Record<string, number>, neg: Record<string, number>): number | null {
  const p = new Array<number>(aucBins).fill(0);
  const n = new Array<number>(aucBins).fill(0);
  for (const [b, x] of Object.entries(pos)) p[Number(b)] = x;
  for (const [b, x] of Object.entries(neg)) n[Number(b)] = x;
  const auc = binnedAuc(p, n);
  return Number.isNaN(auc) ? null : auc;
}

function addBins(to: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [b, x] of Object.entries(from)) to[b] = (to[b] ?? 0) + x;
}

export interface StoredWeights {
  bits: number;
  examples: number;
  /** the non-zero slots, and their z and n, as base64 of little-endian arrays */
  slots: string;
  z: string;
  n: string;
}

type RatedArms = Record<Arm, ArmCounts & { rate: number | null }>;

/** The model arm's response rate over the random arm's, with its 95 % interval; null (and why) without the evidence. */
export interface Lift {
  lift: number | null;
  ci95: [number, number] | null;
  reason: string | null;
}

/** The AUC of the scored answers of the last RECENT_AUC_DAYS local days (the daily records). */
export interface RecentAuc {
  days: number;
  from: string;
  to: string;
  examples: number;
  positives: number;
  negatives: number;
  auc: number | null;
  reason: string | null;
}

export interface ModelSummary {
  offer: string;
  examples: number;
  positives: number;
  negatives: number;
  /** the running AUC of the probabilities decisions used (recent answers weigh most), null without the evidence (FIGURE_EVIDENCE) */
  auc: number | null;
  /** why the running AUC is null */
  aucReason: string | null;
  /** the AUC of the last RECENT_AUC_DAYS days, beside the running one */
  last30Days: RecentAuc;
  /** the answers to offers ranked by the models and by the random control */
  arms: RatedArms;
  /** response rate of the model arm over the random arm's, null without the evidence */
  lift: number | null;
  liftCi95: [number, number] | null;
  liftReason: string | null;
  /** the lift per campaign that offered it (since per-campaign counts were kept), by campaign id */
  campaigns: Array<{ campaign: string; arms: RatedArms } & Lift>;
  /** the weight the model has in the blend with the target groups' probabilities */
  weight: number;
  bits: number;
}

function rate(a: ArmCounts): number | null {
  const n = a.positives + a.negatives;
  return n === 0 ? null : a.positives / n;
}

const rated = (arms: Record<Arm, ArmCounts>): RatedArms => ({ model: { ...arms.model, rate: rate(arms.model) }, random: { ...arms.random, rate: rate(arms.random) } });
const armEvidence = (a: ArmCounts) => ({ answers: a.positives + a.negatives, positives: a.positives, negatives: a.negatives });

/** The lift of the model arm over the random arm, once the model (`modelGap`) and both arms have the evidence. */
function liftOf(arms: Record<Arm, ArmCounts>, modelGap: string | null, need: FigureEvidence): Lift {
  const reason = modelGap ?? evidenceShortfall(armEvidence(arms.model), 'model arm', need) ?? evidenceShortfall(armEvidence(arms.random), 'random arm', need);
  const r = reason === null ? rateRatio(arms.model.positives, armEvidence(arms.model).answers, arms.random.positives, armEvidence(arms.random).answers) : undefined;
  if (r === undefined) return { lift: null, ci95: null, reason: reason ?? 'no positive answer in an arm' };
  return { lift: r.ratio, ci95: r.ci95, reason: null };
}

export class ModelRegistry {
  readonly stats = new MetaCounters<ModelStats>('model-stats/', emptyStats);
  /** each offer's learning per local day (meta `model-day/YYYY-MM-DD…`), the funnel's FUNNEL_KEEP_DAYS days */
  readonly days = new DayCounters<ModelDayCounts>('model-day/', emptyDay);
  private today = Number.NaN;
  private todayIso = '';
  private readonly models = new Map<string, FtrlModel>();
  private readonly weightsDirty = new Set<string>();
  /** offers whose model another part of the node keeps and saves (a node's shards share one: src/shards/shared-models.ts) */
  private readonly adopted = new Set<string>();
  static readonly weightsPrefix = 'model/';

  /** The models by offer, for decisions (read-only there). */
  view(): ReadonlyMap<string, OfferModelView> {
    return this.models;
  }

  /**
   * Takes an offer's model kept elsewhere (over shared memory: the node's, on a shard): its
   * decisions read it, its answers train it, and its weights are not saved here (their keeper
   * saves them). Replaces any model of the offer this registry had.
   */
  adopt(offer: string, model: FtrlModel): void {
    this.models.set(offer, model);
    this.adopted.add(offer);
    this.weightsDirty.delete(offer);
  }

  /** Keeps (and loads) the days of the FUNNEL_KEEP_DAYS up to `epochDay`, forgets older ones. */
  keepDaysUpTo(epochDay: number): void {
    this.days.keepDaysFrom(isoDay(epochDay - FUNNEL_KEEP_DAYS + 1));
  }

  /**
   * Answers into the models and their statistics: a new model gets `bits`, every model the
   * drift `halfLife` (policy.learning; 0: never forgets); with `day` (a local day number),
   * into that day's record too.
   */
  learn(learned: readonly Learned[], bits: number, options: { halfLife?: number; day?: number } = {}): void {
    const { halfLife = 0, day } = options;
    if (day !== undefined && day !== this.today && learned.length > 0) {
      this.today = day;
      this.todayIso = isoDay(day);
      this.keepDaysUpTo(day);
    }
    for (const l of learned) {
      if (l.offer === undefined) continue;
      const offer = l.offer;
      const label = l.positive ? 1 : 0;
      if (l.x !== undefined) {
        let m = this.models.get(offer);
        if (m === undefined) {
          m = new FtrlModel({ ...defaultFtrl, bits, halfLife });
          this.models.set(offer, m);
        }
        m.useHalfLife(halfLife);
        m.update(l.x, label);
        if (!this.adopted.has(offer)) this.weightsDirty.add(offer);
      }
      this.stats.update(offer, (s) => {
        s.examples += l.x === undefined ? 0 : 1;
        if (l.positive) s.positives += 1;
        else s.negatives += 1;
        if (l.p !== undefined) {
          const bin = aucBin(l.p);
          const bins = l.positive ? s.aucPos : s.aucNeg;
          bins[bin] = (bins[bin] ?? 0) + 1;
          let total = 0;
          for (let b = 0; b < aucBins; b++) total += (s.aucPos[b] ?? 0) + (s.aucNeg[b] ?? 0);
          if (total > AUC_WINDOW) {
            for (let b = 0; b < aucBins; b++) {
              s.aucPos[b] = (s.aucPos[b] ?? 0) / 2;
              s.aucNeg[b] = (s.aucNeg[b] ?? 0) / 2;
            }
          }
        }
        const arm = s.arms[l.arm ?? 'model'];
        if (l.positive) arm.positives += 1;
        else arm.negatives += 1;
        s.campaigns ??= {};
        const byCampaign = (s.campaigns[l.campaign] ??= { model: { positives: 0, negatives: 0 }, random: { positives: 0, negatives: 0 } });
        // (merged from a shared store, an arm may hold only the count some node has added to)
        const campaignArm = (byCampaign[l.arm ?? 'model'] ??= { positives: 0, negatives: 0 });
        if (l.positive) campaignArm.positives = (campaignArm.positives ?? 0) + 1;
        else campaignArm.negatives = (campaignArm.negatives ?? 0) + 1;
      });
      if (day === undefined) continue;
      this.days.update(`${this.todayIso}${SEP}${offer}`, (s) => {
        s.examples += l.x === undefined ? 0 : 1;
        if (l.positive) s.positives += 1;
        else s.negatives += 1;
        if (l.p !== undefined) {
          const bins = l.positive ? s.aucPos : s.aucNeg;
          const bin = String(aucBin(l.p));
          bins[bin] = (bins[bin] ?? 0) + 1;
        }
        const arm = s.arms[l.arm ?? 'model'];
        if (l.positive) arm.positives += 1;
        else arm.negatives += 1;
      });
    }
  }

  /**
   * An offer's history: one entry per day it learnt something, oldest first, from `from` to
   * `to` (YYYY-MM-DD, inclusive, either may be absent) among the days kept. Each figure (the
   * day's AUC and lift, the running AUC) only with the evidence behind it, as in the summary:
   * the model's examples now and the answers behind the figure (`need`), else null and the reason.
   */
  history(offer: string, o: { from?: string; to?: string } = {}, need: FigureEvidence = FIGURE_EVIDENCE): ModelDay[] {
    const examples = this.models.get(offer)?.examples ?? 0;
    const modelGap = examples < need.examples ? `the model needs ${need.examples} examples, has ${examples}` : null;
    const running = { answers: 0, positives: 0, negatives: 0 };
    const days: Array<[string, ModelDayCounts]> = [];
    for (const [id, counts] of this.days.all()) {
      const day = id.slice(0, 10);
      if (id.slice(11) !== offer) continue;
      if ((o.from !== undefined && day < o.from) || (o.to !== undefined && day > o.to)) continue;
      days.push([day, counts]);
    }
    days.sort((a, b) => a[0].localeCompare(b[0]));
    const pos: Record<string, number> = {};
    const neg: Record<string, number> = {};
    return days.map(([day, c]) => {
      addBins(pos, c.aucPos);
      addBins(neg, c.aucNeg);
      running.answers += c.positives + c.negatives;
      running.positives += c.positives;
      running.negatives += c.negatives;
      const figure = (auc: number | null, n: { answers: number; positives: number; negatives: number }): [number | null, string | null] => {
        const reason = modelGap ?? evidenceShortfall(n, '', need) ?? (auc === null ? 'no scored answers' : null);
        return [reason === null ? auc : null, reason];
      };
      const [auc, aucReason] = figure(aucOf(c.aucPos, c.aucNeg), { answers: c.positives + c.negatives, positives: c.positives, negatives: c.negatives });
      const [runningAuc, runningAucReason] = figure(aucOf(pos, neg), running);
      const lift = liftOf(c.arms, modelGap, need);
      return {
        day,
        examples: c.examples,
        positives: c.positives,
        negatives: c.negatives,
        auc,
        aucReason,
        runningAuc,
        runningAucReason,
        arms: rated(c.arms),
        lift: lift.lift,
        liftReason: lift.reason,
      };
    });
  }

  /**
   * An offer's model as the admin API shows it. Its AUC and lift only with the evidence
   * behind them (`need`: FIGURE_EVIDENCE by default), else null and the reason; `today` (a
   * local day number) ends the last RECENT_AUC_DAYS days of the within-period AUC.
   */
  summary(offer: string, modelEvidence: number, today: number, need: FigureEvidence = FIGURE_EVIDENCE): ModelSummary {
    const s = this.stats.get(offer);
    const m = this.models.get(offer);
    const examples = m?.examples ?? 0;
    const modelGap = examples < need.examples ? `the model needs ${need.examples} examples, has ${examples}` : null;
    const aucReason = modelGap ?? evidenceShortfall({ answers: s.positives + s.negatives, positives: s.positives, negatives: s.negatives }, '', need);
    const auc = binnedAuc(s.aucPos, s.aucNeg);
    const lift = liftOf(s.arms, modelGap, need);
    return {
      offer,
      examples,
      positives: s.positives,
      negatives: s.negatives,
      auc: aucReason !== null || Number.isNaN(auc) ? null : auc,
      aucReason: aucReason ?? (Number.isNaN(auc) ? 'no scored answers' : null),
      last30Days: this.recentAuc(offer, today, modelGap, need),
      arms: rated(s.arms),
      lift: lift.lift,
      liftCi95: lift.ci95,
      liftReason: lift.reason,
      campaigns: Object.entries(s.campaigns ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([campaign, arms]) => {
          const arm = (a: Partial<ArmCounts> | undefined): ArmCounts => ({ positives: a?.positives ?? 0, negatives: a?.negatives ?? 0 });
          const full = { model: arm(arms.model), random: arm(arms.random) };
          return { campaign, arms: rated(full), ...liftOf(full, modelGap, need) };
        }),
      weight: examples / (examples + modelEvidence),
      bits: m?.o.bits ?? 0,
    };
  }

  /** The AUC of the scored answers of the RECENT_AUC_DAYS local days up to `today` (the daily records). */
  private recentAuc(offer: string, today: number, modelGap: string | null, need: FigureEvidence): RecentAuc {
    const from = isoDay(today - RECENT_AUC_DAYS + 1);
    const to = isoDay(today);
    const n = { examples: 0, positives: 0, negatives: 0 };
    const pos: Record<string, number> = {};
    const neg: Record<string, number> = {};
    for (const [id, c] of this.days.all()) {
      const day = id.slice(0, 10);
      if (id.slice(11) !== offer || day < from || day > to) continue;
      n.examples += c.examples;
      n.positives += c.positives;
      n.negatives += c.negatives;
      addBins(pos, c.aucPos);
      addBins(neg, c.aucNeg);
    }
    const auc = aucOf(pos, neg);
    const reason = modelGap ?? evidenceShortfall({ answers: n.examples, positives: n.positives, negatives: n.negatives }, '', need) ?? (auc === null ? 'no scored answers' : null);
    return { days: RECENT_AUC_DAYS, from, to, ...n, auc: reason === null ? auc : null, reason };
  }

  /** Offers with a model or statistics. */
  offers(): string[] {
    return [...new Set([...this.models.keys(), ...this.stats.all().keys()])].sort();
  }

  /** An offer's statistics emptied (its model reset), its daily records kept. */
  resetStats(offer: string): void {
    this.stats.update(offer, (s) => Object.assign(s, emptyStats()));
  }

  async load(store: Store): Promise<void> {
    await this.stats.loadFrom(store, 100_000);
    await this.days.loadFrom(store, 1_000_000);
    for (const { key, value } of await store.listMeta(ModelRegistry.weightsPrefix, 100_000)) {
      const w = value as StoredWeights;
      // (a reset's emptied weights: the offer's next model takes the policy's bits then)
      if (w.examples === 0) continue;
      const m = decodeWeights(w, new FtrlModel({ ...defaultFtrl, bits: w.bits }));
      const offer = key.slice(ModelRegistry.weightsPrefix.length);
      if (!this.adopted.has(offer)) this.models.set(offer, m);
    }
  }

  /** Writes the weights of the models that learnt since the last call. */
  async saveWeights(store: Store): Promise<number> {
    const offers = [...this.weightsDirty];
    this.weightsDirty.clear();
    try {
      for (const offer of offers) {
        const m = this.models.get(offer);
        if (m !== undefined) await store.putMeta(`${ModelRegistry.weightsPrefix}${offer}`, encodeWeights(m));
      }
    } catch (err) {
      for (const o of offers) this.weightsDirty.add(o);
      throw err;
    }
    return offers.length;
  }

  /**
   * Forgets an offer's model (the offer was deleted or its model reset). With `audit`, the
   * emptied weights and the entry are one store transaction (`Store.appendAudit`).
   */
  async reset(offer: string, store: Store, audit?: AuditDraft): Promise<void> {
    this.models.delete(offer);
    this.adopted.delete(offer);
    this.weightsDirty.delete(offer);
    this.resetStats(offer);
    const weights = { key: `${ModelRegistry.weightsPrefix}${offer}`, value: encodeWeights(new FtrlModel({ ...defaultFtrl, bits: 8 })) };
    if (audit === undefined) await store.putMeta(weights.key, weights.value);
    else await store.appendAudit(audit, { meta: [weights] });
  }
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** Stored weights into `m` (of their bits, empty): its z, n and examples. */
export function decodeWeights(w: StoredWeights, m: FtrlModel): FtrlModel {
  const slots = new Uint32Array(toArrayBuffer(Buffer.from(w.slots, 'base64')));
  const z = new Float64Array(toArrayBuffer(Buffer.from(w.z, 'base64')));
  const n = new Float64Array(toArrayBuffer(Buffer.from(w.n, 'base64')));
  slots.forEach((slot, i) => {
    m.z[slot] = z[i] ?? 0;
    m.n[slot] = n[i] ?? 0;
  });
  m.examples = w.examples;
  return m;
}

/** A model's weights as the store keeps them: its non-zero slots only. */
export function encodeWeights(m: FtrlModel): StoredWeights {
  const slots: number[] = [];
  for (let i = 0; i < m.n.length; i++) if ((m.n[i] ?? 0) !== 0) slots.push(i);
  const z = Float64Array.from(slots, (i) => m.z[i] ?? 0);
  const n = Float64Array.from(slots, (i) => m.n[i] ?? 0);
  const b64 = (a: ArrayBufferView): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  return { bits: m.o.bits, examples: m.examples, slots: b64(Uint32Array.from(slots)), z: b64(z), n: b64(n) };
}
