import { invalidAt, unreachable } from './brain-error.js';
import { isRecord } from './catalog/field-checks.js';
import type { CustomerContext, ProfileScalarField } from './customer-state.js';
import { isIsoDate, profileAge, profileFieldTypes } from './customer-state.js';
import type { GatewayEvent } from './gateway-event.js';

/**
 * Rule trees over a customer's profile, features, segments and the current event:
 * the language segments, target groups and triggers are written in.
 *
 *   { all: [c, ...] }  { any: [c, ...] }  { not: c }
 *   { attr: "profile.age", op: "gte", value: 60 }
 *   { attr: "event.data.requested", op: "gt", value: { ref: "event.data.balance" } }
 */
export type Scalar = string | number | boolean;

/**
 * How deep rules may nest: a rule is level 1, the rules in its `all`, `any` or `not` level 2,
 * and so on. Rules are compiled and evaluated by recursion; a bound keeps a rule thousands of
 * levels deep (a 500 and a stack overflow before) out of the catalog.
 */
export const MAX_CONDITION_DEPTH = 32;

export const conditionOps = [
  'eq',
  'ne',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'notIn',
  'between',
  'contains',
  'exists',
  'missing',
] as const;
export type ConditionOp = (typeof conditionOps)[number];

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { attr: string; op: ConditionOp; value?: Scalar | Scalar[] | { ref: string; times?: number } };

/** What a rule is evaluated against. Feature values are computed on demand. */
export interface EvalScope {
  ctx: CustomerContext;
  event?: GatewayEvent;
  /** undefined for a daysSince feature with nothing in its window */
  feature(id: string): number | undefined;
  score(id: string): number;
  inSegment(id: string): boolean;
  vars?: Readonly<Record<string, number | string>>;
  /**
   * the decision's local day (days since 1970-01-01 in the customer's time zone, from the
   * event's or server's time): `profile.age` follows from the birth date on it
   */
  day?: number;
}

export type Getter = (scope: EvalScope) => unknown;
export type Predicate = (scope: EvalScope) => boolean;

/** Which attribute roots a rule may name where it is used. */
export interface AttrEnv {
  features: ReadonlySet<string>;
  /** score ids a rule may use; undefined where scores are not yet defined (in features) */
  scores?: ReadonlySet<string>;
  /** segment ids a rule may test; undefined where segments may not be used (in segments themselves) */
  segments?: ReadonlySet<string>;
  /** whether `event.*` may be used (triggers and feature filters) */
  event: boolean;
  /** variable names a rule may test (trigger conditions after the campaign's variables) */
  vars?: ReadonlySet<string>;
}

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';
}

