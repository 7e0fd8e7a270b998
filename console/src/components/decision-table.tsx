import type { Schemas } from '../api/client';
import type { Texts } from '../i18n/dictionary';
import { label, useTexts } from '../i18n/texts';

/** A reason code's words: the whole code's (`recency:offer`), else its part before the first colon's (`missing_data:rate`); none for a code the console does not know. */
function reasonWords(t: Texts, code: string): string | undefined {
  const words: Readonly<Record<string, string>> = t.reasonCodes;
  return words[code] ?? words[code.split(':')[0] ?? code];
}

/** A suppression's reason in words with its code (the code as the API and the logs give it), or the code alone when it has no words. */
export function Reason({ code }: { code: string }) {
  const t = useTexts();
  const words = reasonWords(t, code);
  return (
    <span data-field="reason" data-reason={code} title={code}>
      {words === undefined ? code : `${words} (${code})`}
    </span>
  );
}

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
            <td>{e.reason !== undefined ? <Reason code={e.reason} /> : [e.group, e.channel, e.offer].filter((x) => x !== undefined).join(' · ')}</td>
            <td className="num">{e.probability === undefined ? '—' : `${(e.probability * 100).toFixed(1)} %`}</td>
            <td className="num">{e.score === undefined ? '—' : e.score.toFixed(3)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
