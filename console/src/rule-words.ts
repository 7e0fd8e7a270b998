import type { Texts } from './i18n/dictionary';
import type { Rule, RuleScalar, RuleValue } from './rule';
import { groupItems, isGroup, isNot } from './rule';

/** An attribute as people read it: a profile field's name, `feature <id>`, else the attribute itself. */
export function attrWords(t: Texts, attr: string): string {
  const known = (t.attrLabels as Record<string, string>)[attr];
  if (known !== undefined) return known;
  if (attr.startsWith('feature.')) return `${t.featurePrefix} ${attr.slice('feature.'.length)}`;
  return attr;
}

function scalarWords(t: Texts, attr: string, v: RuleScalar): string {
  if (typeof v === 'boolean') return v ? t.ruleYes : t.ruleNo;
  if (typeof v === 'number') return String(v);
  if (attr === 'stage') {
    const stage = (t.lifecycleStages as Record<string, string>)[v];
    if (stage !== undefined) return stage;
  }
  return t.ruleQuoted(v);
}

function valueWords(t: Texts, attr: string, v: RuleValue): string {
  if (Array.isArray(v)) return v.map((x) => scalarWords(t, attr, x)).join(', ');
  if (typeof v === 'object') return v.times === undefined ? attrWords(t, v.ref) : t.ruleTimes(String(v.times), attrWords(t, v.ref));
  return scalarWords(t, attr, v);
}

/**
 * A rule in words, in the console's language: `возраст ≥ 60 и город = «Москва»`; a nested
 * group in brackets, `не` before a negated part.
 */
export function ruleInWords(t: Texts, rule: Rule | undefined, nested = false): string {
  if (rule === undefined) return t.ruleEmpty;
  if (isGroup(rule)) {
    const items = groupItems(rule);
    if (items.length === 0) return t.ruleEmpty;
    const words = items.map((r) => ruleInWords(t, r, true)).join('all' in rule ? t.ruleAnd : t.ruleOr);
    return nested && items.length > 1 ? `(${words})` : words;
  }
  if (isNot(rule)) return `${t.ruleNot}${ruleInWords(t, rule.not, true)}`;
  const attr = attrWords(t, rule.attr);
  const op = rule.op;
  if (op === 'exists' || op === 'missing') return `${attr} ${t.ruleOps[op]}`;
  if (rule.value === undefined) return `${attr} ${(t.ruleOps as Record<string, string>)[op] ?? op}`;
  if (op === 'between' && Array.isArray(rule.value) && rule.value.length === 2) {
    return `${attr} ${t.ruleBetween(scalarWords(t, rule.attr, rule.value[0] as RuleScalar), scalarWords(t, rule.attr, rule.value[1] as RuleScalar))}`;
  }
  return `${attr} ${(t.ruleOps as Record<string, string>)[op] ?? op} ${valueWords(t, rule.attr, rule.value)}`;
}