function readPath(root: unknown, keys: readonly string[]): unknown {
  let cur: unknown = root;
  for (const k of keys) {
    if (!isRecord(cur) || !Object.hasOwn(cur, k)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/**
 * Compiles an attribute path into a getter, checking that it names something that exists.
 * `path` is where the attribute stands in the catalog, for the error message.
 */
export function compileAttr(attr: unknown, path: string, env: AttrEnv): Getter {
  if (typeof attr !== 'string' || attr.length === 0) throw invalidAt(path, 'must be a non-empty string');
  const [root, ...rest] = attr.split('.');
  const name = rest.join('.');
  switch (root) {
    case 'profile': {
      if (rest[0] === 'attributes') {
        const key = rest.slice(1).join('.');
        if (rest.length < 2 || key === '') throw invalidAt(path, 'name an imported attribute: profile.attributes.<name>');
        return (s) => {
          const attrs = s.ctx.profile.attributes;
          return attrs !== undefined && Object.hasOwn(attrs, key) ? attrs[key] : undefined;
        };
      }
      if (name === 'age') return (s) => profileAge(s.ctx.profile, s.day);
      if (!Object.hasOwn(profileFieldTypes, name)) {
        throw invalidAt(
          path,
          `unknown profile field "${name}" (known: ${Object.keys(profileFieldTypes).join(', ')}, attributes.<name>)`,
        );
      }
      const field = name as ProfileScalarField;
      return (s) => s.ctx.profile[field];
    }
    case 'stage':
      if (rest.length > 0) throw invalidAt(path, `"stage" has no fields`);
      return (s) => s.ctx.stage;
    case 'feature':
      if (!env.features.has(name)) throw invalidAt(path, `unknown feature "${name}"`);
      return (s) => s.feature(name);
    case 'score':
      if (env.scores === undefined) throw invalidAt(path, 'scores cannot be used here');
      if (!env.scores.has(name)) throw invalidAt(path, `unknown score "${name}"`);
      return (s) => s.score(name);
    case 'segment': {
      if (env.segments === undefined) throw invalidAt(path, 'segments cannot be used here');
      if (!env.segments.has(name)) throw invalidAt(path, `unknown segment "${name}"`);
      return (s) => s.inSegment(name);
    }
    case 'vars': {
      if (env.vars === undefined) throw invalidAt(path, 'variables cannot be used here');
      if (!env.vars.has(name)) throw invalidAt(path, `unknown variable "${name}"`);
      return (s) => s.vars?.[name];
    }
    case 'event': {
      if (!env.event) throw invalidAt(path, 'event attributes cannot be used here');
      const [field, ...dataKeys] = rest;
      switch (field) {
        case 'type':
        case 'channel':
          if (dataKeys.length > 0) throw invalidAt(path, `"event.${field}" has no fields`);
          return (s) => s.event?.[field];
        case 'place':
          return (s) => s.event?.location?.place;
        case 'data':
          if (dataKeys.length === 0) throw invalidAt(path, 'name a field: event.data.<field>');
          return (s) => readPath(s.event?.data, dataKeys);
        default:
          throw invalidAt(path, `unknown event attribute "${attr}" (use event.type, event.channel, event.place, event.data.<field>)`);
      }
    }
    default:
      throw invalidAt(
        path,
        `unknown attribute "${attr}" (roots: profile, stage, feature, score, segment, vars, event)`,
      );
  }
}

function compare(op: ConditionOp, a: unknown, b: unknown): boolean {
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
      return typeof a === typeof b && (a as number) > (b as number) && a !== undefined;
    case 'gte':
      return typeof a === typeof b && (a as number) >= (b as number) && a !== undefined;
    case 'lt':
      return typeof a === typeof b && (a as number) < (b as number) && a !== undefined;
    case 'lte':
      return typeof a === typeof b && (a as number) <= (b as number) && a !== undefined;
    case 'in':
      return Array.isArray(b) && b.includes(a);
    case 'notIn':
      return Array.isArray(b) && a !== undefined && !b.includes(a);
    case 'between': {
      if (!Array.isArray(b) || typeof a !== 'number') return false;
      const [lo, hi] = b as number[];
      return lo !== undefined && hi !== undefined && a >= lo && a <= hi;
    }
    case 'contains':
      if (typeof a === 'string' && typeof b === 'string') return a.includes(b);
      return Array.isArray(a) && a.includes(b);
    case 'exists':
      return a !== undefined && a !== null;
    case 'missing':
      return a === undefined || a === null;
    default: {
      throw unreachable('op', op);
    }
  }
}

/** Gateways send numbers as strings at times ("5812"); compare like with like. */
function coerce(a: unknown, b: unknown): unknown {
  if (typeof b === 'number' && typeof a === 'string' && a.trim() !== '' && Number.isFinite(Number(a))) return Number(a);
  if (typeof b === 'string' && typeof a === 'number') return String(a);
  return a;
}

export function compileCondition(raw: unknown, path: string, env: AttrEnv, depth = 1): Predicate {
  if (depth > MAX_CONDITION_DEPTH) throw invalidAt(path, `nests deeper than ${MAX_CONDITION_DEPTH} levels of all, any and not`);
  if (!isRecord(raw)) throw invalidAt(path, 'must be a rule: {all}, {any}, {not} or {attr, op, value}');
  if ('all' in raw || 'any' in raw) {
    const key = 'all' in raw ? 'all' : 'any';
    const list = raw[key];
    if (!Array.isArray(list) || list.length === 0) throw invalidAt(`${path}.${key}`, 'must be a non-empty list of rules');
    const parts = list.map((c, i) => compileCondition(c, `${path}.${key}[${i}]`, env, depth + 1));
    // Loops, not every/some with a closure: a rule is evaluated for each segment, campaign and group at every event.
    if (key === 'all') {
      return (s) => {
        for (const p of parts) if (!p(s)) return false;
        return true;
      };
    }
    return (s) => {
      for (const p of parts) if (p(s)) return true;
      return false;
    };
  }
  if ('not' in raw) {
    const inner = compileCondition(raw.not, `${path}.not`, env, depth + 1);
    return (s) => !inner(s);
  }
  if (!('attr' in raw)) throw invalidAt(path, 'must be a rule: {all}, {any}, {not} or {attr, op, value}');
  const get = compileAttr(raw.attr, `${path}.attr`, env);
  const op = raw.op;
  if (typeof op !== 'string' || !(conditionOps as readonly string[]).includes(op)) {
    throw invalidAt(`${path}.op`, `must be one of ${conditionOps.join(', ')}`);
  }
  const o = op as ConditionOp;
  const value = raw.value;
  if (o === 'exists' || o === 'missing') {
    if (value !== undefined) throw invalidAt(`${path}.value`, `"${o}" takes no value`);
    return (s) => compare(o, get(s), undefined);
  }
  if (typeof raw.attr === 'string' && raw.attr.startsWith(ATTRIBUTES) && !(isRecord(value) && 'ref' in value)) {
    return compileAttributeRule(get, o, value, path);
  }
  if (isRecord(value) && 'ref' in value) {
    if (o === 'in' || o === 'notIn' || o === 'between' || o === 'contains') throw invalidAt(`${path}.value`, `"${o}" needs a literal value`);
    const other = compileAttr(value.ref, `${path}.value.ref`, env);
    const times = value.times;
    if (times !== undefined && (typeof times !== 'number' || !Number.isFinite(times))) throw invalidAt(`${path}.value.times`, 'must be a number');
    return (s) => {
      const raw = other(s);
      const b = times === undefined ? raw : typeof raw === 'number' ? raw * times : undefined;
      return compare(o, coerce(get(s), b), b);
    };
  }
  if (o === 'contains') {
    if (!isScalar(value)) throw invalidAt(`${path}.value`, '"contains" needs a string, number or boolean');
    return (s) => compare(o, get(s), value);
  }
  if (o === 'in' || o === 'notIn') {
    if (!Array.isArray(value) || value.length === 0 || !value.every(isScalar)) {
      throw invalidAt(`${path}.value`, `"${o}" needs a non-empty list of strings, numbers or booleans`);
    }
    const list = value;
    const sample = list[0];
    return (s) => compare(o, coerce(get(s), sample), list);
  }
  if (o === 'between') {
    if (!Array.isArray(value) || value.length !== 2 || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw invalidAt(`${path}.value`, '"between" needs [low, high], both numbers (inclusive)');
    }
    if ((value[0] as number) > (value[1] as number)) throw invalidAt(`${path}.value`, 'low is above high');
    const range = value;
    return (s) => compare(o, coerce(get(s), 0), range);
  }
  if (!isScalar(value)) throw invalidAt(`${path}.value`, `"${o}" needs a string, number or boolean`);
  if ((o === 'gt' || o === 'gte' || o === 'lt' || o === 'lte') && typeof value !== 'number') {
    throw invalidAt(`${path}.value`, `"${o}" needs a number`);
  }
  return (s) => compare(o, coerce(get(s), value), value);
}

const ATTRIBUTES = 'profile.attributes.';

/** The types of an imported attribute (docs/import.md), as a rule's value says which it means. */
export type AttributeType = 'number' | 'boolean' | 'date' | 'text';

/** The operators a rule may apply to an imported attribute of each type. */
export const attributeTypeOps: Readonly<Record<AttributeType, readonly ConditionOp[]>> = {
  number: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'notIn', 'exists', 'missing'],
  date: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'notIn', 'exists', 'missing'],
  boolean: ['eq', 'ne', 'in', 'notIn', 'exists', 'missing'],
  text: ['eq', 'ne', 'in', 'notIn', 'contains', 'exists', 'missing'],
};

