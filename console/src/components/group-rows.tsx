import type { Condition, GroupRow, Operator } from '../campaign-form';
import { OPERATORS, emptyCondition, newGroupId, rowKey } from '../campaign-form';
import { STAGES } from '../rule';
import { label, useTexts } from '../i18n/texts';

export interface SegmentChoice {
  id: string;
  name: string;
}

/**
 * A campaign's target groups as rows: each a name, who is in it (conditions that all hold: an
 * attribute, an operator and a value, or a segment's membership) and its response probability
 * in percent. A rule the simple editor cannot show stays JSON text, kept as written.
 */
export function GroupRows({ groups, segments, onChange }: { groups: GroupRow[]; segments: SegmentChoice[]; onChange: (groups: GroupRow[]) => void }) {
  const t = useTexts();
  const set = (i: number, g: Partial<GroupRow>): void => onChange(groups.map((x, j) => (j === i ? { ...x, ...g } : x)));
  return (
    <div className="groups">
      {groups.map((g, i) => (
        <fieldset key={g.key} className="group" data-group={i + 1}>
          <legend>{t.groupN(i + 1)}</legend>
          <div className="row">
            <label>
              {t.groupName}
              <input value={g.name} onChange={(e) => set(i, { name: e.target.value })} />
            </label>
            <label>
              {t.responsePercentLabel}
              <input className="short" inputMode="decimal" value={g.responsePercent} onChange={(e) => set(i, { responsePercent: e.target.value })} />
            </label>
            <span className="muted">id: {g.id}</span>
          </div>
          {g.ruleJson !== undefined ? (
            <>
              <p className="muted">{t.complexRule}</p>
              <label className="block">
                {t.ruleJsonLabel}
                <textarea rows={3} value={g.ruleJson} onChange={(e) => set(i, { ruleJson: e.target.value })} />
              </label>
            </>
          ) : (
            <fieldset className="conditions">
              <legend>{t.whoIsIn}</legend>
              {g.conditions.map((c, k) => (
                <ConditionRow
                  key={k}
                  condition={c}
                  segments={segments}
                  onChange={(nc) => set(i, { conditions: g.conditions.map((x, m) => (m === k ? nc : x)) })}
                  onRemove={g.conditions.length > 1 ? () => set(i, { conditions: g.conditions.filter((_, m) => m !== k) }) : undefined}
                />
              ))}
              <button type="button" className="secondary" onClick={() => set(i, { conditions: [...g.conditions, emptyCondition()] })}>
                {t.addCondition}
              </button>
            </fieldset>
          )}
          {groups.length > 1 && (
            <button type="button" className="secondary" onClick={() => onChange(groups.filter((_, j) => j !== i))}>
              {t.removeGroup}
            </button>
          )}
        </fieldset>
      ))}
      <button type="button" className="secondary" onClick={() => onChange([...groups, { key: rowKey(), id: newGroupId(groups), name: '', conditions: [emptyCondition()], responsePercent: '' }])}>
        {t.addGroup}
      </button>
    </div>
  );
}

function ConditionRow({ condition: c, segments, onChange, onRemove }: { condition: Condition; segments: SegmentChoice[]; onChange: (c: Condition) => void; onRemove: (() => void) | undefined }) {
  const t = useTexts();
  const isSegment = c.attr.startsWith('segment.');
  const known = Object.keys(t.attrs);
  const segmentAttrs = segments.map((s) => `segment.${s.id}`);
  const other = !known.includes(c.attr) && !segmentAttrs.includes(c.attr);
  // the stage and the gender are picked from their values in words (as the segment editor does), their codes kept as the values
  const choices: Array<[string, string]> | undefined =
    c.attr === 'stage' ? STAGES.map((s) => [s, label(t.lifecycleStages, s)]) : c.attr === 'profile.gender' ? Object.entries(t.genders) : undefined;
  const changeAttr = (attr: string): void => {
    if (attr.startsWith('segment.')) onChange({ attr, op: 'eq', value: 'true', value2: '' });
    else if (isSegment) onChange({ ...emptyCondition(), attr });
    else onChange({ ...c, attr });
  };
  return (
    <div className="row condition">
      <label>
        {t.attribute}
        <select aria-label={t.attribute} value={c.attr} onChange={(e) => changeAttr(e.target.value)}>
          {known.map((a) => (
            <option key={a} value={a}>
              {label(t.attrs, a)}
            </option>
          ))}
          {segments.map((s) => (
            <option key={s.id} value={`segment.${s.id}`}>
              {t.segmentAttr(s.name)}
            </option>
          ))}
          {other && <option value={c.attr}>{t.otherAttr(c.attr)}</option>}
        </select>
      </label>
      {isSegment && c.op === 'eq' && (c.value === 'true' || c.value === 'false') ? (
        <label>
          {t.operator}
          <select aria-label={t.operator} value={c.value} onChange={(e) => onChange({ ...c, value: e.target.value })}>
            <option value="true">{t.inSegment}</option>
            <option value="false">{t.notInSegment}</option>
          </select>
        </label>
      ) : (
        <>
          <label>
            {t.operator}
            <select aria-label={t.operator} value={c.op} onChange={(e) => onChange({ ...c, op: e.target.value as Operator })}>
              {OPERATORS.map((o) => (
                <option key={o} value={o}>
                  {label(t.ops, o)}
                </option>
              ))}
            </select>
          </label>
          {choices !== undefined && (c.op === 'eq' || c.op === 'ne') ? (
            <label>
              {t.value}
              <select aria-label={t.value} value={c.value} onChange={(e) => onChange({ ...c, value: e.target.value })}>
                {!choices.some(([v]) => v === c.value) && <option value={c.value}>{c.value === '' ? '—' : c.value}</option>}
                {choices.map(([v, words]) => (
                  <option key={v} value={v}>
                    {words}
                  </option>
                ))}
              </select>
            </label>
          ) : c.op !== 'exists' && c.op !== 'missing' && (
            <label>
              {t.value}
              <input className={c.op === 'between' ? 'short' : undefined} value={c.value} onChange={(e) => onChange({ ...c, value: e.target.value })} />
            </label>
          )}
          {c.op === 'between' && (
            <label>
              {t.valueTo}
              <input className="short" value={c.value2} onChange={(e) => onChange({ ...c, value2: e.target.value })} />
            </label>
          )}
        </>
      )}
      {onRemove !== undefined && (
        <button type="button" className="secondary" onClick={onRemove}>
          {t.removeCondition}
        </button>
      )}
    </div>
  );
}
