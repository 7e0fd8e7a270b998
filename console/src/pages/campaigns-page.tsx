import { useEffect, useState } from 'react';
import type { Schemas } from '../api/client';
import { problemText } from '../api/client';
import { Link } from '../components/link';
import { NotAllowed } from '../components/not-allowed';
import { ProblemAlert } from '../components/problem-alert';
import type { FunnelTotals } from '../funnel';
import { FUNNEL_STAGES, emptyTotals, funnelRows, totalsByCampaign } from '../funnel';
import { label, useTexts } from '../i18n/texts';
import { useSession } from '../session-context';

interface Row {
  id: string;
  name?: string;
  status?: Schemas['Campaign']['status'];
  today: FunnelTotals;
}

/**
 * Campaigns: each with its status and today's funnel. A marketer's key reads the catalog
 * (names, statuses); an analyst's reads the campaigns from the uplift report, without the
 * catalog's definitions.
 */
export function CampaignsPage() {
  const t = useTexts();
  const { api, who, may } = useSession();
  const [rows, setRows] = useState<Row[] | undefined>();
  const [error, setError] = useState<string>();

  const allowed = may('getFunnel');
  useEffect(() => {
    if (!allowed) return undefined;
    let live = true;
    void (async () => {
      // The funnel and the list at once: the page waits for the slower, not for both in turn.
      const campaignList = async (): Promise<Array<{ id: string; name?: string; status?: Row['status'] }>> => {
        if (may('listCampaigns')) {
          const campaigns = await api.GET('/v1/campaigns');
          if (campaigns.error !== undefined) throw new Error(problemText(campaigns.error));
          return campaigns.data.items.map((c) => ({ id: c.id ?? '', name: c.name, status: c.status }));
        }
        const uplift = await api.GET('/v1/reports/uplift');
        if (uplift.error !== undefined) throw new Error(problemText(uplift.error));
        return uplift.data.campaigns.map((c) => ({ id: c.campaign }));
      };
      const [rowsToday, campaigns] = await Promise.all([funnelRows(api, { from: who.today, to: who.today }), campaignList()]);
      const today = totalsByCampaign(rowsToday);
      const withToday: Row[] = campaigns.map((c) => ({ ...c, today: today.get(c.id) ?? emptyTotals() }));
      if (live) setRows(withToday);
    })().catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [api, who.today, may, allowed]);

  if (!allowed) return <NotAllowed title={t.campaignsTitle} />;
  return (
    <section aria-labelledby="campaigns-title" data-state={rows === undefined ? 'loading' : 'ready'}>
      <h1 id="campaigns-title">{t.campaignsTitle}</h1>
      {may('putCampaign') && may('listOffers') && (
        <p className="actions">
          <Link to={{ page: 'campaign-new' }}>{t.createCampaign}</Link>
        </p>
      )}
      <ProblemAlert message={error} />
      {rows === undefined && error === undefined && <p>{t.loading}</p>}
      {rows !== undefined && rows.length === 0 && <p>{t.noCampaigns}</p>}
      {rows !== undefined && rows.length > 0 && (
        <table className="data">
          <caption>{t.campaignsToday(who.today)}</caption>
          <thead>
            <tr>
              <th scope="col">{t.campaign}</th>
              <th scope="col">{t.status}</th>
              {FUNNEL_STAGES.map((s) => (
                <th scope="col" key={s} className="num">
                  {label(t.stages, s)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-campaign={r.id}>
                <th scope="row">
                  <Link to={{ page: 'campaign', id: r.id }}>{r.name ?? r.id}</Link>
                  {r.name !== undefined && <div className="muted">{r.id}</div>}
                </th>
                <td data-field="status">{r.status === undefined ? t.statusUnknown : label(t.statuses, r.status)}</td>
                {FUNNEL_STAGES.map((s) => (
                  <td key={s} className="num">
                    {r.today[s]}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
