import type { Arm, Learned, OfferModelView } from '../../actors/index.js';
import { FtrlModel, aucBin, aucBins, binnedAuc, defaultFtrl } from '../../actors/index.js';
import type { AuditDraft } from '../audit/audit-chain.js';
import type { Store } from '../store/store.js';
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
}

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
  };
}

interface StoredWeights {
  bits: number;
  examples: number;
  /** the non-zero slots, and their z and n, as base64 of little-endian arrays */
  slots: string;
  z: string;
  n: string;
}

export interface ModelSummary {
  offer: string;
  examples: number;
  positives: number;
  negatives: number;
  /** the running AUC of the probabilities decisions used, null until both outcomes are seen */
  auc: number | null;
  /** the answers to offers ranked by the models and by the random control */
  arms: Record<Arm, ArmCounts & { rate: number | null }>;
  /** response rate of the model arm over the random arm's, null until both have answers */
  lift: number | null;
  /** the weight the model has in the blend with the target groups' probabilities */
  weight: number;
  bits: number;
}

function rate(a: ArmCounts): number | null {
  const n = a.positives + a.negatives;
  return n === 0 ? null : a.positives / n;
}

export class ModelRegistry {
  readonly stats = new MetaCounters<ModelStats>('model-stats/', emptyStats);
  private readonly models = new Map<string, FtrlModel>();
  private readonly weightsDirty = new Set<string>();
  static readonly weightsPrefix = 'model/';

  /** The models by offer, for decisions (read-only there). */
  view(): ReadonlyMap<string, OfferModelView> {
    return this.models;
  }

  /** Trains the offers' models; a new model gets `bits` and the drift `halfLife` (policy.learning). */
  learn(learned: readonly Learned[], bits: number, halfLife = 0): void {
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
        this.weightsDirty.add(offer);
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
      });
    }
  }

  summary(offer: string, modelEvidence: number): ModelSummary {
    const s = this.stats.get(offer);
    const m = this.models.get(offer);
    const examples = m?.examples ?? 0;
    const auc = binnedAuc(s.aucPos, s.aucNeg);
    const model = rate(s.arms.model);
    const random = rate(s.arms.random);
    return {
      offer,
      examples,
      positives: s.positives,
      negatives: s.negatives,
      auc: Number.isNaN(auc) ? null : auc,
      arms: { model: { ...s.arms.model, rate: model }, random: { ...s.arms.random, rate: random } },
      lift: model === null || random === null || random === 0 ? null : model / random,
      weight: examples / (examples + modelEvidence),
      bits: m?.o.bits ?? 0,
    };
  }

  /** Offers with a model or statistics. */
  offers(): string[] {
    return [...new Set([...this.models.keys(), ...this.stats.all().keys()])].sort();
  }

  async load(store: Store): Promise<void> {
    await this.stats.loadFrom(store, 100_000);
    for (const { key, value } of await store.listMeta(ModelRegistry.weightsPrefix, 100_000)) {
      const w = value as StoredWeights;
      const m = new FtrlModel({ ...defaultFtrl, bits: w.bits });
      const slots = new Uint32Array(toArrayBuffer(Buffer.from(w.slots, 'base64')));
      const z = new Float64Array(toArrayBuffer(Buffer.from(w.z, 'base64')));
      const n = new Float64Array(toArrayBuffer(Buffer.from(w.n, 'base64')));
      slots.forEach((slot, i) => {
        m.z[slot] = z[i] ?? 0;
        m.n[slot] = n[i] ?? 0;
      });
      m.examples = w.examples;
      this.models.set(key.slice(ModelRegistry.weightsPrefix.length), m);
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
    this.weightsDirty.delete(offer);
    this.stats.update(offer, (s) => Object.assign(s, emptyStats()));
    const weights = { key: `${ModelRegistry.weightsPrefix}${offer}`, value: encodeWeights(new FtrlModel({ ...defaultFtrl, bits: 8 })) };
    if (audit === undefined) await store.putMeta(weights.key, weights.value);
    else await store.appendAudit(audit, { meta: [weights] });
  }
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function encodeWeights(m: FtrlModel): StoredWeights {
  const slots: number[] = [];
  for (let i = 0; i < m.n.length; i++) if ((m.n[i] ?? 0) !== 0) slots.push(i);
  const z = Float64Array.from(slots, (i) => m.z[i] ?? 0);
  const n = Float64Array.from(slots, (i) => m.n[i] ?? 0);
  const b64 = (a: ArrayBufferView): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  return { bits: m.o.bits, examples: m.examples, slots: b64(Uint32Array.from(slots)), z: b64(z), n: b64(n) };
}
