import { useEffect, useMemo, useRef, useState } from 'react';
import { drawChart, preloadCharts } from '../components/draw-chart';
import type { FunnelRow } from '../api/client';
import { problemText } from '../api/client';
import { NotAllowed } from '../components/not-allowed';
import { ProblemAlert } from '../components/problem-alert';
import { ModelQuality } from '../components/model-quality';
import { UpliftTable } from '../components/uplift-table';
import type { FunnelTotals } from '../funnel';
import { FUNNEL_STAGES, emptyTotals } from '../funnel';
import { label, useTexts } from '../i18n/texts';
import { useSession } from '../session-context';

export const RESULT_DIMENSIONS = ['campaign', 'channel', 'offer', 'group', 'segment', 'run'] as const;
export type ResultDimension = (typeof RESULT_DIMENSIONS)[number];

/** The stages the chart draws (triggered is in the table: it dwarfs the rest). */
const CHART_STAGES = ['offered', 'delivered', 'answered', 'converted'] as const;
const COLOURS: Readonly<Record<(typeof CHART_STAGES)[number], string>> = { offered: '#2f5d9e', delivered: '#3b8f5a', answered: '#c27c0e', converted: '#8e3b8f' };

/** A day (YYYY-MM-DD) moved by whole days. */
function shiftDay(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + days)).toISOString().slice(0, 10);
}

/** One row of the results: a campaign's (by campaign), or a campaign's value of the dimension (its channel, offer, group, segment or run). */
interface ResultRow {
  /** the campaign, by any dimension but the campaign */
  campaign?: string;
  /** the dimension's value (`-` for none: a row of a campaign without groups, the events' decisions by run) */
  key: string;
  totals: FunnelTotals;
}

/**
 * The report's rows summed by the campaign, or by campaign and one other dimension, as the API and its CSV give them: a group,
 * a segment or a run's `-` is a campaign's own (another campaign's group of the same name is another row), never summed across campaigns.
 */
function totalsBy(rows: readonly FunnelRow[], dim: ResultDimension): ResultRow[] {
  const out = new Map<string, ResultRow>();
  for (const r of rows) {
    const key = r[dim] ?? '-';
    const campaign = dim === 'campaign' ? undefined : r.campaign;
    const id = JSON.stringify([campaign ?? '', key]);
    const row = out.get(id) ?? { ...(campaign === undefined ? {} : { campaign }), key, totals: emptyTotals() };
    for (const s of FUNNEL_STAGES) row.totals[s] += r[s];
    out.set(id, row);
  }
  return [...out.values()].sort((a, b) => (a.campaign ?? '').localeCompare(b.campaign ?? '') || a.key.localeCompare(b.key));
}

/** A row's name in the chart: the campaign's value of the dimension, or the campaign. */
const rowName = (r: ResultRow): string => (r.campaign === undefined ? r.key : `${r.campaign}: ${r.key}`);

const rate = (n: number, of: number): string => (of === 0 ? '—' : `${((100 * n) / of).toFixed(1)} %`);

/**
 * Results: the campaign funnel over a range of days, by campaign, channel, offer or target
 * group, as a chart and a table, and the same report as CSV (the API's own file); below, the
 * uplift against the control group of each campaign that has one or a goal.
 */
/** The report asked: its days and breakdown. */
interface Asked {
  from: string;
  to: string;
  dim: ResultDimension;
}

/** The report the address asks for (`?from=YYYY-MM-DD&to=…&by=…`), the defaults for what it lacks or gets wrong: the last seven days by campaign. */
function askedIn(search: string, today: string): Asked {
  const q = new URLSearchParams(search);
  const day = (v: string | null): string | undefined => (v !== null && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined);
  const by = q.get('by');
  return {
    from: day(q.get('from')) ?? shiftDay(today, -6),
    to: day(q.get('to')) ?? today,
    dim: (RESULT_DIMENSIONS as readonly string[]).includes(by ?? '') ? (by as ResultDimension) : 'campaign',
  };
}