function attributeType(v: unknown): AttributeType | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? 'number' : undefined;
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return isIsoDate(v) ? 'date' : 'text';
  return undefined;
}

/**
 * A rule on an imported attribute (`profile.attributes.<name>`), typed by its value: a number,
 * a boolean, a `YYYY-MM-DD` date or text. The operator must suit that type (no `gt` on text,
 * no `contains` on a number), and the rule sees only a stored value of that type: a text
 * "5812" is not the number 5812 (the import typed it), dates compare as dates.
 */
function compileAttributeRule(get: Getter, o: ConditionOp, value: unknown, path: string): Predicate {
  const list = Array.isArray(value) ? value : [value];
  const type = attributeType(list[0]);
  if (type === undefined || (o !== 'in' && o !== 'notIn' && o !== 'between' && Array.isArray(value))) {
    throw invalidAt(`${path}.value`, `"${o}" on an imported attribute needs a number, a boolean, a YYYY-MM-DD date or text`);
  }
  if (!list.every((v) => attributeType(v) === type)) throw invalidAt(`${path}.value`, `mixes types: every value must be a ${type}`);
  if (!attributeTypeOps[type].includes(o)) throw invalidAt(`${path}.op`, `"${o}" does not apply to a ${type} attribute (use ${attributeTypeOps[type].join(', ')})`);
  const typed: Getter = (s) => {
    const a = get(s);
    return attributeType(a) === type ? a : undefined;
  };
  if (o === 'in' || o === 'notIn') {
    if (!Array.isArray(value) || value.length === 0) throw invalidAt(`${path}.value`, `"${o}" needs a non-empty list`);
    return (s) => compare(o, typed(s), value);
  }
  if (o === 'between') {
    if (!Array.isArray(value) || value.length !== 2) throw invalidAt(`${path}.value`, `"between" needs [low, high], both ${type === 'date' ? 'dates' : 'numbers'} (inclusive)`);
    const [lo, hi] = value as [number | string, number | string];
    if (lo > hi) throw invalidAt(`${path}.value`, 'low is above high');
    return (s) => {
      const a = typed(s) as number | string | undefined;
      return a !== undefined && a >= lo && a <= hi;
    };
  }
  return (s) => compare(o, typed(s), value);
}

