import type { Campaign, Catalog } from '../catalog/compiled-catalog.js';
import type { EvalScope } from '../condition.js';
import type { CustomerContext } from '../customer-state.js';
import type { GatewayEvent } from '../gateway-event.js';
import { FNV_OFFSET, fnv1a, fnvMix } from '../hash.js';
import type { LocalTime } from '../local-time.js';
import { epochDayOf } from '../local-time.js';

/**
 * What an offer's adaptive model sees at the moment of a decision, by default:
 * - the customer: profile attributes, lifecycle stage, segment memberships, the catalog's
 *   behavioural features, how often the customer has answered;
 * - the moment: the event type and channel, part of day and weekday, the scalar fields of the
 *   event's `data` (`data.<key>`: numbers binned, text and yes/no as categories, within the
 *   bounds below), the calendar (`cal.month`, `cal.day` of the month, `cal.week` of the year,
 *   `cal.campaignDay`: days since the campaign started), in the customer's local time as the
 *   rest of the decision;
 * - this campaign's history with the customer: `history.contacts` (earlier contacts),
 *   `history.sinceLast` (days since the last), `history.lastOutcome`.
 * Each input gives named binary features (`key=bin`); the catalog's `model` (per offer or
 * campaign, `ModelSpec`) leaves inputs out, bins them differently and crosses them. The model
 * hashes the names into its weights; the hashed list is kept with the offer instance, so the
 * model learns from exactly what it scored.
 */

/** At most this many of the event's `data` fields are read (after those the catalog ignores), in key order. */
export const MAX_DATA_FIELDS = 24;
/** A `data` key longer than this is not read. */
export const MAX_DATA_KEY_LENGTH = 40;
/** A text value longer than this is not read (an id or free text would only add noise). */
export const MAX_DATA_VALUE_LENGTH = 40;
/** A cross gives at most this many features (segments are many-valued). */
export const MAX_CROSS_FEATURES = 64;

/** How an input's number becomes a feature: its log2Bin, its own value as a category, or the step it reaches. */
export type Binning = { kind: 'log2' } | { kind: 'category' } | { kind: 'decade' } | { kind: 'steps'; steps: readonly number[] };

/** What the catalog changes in what a model sees (an offer's `model`, merged with its campaign's). */
export interface ModelSpec {
  /** inputs left out: exact keys, or families ending in `.*` (`data.*`) */
  ignore: readonly string[];
  /** binnings other than the default, by input key */
  bins: ReadonlyMap<string, Binning>;
  /** crossed inputs: one feature per combination of their values */
  crosses: ReadonlyArray<readonly string[]>;
}

export const defaultModelSpec: ModelSpec = { ignore: [], bins: new Map(), crosses: [] };

/** The fixed inputs, for the catalog's checks (besides `data.<key>` and the catalog's feature ids). */
export const modelInputKeys = [
  'stage', 'age', 'gender', 'job', 'marital', 'education', 'default', 'housing', 'loan', 'balance', 'segment',
  'event', 'channel', 'daypart', 'weekday', 'responses',
  'cal.month', 'cal.day', 'cal.week', 'cal.campaignDay',
  'history.contacts', 'history.sinceLast', 'history.lastOutcome',
] as const;

/** One input's value; a key may come more than once (`segment`). */
export interface ModelInput {
  key: string;
  value: string | number;
  /** how a number is binned unless the catalog says otherwise */
  bin: DefaultBinning;
}

/** The default binnings: what an input is unless the catalog bins it by steps. */
export type DefaultBinning = 'log2' | 'category' | 'decade';

const DEFAULT_BINNINGS: Record<DefaultBinning, Binning> = { log2: { kind: 'log2' }, category: { kind: 'category' }, decade: { kind: 'decade' } };

/**
 * A number onto a few steps, each value in one: `0` alone; from 1 up, bin k holds
 * [2^(k-1), 2^k) (1 is `1`, 2-3 are `2`, 4-7 are `3`, 1000 is `10`), so 0, 1 and 2 answers
 * or a yes/no count stay apart; a fraction is `f` and its power of two (0.5-1 is `f-1`,
 * 0.25-0.5 `f-2`); a negative number is `-` and the bin of its size; not a number, `na`.
 */
