import { fnv1a } from '../hash.js';

/**
 * Online logistic regression, FTRL-Proximal (McMahan et al., 2013) over hashed binary
 * features: the adaptive propensity model. It scores before it learns, one example at a
 * time, with per-coordinate learning rates and L1/L2 regularisation that keep it sparse and
 * stable. Pure and deterministic: the same stream gives the same model.
 */

export interface FtrlOptions {
  /** 2^bits weights */
  bits: number;
  alpha: number;
  beta: number;
  l1: number;
  l2: number;
  /**
   * Drift: each weight's accumulated squared gradient (what slows its learning rate) decays
   * to half over this many of the weight's own examples, so the rate stops shrinking and the
   * model keeps following a moving response rate; 0 (the default) never forgets.
   */
  halfLife?: number;
}

export const defaultFtrl: FtrlOptions = { bits: 20, alpha: 0.1, beta: 1, l1: 0.5, l2: 1 };

/** The factor a half-life of `halfLife` steps multiplies by at each step: 1 (nothing forgotten) for 0. */
export function decayFactor(halfLife: number | undefined): number {
  return halfLife === undefined || !(halfLife > 0) ? 1 : Math.pow(2, -1 / halfLife);
}

/** What a decision reads of an offer's model. */
export interface OfferModelView {
  /** how many outcomes it has learnt from */
  readonly examples: number;
  predict(features: readonly number[]): number;
}

/**
 * Where a model's state lives: its z and n (2^bits each) and its count of examples (one slot).
 * Its own arrays by default; arrays over shared memory make one model that several threads
 * read and train (a node's shards: src/shards/shared-models.ts).
 */
export interface FtrlArrays {
  z: Float64Array;
  n: Float64Array;
  count: Float64Array;
}

export class FtrlModel implements OfferModelView {
  readonly z: Float64Array;
  readonly n: Float64Array;
  /** [examples] */
  private readonly count: Float64Array;
  private readonly mask: number;
  private decay: number;
  private halfLife: number;

  constructor(
    readonly o: FtrlOptions = defaultFtrl,
    arrays?: FtrlArrays,
  ) {
    const size = 1 << o.bits;
    if (arrays !== undefined && (arrays.z.length !== size || arrays.n.length !== size || arrays.count.length < 1)) throw new Error(`a model of ${o.bits} bits needs z and n of ${size} weights`);
    this.z = arrays?.z ?? new Float64Array(size);
    this.n = arrays?.n ?? new Float64Array(size);
    this.count = arrays?.count ?? new Float64Array(1);
    this.mask = size - 1;
    this.halfLife = o.halfLife ?? 0;
    this.decay = decayFactor(this.halfLife);
  }

  /** how many outcomes it has learnt from */
  get examples(): number {
    return this.count[0] ?? 0;
  }

  set examples(n: number) {
    this.count[0] = n;
  }

  /** Sets the drift half-life from here on (a model loaded from the store takes the policy's). */
  useHalfLife(halfLife: number): void {
    if (halfLife === this.halfLife) return;
    this.halfLife = halfLife;
    this.decay = decayFactor(halfLife);
  }

  /** The feature's weight slot. */
  index(feature: string): number {
    return fnv1a(feature) & this.mask;
  }

  private weight(i: number): number {
    const z = this.z[i] ?? 0;
    if (Math.abs(z) <= this.o.l1) return 0;
    const n = this.n[i] ?? 0;
    return -(z - Math.sign(z) * this.o.l1) / ((this.o.beta + Math.sqrt(n)) / this.o.alpha + this.o.l2);
  }

  /** The probability of a response for these (binary) features: slots or 32-bit feature hashes. */
  predict(indices: readonly number[]): number {
    let wx = 0;
    for (const h of indices) wx += this.weight(h & this.mask);
    return 1 / (1 + Math.exp(-Math.max(-35, Math.min(35, wx))));
  }

  /**
   * Learns from one outcome (1 = responded); returns the prediction it made before learning.
   * With a half-life, n decays before the new gradient is added; sigma (the change of the
   * inverse learning rate) may then be negative, which keeps z consistent with the weight
   * (w = -z x rate): each step stays a gradient step at the new rate.
   */
  update(indices: readonly number[], label: 0 | 1): number {
    const p = this.predict(indices);
    const g = p - label;
    for (const h of indices) {
      const i = h & this.mask;
      const n = this.n[i] ?? 0;
      const next = this.decay * n + g * g;
      const sigma = (Math.sqrt(next) - Math.sqrt(n)) / this.o.alpha;
      this.z[i] = (this.z[i] ?? 0) + g - sigma * this.weight(i);
      this.n[i] = next;
    }
    this.examples++;
    return p;
  }
}
