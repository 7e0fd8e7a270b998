import { useEffect, useState } from 'react';
import { label, useTexts } from '../i18n/texts';
import type { AttrKind, Rule, RuleAttribute, RuleGroup, RuleLeaf, RuleOp } from '../rule';
import { STAGES, attributeOf, groupItems, isGroup, isNot, opsFor, readValue, valueText } from '../rule';
import { ruleInWords } from '../rule-words';

/**
 * A rule of the catalog's format (docs/catalog.md, "Rules") edited as rows: each an attribute
 * (a profile field, the stage or a behavioural feature), an operator and a value, in groups
 * where all or any must hold, each row or group negatable; with the rule in words below.
 * Controlled: `value` in, every edit out through `onChange` (undefined when no condition is
 * left). A rule that is one condition is shown as a group of one and given back as written
 * until it is edited. `readOnly` shows the words only. Used by the segment page; the
 * campaign editor's target groups take the same props.
 */
export function RuleEditor({
  value,
  onChange,
  attributes,
  readOnly = false,
  title,
}: {
  value: Rule | undefined;
  onChange: (rule: Rule | undefined) => void;
  attributes: readonly RuleAttribute[];
  readOnly?: boolean;
  /** the editor's legend (the rule's role: a segment's rule, a target group's condition) */
  title?: string;
}) {
  const t = useTexts();
  const words = (
    <p className="rule-words">
      <span className="muted">{t.ruleInWords}: </span>
      <span data-field="rule-words">{ruleInWords(t, value)}</span>
    </p>
  );
  if (readOnly) return words;
  const root: RuleGroup = value === undefined ? { all: [] } : isGroup(value) ? value : { all: [value] };
  return (
    <div className="rule-editor">
      <GroupEditor
        group={root}
        depth={0}
        title={title ?? t.ruleEditor}
        attributes={attributes}
        onChange={(g) => onChange(groupItems(g).length === 0 ? undefined : g)}
      />
      {words}
    </div>
  );
}

const NEW_CONDITION: RuleLeaf = { attr: 'stage', op: 'eq', value: 'client' };

function withItems(g: RuleGroup, items: Rule[]): RuleGroup {
  return 'all' in g ? { all: items } : { any: items };
}

function GroupEditor({
  group,
  depth,
  title,
  attributes,
  onChange,
  negated,
  onNegate,
  onRemove,
}: {
  group: RuleGroup;
  depth: number;
  title: string;
  attributes: readonly RuleAttribute[];
  onChange: (g: RuleGroup) => void;
  negated?: boolean;
  onNegate?: () => void;
  onRemove?: () => void;
}) {
  const t = useTexts();
  const items = groupItems(group);
  const mode = 'all' in group ? 'all' : 'any';
  const setItem = (i: number, r: Rule): void => onChange(withItems(group, items.map((x, j) => (j === i ? r : x))));
  const removeItem = (i: number): void => onChange(withItems(group, items.filter((_, j) => j !== i)));
  return (
    <fieldset className="rule-group" data-rule-group={depth}>
      <legend>{title}</legend>
      <div className="rule-group-head">
        <select aria-label={t.ruleMatch} value={mode} onChange={(e) => onChange(e.target.value === 'all' ? { all: items } : { any: items })}>
          <option value="all">{t.ruleAll}</option>
          <option value="any">{t.ruleAny}</option>
        </select>
        {onNegate !== undefined && <Negate negated={negated === true} onNegate={onNegate} />}
        {onRemove !== undefined && (
          <button type="button" className="secondary" onClick={onRemove}>
            {t.ruleRemove}
          </button>
        )}
      </div>
      <ol className="rule-items">
        {items.map((item, i) => (
          <li key={i}>
            <NodeEditor node={item} n={i + 1} depth={depth} attributes={attributes} onChange={(r) => setItem(i, r)} onRemove={() => removeItem(i)} />
          </li>
        ))}
      </ol>
      <div className="actions">
        <button type="button" className="secondary" onClick={() => onChange(withItems(group, [...items, NEW_CONDITION]))}>
          {t.ruleAddCondition}
        </button>
        <button type="button" className="secondary" onClick={() => onChange(withItems(group, [...items, { any: [NEW_CONDITION] }]))}>
          {t.ruleAddGroup}
        </button>
      </div>
    </fieldset>
  );
}

function Negate({ negated, onNegate }: { negated: boolean; onNegate: () => void }) {
  const t = useTexts();
  return (
    <label className="negate">
      <input type="checkbox" checked={negated} onChange={onNegate} /> {t.ruleNegate}
    </label>
  );
}

function NodeEditor({
  node,
  n,
  depth,
  attributes,
  onChange,
  onRemove,
}: {
  node: Rule;
  n: number;
  depth: number;
  attributes: readonly RuleAttribute[];
  onChange: (r: Rule) => void;
  onRemove: () => void;
}) {
  const t = useTexts();
  const negated = isNot(node);
  const inner = isNot(node) ? node.not : node;
  const setInner = (r: Rule): void => onChange(negated ? { not: r } : r);
  const toggle = (): void => onChange(negated ? inner : { not: inner });
  if (isGroup(inner)) {
    return <GroupEditor group={inner} depth={depth + 1} title={t.ruleGroupLabel(depth + 1)} attributes={attributes} onChange={setInner} negated={negated} onNegate={toggle} onRemove={onRemove} />;
  }
  if (isNot(inner)) {
    // not of not: the inner part edited as a node of its own, under the outer "not"
    return (
      <div role="group" aria-label={t.ruleConditionLabel(n)} className="rule-row">
        <Negate negated={negated} onNegate={toggle} />
        <NodeEditor node={inner} n={n} depth={depth} attributes={attributes} onChange={setInner} onRemove={onRemove} />
      </div>
    );
  }
  return <ConditionRow leaf={inner} n={n} attributes={attributes} negated={negated} onNegate={toggle} onChange={setInner} onRemove={onRemove} />;
}