/** A leaf of a rule: the attribute it names, the attribute it compares with (`ref`), its value. */
export interface ConditionLeaf {
  attr: string | undefined;
  ref: string | undefined;
  value: unknown;
}

/**
 * A rule's leaves, depth first (a node naming an `attr` or comparing with a `ref`), for knowing
 * what a rule depends on. Looks no deeper than a rule may nest (compiling the rule refuses one
 * that nests deeper).
 */
export function conditionLeaves(raw: unknown, depth = 1, out: ConditionLeaf[] = []): ConditionLeaf[] {
  if (!isRecord(raw) || depth > MAX_CONDITION_DEPTH) return out;
  for (const key of ['all', 'any'] as const) {
    const list = raw[key];
    if (Array.isArray(list)) for (const c of list) conditionLeaves(c, depth + 1, out);
  }
  if (raw.not !== undefined) conditionLeaves(raw.not, depth + 1, out);
  const attr = typeof raw.attr === 'string' ? raw.attr : undefined;
  const ref = isRecord(raw.value) && typeof raw.value.ref === 'string' ? raw.value.ref : undefined;
  if (attr !== undefined || ref !== undefined) out.push({ attr, ref, value: raw.value });
  return out;
}

/** Every attribute a rule names (including `ref`s). */
export function referencedAttrs(raw: unknown): string[] {
  return conditionLeaves(raw).flatMap((l) => [l.attr, l.ref].filter((a): a is string => a !== undefined));
}
