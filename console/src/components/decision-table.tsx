import type { Schemas } from '../api/client';
import { label, useTexts } from '../i18n/texts';

/** A decision's explanations: each campaign weighed, its verdict, and why (the rule's reason, or where it got to), with its probability and score. */
export function DecisionTable({ explain }: { explain: ReadonlyArray<Schemas['Explanation']> }) {
  const t = useTexts();
  if (explain.length === 0) return <p>{t.none}</p>;
  return (
    <table className="data">
      <thead>
        <tr>
          <th scope="col">{t.campaign}</th>
          <th scope="col">{t.verdict}</th>
          <th scope="col">{t.why}</th>
          <th scope="col" className="num">
            {t.probability}
          </th>
          <th scope="col" className="num">
            {t.score}
          </th>
        </tr>
      </thead>
      <tbody>
        {explain.map((e, i) => (
          <tr key={`${e.campaign}/${e.channel ?? ''}/${i}`} data-decision={e.campaign}>
            <td>{e.campaign}</td>
            <td data-field="verdict">{label(t.verdicts, e.verdict)}</td>
            <td>{e.reason ?? [e.group, e.channel, e.offer].filter((x) => x !== undefined).join(' · ')}</td>
            <td className="num">{e.probability === undefined ? '—' : `${(e.probability * 100).toFixed(1)} %`}</td>
            <td className="num">{e.score === undefined ? '—' : e.score.toFixed(3)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