function ConditionRow({
  leaf,
  n,
  attributes,
  negated,
  onNegate,
  onChange,
  onRemove,
}: {
  leaf: RuleLeaf;
  n: number;
  attributes: readonly RuleAttribute[];
  negated: boolean;
  onNegate: () => void;
  onChange: (r: RuleLeaf) => void;
  onRemove: () => void;
}) {
  const t = useTexts();
  const attr = attributeOf(attributes, leaf.attr);
  const offered = attributes.some((a) => a.attr === leaf.attr) ? attributes : [...attributes, attr];
  const ops = opsFor(attr.kind).includes(leaf.op) ? opsFor(attr.kind) : [...opsFor(attr.kind), leaf.op];
  const changeAttr = (name: string): void => {
    const next = attributeOf(attributes, name);
    const nextOps = opsFor(next.kind);
    const op = nextOps.includes(leaf.op) ? leaf.op : (nextOps[0] ?? 'eq');
    onChange({ attr: name, op, ...defaultValue(next.kind, op) });
  };
  const changeOp = (op: RuleOp): void => {
    if (op === 'exists' || op === 'missing') onChange({ attr: leaf.attr, op });
    else onChange({ attr: leaf.attr, op, value: readValue(valueText(leaf.value), op, attr.kind) ?? '' });
  };
  const groups: Array<[RuleAttribute['group'], string]> = [
    ['profile', t.attrGroupProfile],
    ['feature', t.attrGroupFeature],
    ['other', t.attrGroupOther],
  ];
  return (
    <div role="group" aria-label={t.ruleConditionLabel(n)} className="rule-row" data-rule-row={n}>
      <select aria-label={t.ruleAttr} value={leaf.attr} onChange={(e) => changeAttr(e.target.value)}>
        {groups.map(([g, text]) => {
          const inGroup = offered.filter((a) => a.group === g);
          if (inGroup.length === 0) return null;
          return (
            <optgroup key={g} label={text}>
              {inGroup.map((a) => (
                <option key={a.attr} value={a.attr} title={a.description}>
                  {attrOption(t.attrLabels, a)}
                </option>
              ))}
            </optgroup>
          );
        })}
      </select>
      <select aria-label={t.ruleOp} value={leaf.op} onChange={(e) => changeOp(e.target.value as RuleOp)}>
        {ops.map((op) => (
          <option key={op} value={op}>
            {t.ruleOps[op]}
          </option>
        ))}
      </select>
      <ValueInput leaf={leaf} kind={attr.kind} onChange={onChange} />
      <Negate negated={negated} onNegate={onNegate} />
      <button type="button" className="secondary" onClick={onRemove}>
        {t.ruleRemove}
      </button>
    </div>
  );
}

function attrOption(labels: Record<string, string>, a: RuleAttribute): string {
  const known = labels[a.attr];
  if (known !== undefined) return known;
  if (a.group === 'feature') return a.description === undefined ? a.attr.slice('feature.'.length) : `${a.attr.slice('feature.'.length)} — ${a.description}`;
  return a.attr;
}

function defaultValue(kind: AttrKind, op: RuleOp): { value?: RuleLeaf['value'] } {
  if (op === 'exists' || op === 'missing') return {};
  if (kind === 'stage') return { value: op === 'in' || op === 'notIn' ? ['client'] : 'client' };
  if (kind === 'boolean') return { value: true };
  return { value: '' };
}

/** The value: none for exists and missing, a choice for a stage or a yes/no field, else text read as readValue reads it. */
function ValueInput({ leaf, kind, onChange }: { leaf: RuleLeaf; kind: AttrKind; onChange: (r: RuleLeaf) => void }) {
  const t = useTexts();
  const { op, value } = leaf;
  const [text, setText] = useState(() => valueText(value));
  // A value changed from outside (another attribute, an operator, a new rule) replaces the text; the text's own edits do not.
  useEffect(() => {
    setText((current) => (valueText(readValue(current, op, kind)) === valueText(value) ? current : valueText(value)));
  }, [value, op, kind]);
  if (op === 'exists' || op === 'missing') return null;
  if (kind === 'boolean' && (op === 'eq' || op === 'ne') && typeof value === 'boolean') {
    return (
      <select aria-label={t.ruleValue} value={String(value)} onChange={(e) => onChange({ ...leaf, value: e.target.value === 'true' })}>
        <option value="true">{t.ruleYes}</option>
        <option value="false">{t.ruleNo}</option>
      </select>
    );
  }
  if (kind === 'stage' && (op === 'eq' || op === 'ne') && typeof value === 'string') {
    return (
      <select aria-label={t.ruleValue} value={value} onChange={(e) => onChange({ ...leaf, value: e.target.value })}>
        {STAGES.map((s) => (
          <option key={s} value={s}>
            {label(t.lifecycleStages, s)}
          </option>
        ))}
      </select>
    );
  }
  return (
    <input
      aria-label={t.ruleValue}
      title={t.ruleValueHint}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        onChange({ ...leaf, value: readValue(e.target.value, op, kind) ?? '' });
      }}
    />
  );
}
