import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Campaign, FunnelRow } from '../api/client';
import { problemText, readCampaign, unanswered } from '../api/client';
import { FunnelChart } from '../components/funnel-chart';
import { Link } from '../components/link';
import { NotAllowed } from '../components/not-allowed';
import { ProblemAlert } from '../components/problem-alert';
import { FUNNEL_STAGES, emptyTotals, funnelRows, totalsByCampaign } from '../funnel';
import { label, useTexts } from '../i18n/texts';
import { useSession } from '../session-context';

type Status = Campaign['status'];

/**
 * One campaign, read only: its definition in a marketer's terms and today's funnel; a key
 * whose role may move campaigns (moveCampaign) activates or pauses it, and a refusal shows
 * the API's own message. Another role sees no such control.
 */
export function CampaignPage({ id }: { id: string }) {
  const t = useTexts();
  const { api, who, may } = useSession();
  const [campaign, setCampaign] = useState<Campaign | undefined>();
  const [rows, setRows] = useState<FunnelRow[] | undefined>();
  const [error, setError] = useState<string>();
  const [refusal, setRefusal] = useState<string>();
  const [saved, setSaved] = useState<string>();
  /** a move the server did not answer (its connection dropped): not made, said so */
  const [notDone, setNotDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const readsCatalog = may('getCampaign');
  const canMove = may('moveCampaign');

  const load = useCallback(async () => {
    // The funnel and the definition at once.
    const [funnel, def] = await Promise.all([funnelRows(api, { campaign: id, from: who.today, to: who.today }), readsCatalog ? readCampaign(api, id) : Promise.resolve(undefined)]);
    if (def !== undefined) setCampaign(def);
    setRows(funnel);
  }, [api, id, who.today, readsCatalog]);

  const allowed = may('getFunnel');
  useEffect(() => {
    if (allowed) load().catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [load, allowed]);

  const move = async (status: Status): Promise<void> => {
    setBusy(true);
    setRefusal(undefined);
    setSaved(undefined);
    setNotDone(undefined);
    try {
      const r = await api.POST('/v1/campaigns/{id}/status', { params: { path: { id } }, body: { status } });
      if (r.error !== undefined) {
        (unanswered(r.error) ? setNotDone : setRefusal)(problemText(r.error));
        return;
      }
      setSaved(t.saved(label(t.statuses, r.data.to)));
      await load().catch((e: unknown) => setError(problemText(e)));
    } catch (e) {
      setNotDone(problemText(e));
    } finally {
      setBusy(false);
    }
  };

  const stages = useMemo(() => {
    const totals = rows === undefined ? emptyTotals() : (totalsByCampaign(rows).get(id) ?? emptyTotals());
    return FUNNEL_STAGES.map((s) => ({ label: label(t.stages, s), value: totals[s] }));
  }, [rows, id, t]);

  const ready = rows !== undefined && (!readsCatalog || campaign !== undefined);
  if (!allowed) return <NotAllowed title={id} />;
  return (
    <section aria-labelledby="campaign-title" data-state={ready ? 'ready' : 'loading'}>
      <p>
        <Link to={{ page: 'campaigns' }}>{t.backToCampaigns}</Link>
      </p>
      <h1 id="campaign-title">{campaign?.name ?? id}</h1>
      <ProblemAlert message={error} />
      {!ready && error === undefined && <p>{t.loading}</p>}
      {ready && (
        <>
          {campaign === undefined ? (
            <p className="muted">{t.definitionHidden}</p>
          ) : (
            <CampaignFacts campaign={campaign} />
          )}
          {campaign !== undefined &&
            (canMove ? (
              <div className="actions">
                {may('putCampaign') && <Link to={{ page: 'campaign-edit', id }}>{t.editCampaign}</Link>}
                {campaign.status !== 'active' && (
                  <button type="button" disabled={busy} onClick={() => void move('active')}>
                    {t.activate}
                  </button>
                )}
                {campaign.status === 'active' && (
                  <button type="button" disabled={busy} onClick={() => void move('paused')}>
                    {t.pause}
                  </button>
                )}
              </div>
            ) : (
              <p className="muted">{t.readOnlyNote}</p>
            ))}
          <ProblemAlert title={t.refused} message={refusal} />
          <ProblemAlert title={t.notDone} message={notDone} />
          {saved !== undefined && (
            <p role="status" className="saved">
              {saved}
            </p>
          )}
          <FunnelChart title={t.campaignsToday(who.today)} stages={stages} />
        </>
      )}
    </section>
  );
}

function CampaignFacts({ campaign: c }: { campaign: Campaign }) {
  const t = useTexts();
  return (
    <section aria-labelledby="definition-title">
      <h2 id="definition-title">{t.definition}</h2>
      <dl className="facts">
        <dt>{t.status}</dt>
        <dd data-field="status">{label(t.statuses, c.status)}</dd>
        <dt>{t.kind}</dt>
        <dd>{c.outbound === undefined ? t.kindEvent : t.kindOutbound}</dd>
        {c.trigger?.events !== undefined && (
          <>
            <dt>{t.trigger}</dt>
            <dd>{c.trigger.events.join(', ')}</dd>
          </>
        )}
        <dt>{t.offer}</dt>
        <dd>{c.offer}</dd>
        <dt>{t.channels}</dt>
        <dd>{c.channels.join(', ')}</dd>
        <dt>{t.priority}</dt>
        <dd>{c.priority ?? 1}</dd>
        <dt>{t.groups}</dt>
        <dd>
          <ul>
            {c.groups.map((g) => (
              <li key={g.id}>{t.groupLine(g.name ?? g.id, `${g.responsePercent} %`)}</li>
            ))}
          </ul>
        </dd>
        {c.controlPercent !== undefined && (
          <>
            <dt>{t.controlPercent}</dt>
            <dd>{c.controlPercent} %</dd>
          </>
        )}
      </dl>
      <details>
        <summary>{t.fullDefinition}</summary>
        <pre>{JSON.stringify(c, null, 2)}</pre>
      </details>
    </section>
  );
}
