import type { Catalog } from '../../actors/index.js';
import { FtrlModel, defaultFtrl } from '../../actors/index.js';
import type { ModelRegistry, StoredWeights } from '../runtime/model-registry.js';
import { ModelRegistry as Registry, decodeWeights, encodeWeights } from '../runtime/model-registry.js';
import type { Store } from '../store/store.js';

/**
 * One propensity model an offer for the whole node with shards (docs/scale-out.md, "The
 * models"): its weights (FTRL's z and n) and its count of examples in shared memory, kept by
 * the main thread and handed to every shard. Each shard's decisions read it and each shard's
 * answers train it in place, so every answer of the node teaches the one model. The shards
 * write without a lock, as Hogwild! (Niu, Recht, Ré and Wright, 2011) trains: two shards
 * updating one weight in the same microseconds may lose one of the two steps, which only
 * slows learning a little (an update is a few microseconds; answers are far rarer than
 * events). The figures of a model (its answers, AUC, arms) are each shard's statistics added
 * up (MergedTotals).
 *
 * The main thread loads the weights from the node's store at start and writes them there every
 * `KAIROS_MODEL_SAVE_INTERVAL_MS` and at close, as a single node writes its own; a shard saves
 * none.
 */

export interface SharedModel {
  offer: string;
  bits: number;
  /** Float64 x 2^bits each */
  z: SharedArrayBuffer;
  n: SharedArrayBuffer;
  /** Float64 x 1: the examples */
  count: SharedArrayBuffer;
}

export function newSharedModel(offer: string, bits: number): SharedModel {
  const size = (1 << bits) * Float64Array.BYTES_PER_ELEMENT;
  return { offer, bits, z: new SharedArrayBuffer(size), n: new SharedArrayBuffer(size), count: new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT) };
}

/** The model over a shared model's memory (each thread makes its own views of the same memory). */
export function modelOver(s: SharedModel): FtrlModel {
  return new FtrlModel({ ...defaultFtrl, bits: s.bits }, { z: new Float64Array(s.z), n: new Float64Array(s.n), count: new Float64Array(s.count) });
}

/**
 * The node's models handed to a shard, each into its registry in place of what it had. (A
 * buffer posted to a thread arrives as a new object each time, so a model already adopted is
 * adopted again: harmless, its new views cover the same memory.)
 */
export function adoptShared(registry: ModelRegistry, models: readonly SharedModel[]): void {
  for (const s of models) registry.adopt(s.offer, modelOver(s));
}

export class SharedModels {
  private readonly byOffer = new Map<string, SharedModel>();
  /** the examples each model had when last written */
  private readonly written = new Map<string, number>();
  /** offers being reset: not written until renewed (a write of the old weights after the reset's empty ones would bring them back at the next start) */
  private readonly held = new Set<string>();

  /** `registry`: the main thread's (MergedTotals'), whose summaries read the models' examples and bits */
  constructor(private readonly registry: ModelRegistry) {}

  /** The weights the node's store holds, each into a shared model (an emptied one, a reset's, is left to `cover`: the policy's bits). */
  async load(store: Store): Promise<void> {
    for (const { key, value } of await store.listMeta(Registry.weightsPrefix, 100_000)) {
      const w = value as StoredWeights;
      if (w.examples === 0) continue;
      const offer = key.slice(Registry.weightsPrefix.length);
      const s = newSharedModel(offer, w.bits);
      decodeWeights(w, modelOver(s));
      this.take(s);
      this.written.set(offer, w.examples);
    }
  }

  /** A shared model for every offer of the catalog that has none (of the policy's bits): true when one was made. */
  cover(catalog: Catalog): boolean {
    let made = false;
    for (const offer of catalog.offers.keys()) {
      if (this.byOffer.has(offer)) continue;
      this.take(newSharedModel(offer, catalog.policy.learning.bits));
      made = true;
    }
    return made;
  }

  /** An offer's model about to be reset: not written until renewed. */
  hold(offer: string): void {
    this.held.add(offer);
  }

  /** A new, empty model of the offer (a reset: the policy's bits now), in place of its model. */
  renew(offer: string, bits: number): void {
    this.take(newSharedModel(offer, bits));
    this.written.delete(offer);
    this.held.delete(offer);
  }

  list(): SharedModel[] {
    return [...this.byOffer.values()];
  }

  /** Writes the weights of the models that learnt since they were last written. */
  async saveWeights(store: Store): Promise<number> {
    let n = 0;
    for (const s of this.byOffer.values()) {
      const m = modelOver(s);
      if (this.held.has(s.offer) || m.examples === (this.written.get(s.offer) ?? 0)) continue;
      await store.putMeta(`${Registry.weightsPrefix}${s.offer}`, encodeWeights(m));
      this.written.set(s.offer, m.examples);
      n++;
    }
    return n;
  }

  private take(s: SharedModel): void {
    this.byOffer.set(s.offer, s);
    this.registry.adopt(s.offer, modelOver(s));
  }
}
