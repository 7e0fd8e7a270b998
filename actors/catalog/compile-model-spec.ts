import { invalidAt } from '../brain-error.js';
import type { Binning, ModelSpec } from '../propensity/model-features.js';
import { MAX_DATA_KEY_LENGTH, defaultModelSpec, modelInputKeys } from '../propensity/model-features.js';
import { isRecord, requireList, requireString } from './field-checks.js';

/** Bounds on a `model` section: inputs ignored, binned, crosses and their inputs, steps per binning. */
export const MODEL_SPEC_LIMITS = { ignore: 100, bins: 100, crosses: 20, crossInputs: 3, steps: 32 } as const;

const FAMILIES = ['data.*', 'cal.*', 'history.*'];

/** An input the model can read: a fixed one, `data.<key>`, or one of the catalog's features. */
function checkInput(key: string, path: string, features: ReadonlySet<string>): string {
  if ((modelInputKeys as readonly string[]).includes(key) || features.has(key)) return key;
  if (key.startsWith('data.') && key.length > 5 && key.length - 5 <= MAX_DATA_KEY_LENGTH) return key;
  throw invalidAt(path, `unknown model input "${key}" (known: ${modelInputKeys.join(', ')}, data.<key>, the catalog's features)`);
}

/** An offer's or a campaign's `model`: what its adaptive model leaves out, bins differently, crosses. */
export function compileModelSpec(raw: unknown, path: string, features: ReadonlySet<string>): ModelSpec {
  if (!isRecord(raw)) throw invalidAt(path, 'must be {ignore?, bins?, crosses?}');
  const ignore = (raw.ignore === undefined ? [] : requireList(raw.ignore, `${path}.ignore`)).map((k, i) => {
    const key = requireString(k, `${path}.ignore[${i}]`);
    return FAMILIES.includes(key) ? key : checkInput(key, `${path}.ignore[${i}]`, features);
  });
  if (ignore.length > MODEL_SPEC_LIMITS.ignore) throw invalidAt(`${path}.ignore`, `at most ${MODEL_SPEC_LIMITS.ignore} inputs`);
  const bins = new Map<string, Binning>();
  if (raw.bins !== undefined) {
    if (!isRecord(raw.bins)) throw invalidAt(`${path}.bins`, 'must map inputs to "log2", "category" or rising steps');
    const entries = Object.entries(raw.bins);
    if (entries.length > MODEL_SPEC_LIMITS.bins) throw invalidAt(`${path}.bins`, `at most ${MODEL_SPEC_LIMITS.bins} inputs`);
    for (const [key, b] of entries) {
      const p = `${path}.bins.${key}`;
      checkInput(key, p, features);
      if (b === 'log2' || b === 'category') bins.set(key, { kind: b });
      else if (Array.isArray(b) && b.length >= 1 && b.length <= MODEL_SPEC_LIMITS.steps && b.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        const steps = b as number[];
        for (let i = 1; i < steps.length; i++) if ((steps[i] ?? 0) <= (steps[i - 1] ?? 0)) throw invalidAt(`${p}[${i}]`, 'steps must rise');
        bins.set(key, { kind: 'steps', steps });
      } else {
        throw invalidAt(p, `must be "log2", "category" or 1 to ${MODEL_SPEC_LIMITS.steps} rising numbers`);
      }
    }
  }
  const crosses = (raw.crosses === undefined ? [] : requireList(raw.crosses, `${path}.crosses`)).map((c, i) => {
    const p = `${path}.crosses[${i}]`;
    const keys = requireList(c, p).map((k, j) => checkInput(requireString(k, `${p}[${j}]`), `${p}[${j}]`, features));
    if (keys.length < 2 || keys.length > MODEL_SPEC_LIMITS.crossInputs) throw invalidAt(p, `must cross 2 to ${MODEL_SPEC_LIMITS.crossInputs} inputs`);
    return keys;
  });
  if (crosses.length > MODEL_SPEC_LIMITS.crosses) throw invalidAt(`${path}.crosses`, `at most ${MODEL_SPEC_LIMITS.crosses} crosses`);
  return { ignore, bins, crosses };
}

/** A campaign's model: its offer's, then its own (inputs ignored by either, its binnings over the offer's, both crosses). */
export function mergeModelSpecs(offer: ModelSpec | undefined, campaign: ModelSpec | undefined): ModelSpec {
  if (campaign === undefined) return offer ?? defaultModelSpec;
  if (offer === undefined) return campaign;
  return {
    ignore: [...new Set([...offer.ignore, ...campaign.ignore])],
    bins: new Map([...offer.bins, ...campaign.bins]),
    crosses: [...offer.crosses, ...campaign.crosses],
  };
}
