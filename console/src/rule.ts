/**
 * A rule as the catalog writes it (docs/catalog.md, "Rules"): `{all}`, `{any}`, `{not}` or
 * `{attr, op, value}`; the attributes the console offers in a segment's rule (profile fields,
 * the lifecycle stage, the catalog's behavioural features), and a value's text both ways.
 */

export type RuleScalar = string | number | boolean;
export type RuleValue = RuleScalar | RuleScalar[] | { ref: string; times?: number };
export type RuleOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'notIn' | 'between' | 'contains' | 'exists' | 'missing';
export interface RuleLeaf {
  attr: string;
  op: RuleOp;
  value?: RuleValue;
}
export type Rule = { all: Rule[] } | { any: Rule[] } | { not: Rule } | RuleLeaf;
export type RuleGroup = { all: Rule[] } | { any: Rule[] };

export const RULE_OPS: readonly RuleOp[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'notIn', 'contains', 'exists', 'missing'];

/** What an attribute holds: it decides the operators offered and how a value's text is read. */
export type AttrKind = 'number' | 'string' | 'boolean' | 'stage' | 'any';

export interface RuleAttribute {
  attr: string;
  kind: AttrKind;
  /** `profile` (a profile field or the stage), `feature` (a behavioural feature of the catalog), `other` (named by a rule, not offered) */
  group: 'profile' | 'feature' | 'other';
  /** a feature's description, for people */
  description?: string;
}

/** The profile fields a rule may name (actors/customer-state.ts profileFieldTypes), and the stage. */
const PROFILE: ReadonlyArray<[string, AttrKind]> = [
  ['stage', 'stage'],
  ['profile.age', 'number'],
  ['profile.gender', 'string'],
  ['profile.city', 'string'],
  ['profile.balance', 'number'],
  ['profile.job', 'string'],
  ['profile.marital', 'string'],
  ['profile.education', 'string'],
  ['profile.creditDefault', 'boolean'],
  ['profile.housingLoan', 'boolean'],
  ['profile.personalLoan', 'boolean'],
  ['profile.timezone', 'string'],
  ['profile.firstName', 'string'],
  ['profile.patronymic', 'string'],
  ['profile.lastName', 'string'],
];

export const STAGES = ['visitor', 'prospect', 'client', 'formerClient'] as const;

/** The attributes offered: the profile's, then each feature of the catalog (`feature.<id>`, a number). */
export function ruleAttributes(features: ReadonlyArray<{ id?: string; description?: string }>): RuleAttribute[] {
  return [
    ...PROFILE.map(([attr, kind]) => ({ attr, kind, group: 'profile' as const })),
    ...features.filter((f) => f.id !== undefined).map((f) => ({ attr: `feature.${f.id ?? ''}`, kind: 'number' as const, group: 'feature' as const, ...(f.description === undefined ? {} : { description: f.description }) })),
  ];
}

/** An attribute by name; one the list does not hold (a score, an imported attribute) is of any kind. */
export function attributeOf(attrs: readonly RuleAttribute[], attr: string): RuleAttribute {
  return attrs.find((a) => a.attr === attr) ?? { attr, kind: attr.startsWith('score.') ? 'number' : 'any', group: 'other' };
}

/** The operators that suit an attribute's kind (the catalog refuses the others, or they never hold). */
export function opsFor(kind: AttrKind): readonly RuleOp[] {
  switch (kind) {
    case 'number':
      return ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'notIn', 'exists', 'missing'];
    case 'string':
      return ['eq', 'ne', 'in', 'notIn', 'contains', 'exists', 'missing'];
    case 'boolean':
      return ['eq', 'ne', 'exists', 'missing'];
    case 'stage':
      return ['eq', 'ne', 'in', 'notIn'];
    case 'any':
      return RULE_OPS;
  }
}

export const isGroup = (r: Rule): r is RuleGroup => 'all' in r || 'any' in r;
export const isNot = (r: Rule): r is { not: Rule } => 'not' in r;
export const groupItems = (g: RuleGroup): Rule[] => ('all' in g ? g.all : g.any);

function readScalar(text: string, kind: AttrKind): RuleScalar {
  const s = text.trim();
  if (kind === 'string' || kind === 'stage') return s;
  if (kind !== 'number' && (s === 'true' || s === 'false')) return s === 'true';
  // A number where one is meant; other text is sent as it is, and the API says what is wrong with it.
  if (s !== '' && Number.isFinite(Number(s))) return Number(s);
  return s;
}

/**
 * A value as typed: a list (`in`, `notIn`, `between`) separated by commas; `=feature.x * 0.3`
 * another attribute, scaled; otherwise one value, a number where the attribute holds numbers.
 */
export function readValue(text: string, op: RuleOp, kind: AttrKind): RuleValue | undefined {
  if (op === 'exists' || op === 'missing') return undefined;
  const s = text.trim();
  if (op === 'in' || op === 'notIn' || op === 'between') {
    return s === '' ? [] : s.split(',').map((p) => readScalar(p, kind));
  }
  if (s.startsWith('=')) {
    const m = /^=\s*([^*\s]+)\s*(?:\*\s*(\S+))?$/.exec(s);
    if (m !== null) {
      const times = m[2] === undefined ? undefined : Number(m[2]);
      return times === undefined || !Number.isFinite(times) ? { ref: m[1] ?? '' } : { ref: m[1] ?? '', times };
    }
  }
  return readScalar(s, kind);
}

/** A value as the editor shows it in its text box (readValue's inverse). */
export function valueText(value: RuleValue | undefined): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (typeof value === 'object') return `=${value.ref}${value.times === undefined ? '' : ` * ${value.times}`}`;
  return String(value);
}