export function ResultsPage() {
  const t = useTexts();
  const dims = { ...t.dimensions, ...t.resultsDims };
  const { api, who, may } = useSession();
  // (the report asked is kept in the address: Back, Forward, a reload or a link shows it again)
  const [first] = useState(() => askedIn(window.location.search, who.today));
  const [from, setFrom] = useState(first.from);
  const [to, setTo] = useState(first.to);
  const [dim, setDim] = useState<ResultDimension>(first.dim);
  const [asked, setAsked] = useState<Asked>(first);
  useEffect(() => {
    const onMove = (): void => {
      const a = askedIn(window.location.search, who.today);
      setFrom(a.from);
      setTo(a.to);
      setDim(a.dim);
      setAsked((was) => (was.from === a.from && was.to === a.to && was.dim === a.dim ? was : a));
    };
    window.addEventListener('popstate', onMove);
    return () => window.removeEventListener('popstate', onMove);
  }, [who.today]);
  const [rows, setRows] = useState<FunnelRow[] | undefined>();
  const [error, setError] = useState<string>();
  const allowed = may('getFunnel');
  useEffect(preloadCharts, []);

  const query = useMemo(() => ({ from: asked.from, to: asked.to, by: asked.dim }), [asked]);

  useEffect(() => {
    if (!allowed) return undefined;
    let live = true;
    setRows(undefined);
    setError(undefined);
    void api.GET('/v1/reports/funnel', { params: { query: { ...query, format: 'json' } } }).then((r) => {
      if (!live) return;
      if (r.error !== undefined) setError(problemText(r.error));
      else if (typeof r.data !== 'string') setRows(r.data.rows);
    }, (e: unknown) => live && setError(problemText(e)));
    return () => {
      live = false;
    };
  }, [api, query, allowed]);

  const totals = useMemo(() => (rows === undefined ? undefined : totalsBy(rows, asked.dim)), [rows, asked.dim]);

  const downloadCsv = async (): Promise<void> => {
    const r = await api.GET('/v1/reports/funnel', { params: { query: { ...query, format: 'csv' } }, parseAs: 'text' });
    if (r.error !== undefined) {
      setError(problemText(r.error));
      return;
    }
    const url = URL.createObjectURL(new Blob([String(r.data)], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `kairos-funnel-from-${asked.from}-to-${asked.to}.csv`;
    a.click();
    URL.revokeObjectURL(url);
  };

  if (!allowed) return <NotAllowed title={t.resultsTitle} />;
  return (
    <section aria-labelledby="results-title" data-state={totals === undefined && error === undefined ? 'loading' : 'ready'}>
      <h1 id="results-title">{t.resultsTitle}</h1>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked({ from, to, dim });
          const search = `?${new URLSearchParams({ from, to, by: dim }).toString()}`;
          if (window.location.search !== search) window.history.pushState(null, '', `${window.location.pathname}${search}`);
        }}
      >
        <label htmlFor="results-from">{t.from}</label>
        <input id="results-from" type="date" value={from} max={to} onChange={(e) => setFrom(e.target.value)} required />
        <label htmlFor="results-to">{t.to}</label>
        <input id="results-to" type="date" value={to} min={from} onChange={(e) => setTo(e.target.value)} required />
        <label htmlFor="results-by">{t.breakdown}</label>
        <select id="results-by" value={dim} onChange={(e) => setDim(e.target.value as ResultDimension)}>
          {RESULT_DIMENSIONS.map((d) => (
            <option key={d} value={d}>
              {label(dims, d)}
            </option>
          ))}
        </select>
        <button type="submit">{t.show}</button>
        <button type="button" onClick={() => void downloadCsv()}>
          {t.downloadCsv}
        </button>
      </form>
      <ProblemAlert message={error} />
      {asked.dim === 'segment' && <p className="muted">{t.segmentNote}</p>}
      {totals === undefined && error === undefined && <p>{t.loading}</p>}
      {totals !== undefined && totals.length === 0 && <p>{t.noResults}</p>}
      {totals !== undefined && totals.length > 0 && (
        <>
          <ResultsChart title={t.resultsCaption(asked.from, asked.to, label(dims, asked.dim))} totals={totals} />
          <table className="data">
            <caption>{t.resultsCaption(asked.from, asked.to, label(dims, asked.dim))}</caption>
            <thead>
              <tr>
                {asked.dim !== 'campaign' && <th scope="col">{t.campaign}</th>}
                <th scope="col">{label(dims, asked.dim)}</th>
                {FUNNEL_STAGES.map((s) => (
                  <th scope="col" className="num" key={s}>
                    {label(t.stages, s)}
                  </th>
                ))}
                <th scope="col" className="num">
                  {t.responseRate}
                </th>
                <th scope="col" className="num">
                  {t.conversionRate}
                </th>
              </tr>
            </thead>
            <tbody>
              {totals.map(({ campaign, key, totals: v }) => (
                <tr key={JSON.stringify([campaign, key])} data-result={key} data-campaign={campaign}>
                  {campaign !== undefined && <th scope="row">{campaign}</th>}
                  {campaign === undefined ? <th scope="row">{key}</th> : <td>{key}</td>}
                  {FUNNEL_STAGES.map((s) => (
                    <td className="num" key={s}>
                      {v[s]}
                    </td>
                  ))}
                  <td className="num">{rate(v.answered, v.offered)}</td>
                  <td className="num">{rate(v.converted, v.offered)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {may('listUplifts') && <UpliftTable from={asked.from} to={asked.to} />}
      {may('getModelHistory') && <ModelQuality from={asked.from} to={asked.to} />}
    </section>
  );
}

function ResultsChart({ title, totals }: { title: string; totals: ResultRow[] }) {
  const t = useTexts();
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (canvas.current === null) return undefined;
    return drawChart(canvas.current, {
      type: 'bar',
      data: {
        labels: totals.map(rowName),
        datasets: CHART_STAGES.map((s) => ({ label: label(t.stages, s), data: totals.map((r) => r.totals[s]), backgroundColor: COLOURS[s] })),
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }, [totals, t]);
  return (
    <figure className="funnel">
      <figcaption>{title}</figcaption>
      <div className="results-canvas">
        <canvas ref={canvas} role="img" aria-label={`${title}: ${t.resultsChartNote}`} />
      </div>
    </figure>
  );
}
