import { useEffect, useState } from 'react';
import type { Schemas } from '../api/client';
import { problemText } from '../api/client';
import { useTexts } from '../i18n/texts';
import { useSession } from '../session-context';
import { ProblemAlert } from './problem-alert';

type Uplift = Schemas['Uplift'];

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)} %`);
const interval = (ci: number[] | null | undefined): string => (ci === null || ci === undefined || ci.length < 2 ? '' : ` [${pct(ci[0])}; ${pct(ci[1])}]`);

/**
 * Uplift against the control group (GET /v1/reports/uplift), for each campaign with a goal or a
 * control group: the conversion rate of the contacted and of the held-out customers, each with
 * its 95 % interval, and the difference with its interval: over the days from `from` to `to`
 * (the funnel's days), or since the store began without them.
 */
export function UpliftTable({ from, to }: { from?: string; to?: string } = {}) {
  const t = useTexts();
  const { api } = useSession();
  const [rows, setRows] = useState<Uplift[] | undefined>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    setRows(undefined);
    setError(undefined);
    const query = { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
    void api.GET('/v1/reports/uplift', { params: { query } }).then((r) => {
      if (!live) return;
      if (r.error !== undefined) setError(problemText(r.error));
      else setRows(r.data.campaigns.filter((c) => c.goal !== null || c.controlPercent > 0));
    }, (e: unknown) => live && setError(problemText(e)));
    return () => {
      live = false;
    };
  }, [api, from, to]);
  return (
    <section aria-labelledby="uplift-title" data-state={rows === undefined && error === undefined ? 'loading' : 'ready'} data-range={from === undefined ? 'all' : `${from}..${to ?? ''}`}>
      <h2 id="uplift-title">{from !== undefined && to !== undefined ? t.upliftRangeTitle(from, to) : t.upliftTitle}</h2>
      <ProblemAlert message={error} />
      {rows !== undefined && rows.length === 0 && <p>{t.none}</p>}
      {rows !== undefined && rows.length > 0 && (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">{t.campaign}</th>
              <th scope="col" className="num">
                {t.heldOut}
              </th>
              <th scope="col" className="num">
                {t.treated}
              </th>
              <th scope="col" className="num">
                {t.control}
              </th>
              <th scope="col" className="num">
                {t.uplift}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((u) => (
              <tr key={u.campaign} data-uplift={u.campaign}>
                <th scope="row">{u.campaign}</th>
                <td className="num">{u.controlPercent} %</td>
                <td className="num">
                  {t.conversionsOf(u.treated.conversions, u.treated.contacts)}: {pct(u.treated.rate)}
                  {interval(u.treated.ci95)}
                </td>
                <td className="num">
                  {t.conversionsOf(u.control.conversions, u.control.contacts)}: {pct(u.control.rate)}
                  {interval(u.control.ci95)}
                </td>
                <td className="num" data-field="uplift">
                  {u.uplift === null ? t.upliftNotYet : `${pct(u.uplift.difference)}${interval(u.uplift.ci95)}${u.uplift.significant ? ` ${t.significant}` : ''}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