export function log2Bin(v: number): string {
  if (!Number.isFinite(v)) return 'na';
  if (v === 0) return '0';
  if (v < 0) return `-${log2Bin(-v)}`;
  if (v < 1) return `f${Math.floor(Math.log2(v))}`;
  return String(Math.floor(Math.log2(v)) + 1);
}

/** A number by declared steps (rising): `<first` below them, else `>=` the highest step it reaches. */
export function stepBin(v: number, steps: readonly number[]): string {
  if (!Number.isFinite(v)) return 'na';
  let label = `<${steps[0] ?? 0}`;
  for (const s of steps) if (v >= s) label = `>=${s}`;
  return label;
}

function binned(value: string | number, binning: Binning): string {
  if (typeof value === 'string') return value;
  switch (binning.kind) {
    case 'category':
      return String(value);
    case 'decade':
      return String(Math.min(9, Math.floor(value / 10)));
    case 'steps':
      return stepBin(value, binning.steps);
    default:
      return log2Bin(value);
  }
}

/** The scalar fields of an event's `data`, in key order, within the bounds. */
export function dataInputs(data: Record<string, unknown> | undefined, ignored: (key: string) => boolean): ModelInput[] {
  if (data === undefined) return [];
  const out: ModelInput[] = [];
  for (const k of Object.keys(data).sort()) {
    if (out.length >= MAX_DATA_FIELDS) break;
    if (k.length === 0 || k.length > MAX_DATA_KEY_LENGTH) continue;
    const key = `data.${k}`;
    if (ignored(key)) continue;
    const v = data[k];
    if (typeof v === 'number' && Number.isFinite(v)) out.push({ key, value: v, bin: 'log2' });
    else if (typeof v === 'boolean') out.push({ key, value: String(v), bin: 'category' });
    else if (typeof v === 'string' && v.length <= MAX_DATA_VALUE_LENGTH) out.push({ key, value: v, bin: 'category' });
  }
  return out;
}

/** The customer's and the moment's inputs, the same for every campaign an event triggers. */
export function customerInputs(ctx: CustomerContext, scope: EvalScope, event: GatewayEvent, local: LocalTime, catalog: Catalog): ModelInput[] {
  const p = ctx.profile;
  const ins: ModelInput[] = [{ key: 'stage', value: ctx.stage, bin: 'category' }];
  const add = (key: string, value: string | number | boolean | undefined, bin: DefaultBinning = 'category'): void => {
    if (value !== undefined) ins.push({ key, value: typeof value === 'boolean' ? String(value) : value, bin });
  };
  add('age', p.age, 'decade');
  add('gender', p.gender);
  add('job', p.job);
  add('marital', p.marital);
  add('education', p.education);
  add('default', p.creditDefault);
  add('housing', p.housingLoan);
  add('loan', p.personalLoan);
  add('balance', p.balance, 'log2');
  for (const s of Object.keys(ctx.segments)) add('segment', s);
  for (const f of catalog.features) add(f.id, scope.feature(f.id), 'log2');
  add('event', event.type);
  add('channel', event.channel);
  add('daypart', Math.floor(local.hour / 3));
  add('weekday', local.weekday);
  add('responses', ctx.responses.length, 'log2');
  add('cal.month', local.month);
  add('cal.day', local.day);
  add('cal.week', Math.floor((local.epochDay - epochDayOf(local.year, 1, 1)) / 7) + 1);
  return ins;
}

/** This campaign's inputs: its age on the customer's calendar, and its history with the customer. */
export function campaignInputs(ctx: CustomerContext, c: Campaign, t: number): ModelInput[] {
  const ins: ModelInput[] = [];
  if (c.startsAt !== undefined && t >= c.startsAt) ins.push({ key: 'cal.campaignDay', value: Math.floor((t - c.startsAt) / 86_400_000), bin: 'log2' });
  let contacts = 0;
  let last: { at: number; outcome?: string } | undefined;
  for (const k of ctx.contacts) {
    if (k.campaign !== c.id || k.control === true || k.at > t) continue;
    contacts++;
    if (last === undefined || k.at >= last.at) last = k;
  }
  ins.push({ key: 'history.contacts', value: contacts, bin: 'log2' });
  if (last !== undefined) {
    ins.push({ key: 'history.sinceLast', value: Math.floor((t - last.at) / 86_400_000), bin: 'log2' });
    ins.push({ key: 'history.lastOutcome', value: last.outcome ?? 'open', bin: 'category' });
  } else {
    ins.push({ key: 'history.lastOutcome', value: 'none', bin: 'category' });
  }
  return ins;
}

/** Whether the spec leaves this input out. */
export function ignores(spec: ModelSpec, key: string): boolean {
  for (const i of spec.ignore) {
    if (i === key || (i.endsWith('.*') && key.startsWith(i.slice(0, -1)))) return true;
  }
  return false;
}

/** The feature names of these inputs under the spec: `bias`, one per input kept, one per cross combination. */
export function featureNames(inputs: readonly ModelInput[], spec: ModelSpec): string[] {
  const names = ['bias'];
  const labels = new Map<string, string[]>();
  for (const input of inputs) {
    if (ignores(spec, input.key)) continue;
    const label = binned(input.value, spec.bins.get(input.key) ?? DEFAULT_BINNINGS[input.bin]);
    names.push(`${input.key}=${label}`);
    const l = labels.get(input.key);
    if (l === undefined) labels.set(input.key, [label]);
    else l.push(label);
  }
  for (const cross of spec.crosses) {
    let combos = [''];
    for (const key of cross) {
      const ls = labels.get(key);
      if (ls === undefined) {
        combos = [];
        break;
      }
      combos = combos.flatMap((c) => ls.map((l) => `${c === '' ? '' : `${c}&`}${key}=${l}`)).slice(0, MAX_CROSS_FEATURES);
    }
    names.push(...combos);
  }
  return names;
}

/** The feature names a campaign's offer model reads for this customer and event (the customer's inputs made once per decision). */
export function modelFeatureNames(base: readonly ModelInput[], ctx: CustomerContext, event: GatewayEvent, c: Campaign, t: number): string[] {
  const spec = c.model;
  const inputs = [...base, ...dataInputs(event.data, (key) => ignores(spec, key)), ...campaignInputs(ctx, c, t)];
  return featureNames(inputs, spec);
}

/**
 * The hashed form the model reads: 30 bits (the model masks them to its size), so each is a
 * small integer V8 keeps unboxed in the arrays an offer instance carries, not a heap number.
 */
export function hashFeature(name: string): number {
  return fnv1a(name) & 0x3fffffff;
}

export function hashFeatures(names: readonly string[]): number[] {
  return names.map(hashFeature);
}

const BIAS = hashFeature('bias');
/** the `=` between a feature's key and its bin */
const EQUALS = '='.charCodeAt(0);

/** `hashFeature(`${key}=${label}`)` without the joined string. */
function hashNamed(key: string, label: string): number {
  const h = Math.imul(fnvMix(FNV_OFFSET, key) ^ EQUALS, 0x01000193);
  return fnvMix(h, label) & 0x3fffffff;
}

/**
 * `hashFeatures(modelFeatureNames(base, ctx, event, c, t))`, the same numbers, without the
 * names: each input's `key=bin` hashed in parts, no string or list per input (the hot path: a
 * decision scores every campaign's model). A spec with crosses takes the names' way.
 */
export function modelFeatureHashes(base: readonly ModelInput[], ctx: CustomerContext, event: GatewayEvent, c: Campaign, t: number): number[] {
  const spec = c.model;
  if (spec.crosses.length > 0) return hashFeatures(modelFeatureNames(base, ctx, event, c, t));
  const out = [BIAS];
  const add = (inputs: readonly ModelInput[]): void => {
    for (const input of inputs) {
      if (spec.ignore.length > 0 && ignores(spec, input.key)) continue;
      out.push(hashNamed(input.key, binned(input.value, spec.bins.get(input.key) ?? DEFAULT_BINNINGS[input.bin])));
    }
  };
  add(base);
  if (event.data !== undefined) add(dataInputs(event.data, (key) => ignores(spec, key)));
  add(campaignInputs(ctx, c, t));
  return out;
}
