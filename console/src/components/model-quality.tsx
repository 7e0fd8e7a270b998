import { useEffect, useRef, useState } from 'react';
import { drawChart } from './draw-chart';
import type { Schemas } from '../api/client';
import { problemText } from '../api/client';
import { useTexts } from '../i18n/texts';
import { useSession } from '../session-context';
import { ProblemAlert } from './problem-alert';

type ModelDay = Schemas['ModelHistory']['days'][number];

const fixed = (x: number | null): string => (x === null ? '—' : x.toFixed(3));
const pct = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);

/**
 * Each offer model's quality over the days asked (GET /v1/models/{offer}/history): a line chart
 * of the day's AUC, the running AUC and the two arms' response rates, and the same figures in a
 * table. The offer is chosen among the models GET /v1/models lists.
 */
export function ModelQuality({ from, to }: { from: string; to: string }) {
  const t = useTexts();
  const { api, may } = useSession();
  const [offers, setOffers] = useState<string[] | undefined>();
  const [offer, setOffer] = useState('');
  const [days, setDays] = useState<ModelDay[] | undefined>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (!may('listModels')) return undefined;
    let live = true;
    setError(undefined);
    void api.GET('/v1/models').then((r) => {
      if (!live) return;
      if (r.error !== undefined) setError(problemText(r.error));
      else {
        // the models that learnt something first
        const list = [...r.data.models].sort((a, b) => b.examples - a.examples || a.offer.localeCompare(b.offer)).map((m) => m.offer);
        setOffers(list);
        setOffer((cur) => (cur === '' ? (list[0] ?? '') : cur));
      }
    }, (e: unknown) => live && setError(problemText(e)));
    return () => {
      live = false;
    };
  }, [api, may]);

  useEffect(() => {
    if (offer === '') return undefined;
    let live = true;
    setDays(undefined);
    void api.GET('/v1/models/{offer}/history', { params: { path: { offer }, query: { from, to } } }).then((r) => {
      if (!live) return;
      if (r.error !== undefined) setError(problemText(r.error));
      else setDays(r.data.days);
    }, (e: unknown) => live && setError(problemText(e)));
    return () => {
      live = false;
    };
  }, [api, offer, from, to]);

  const caption = t.modelCaption(offer, from, to);
  return (
    <section aria-labelledby="models-title" data-state={error !== undefined || (offers !== undefined && (offer === '' || days !== undefined)) ? 'ready' : 'loading'}>
      <h2 id="models-title">{t.modelsTitle}</h2>
      <p className="muted">{t.modelsNote}</p>
      <ProblemAlert message={error} />
      {offers !== undefined && offers.length === 0 && <p>{t.noModels}</p>}
      {offers !== undefined && offers.length > 0 && (
        <form className="inline-form" onSubmit={(e) => e.preventDefault()}>
          <label htmlFor="model-offer">{t.modelOffer}</label>
          <select id="model-offer" value={offer} onChange={(e) => setOffer(e.target.value)}>
            {offers.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </form>
      )}
      {days !== undefined && days.length === 0 && <p>{t.noModelDays}</p>}
      {days !== undefined && days.length > 0 && (
        <>
          <ModelChart title={caption} days={days} />
          <table className="data" data-model={offer}>
            <caption>{caption}</caption>
            <thead>
              <tr>
                <th scope="col">{t.day}</th>
                <th scope="col" className="num">{t.examples}</th>
                <th scope="col" className="num">{t.positives}</th>
                <th scope="col" className="num">{t.dayAuc}</th>
                <th scope="col" className="num">{t.runningAuc}</th>
                <th scope="col" className="num">{t.modelArmRate}</th>
                <th scope="col" className="num">{t.randomArmRate}</th>
                <th scope="col" className="num">{t.lift}</th>
              </tr>
            </thead>
            <tbody>
              {days.map((d) => (
                <tr key={d.day} data-day={d.day}>
                  <th scope="row">{d.day}</th>
                  <td className="num" data-field="examples">{d.examples}</td>
                  <td className="num" data-field="positives">{d.positives}</td>
                  <td className="num" data-field="auc">{fixed(d.auc)}</td>
                  <td className="num" data-field="runningAuc">{fixed(d.runningAuc)}</td>
                  <td className="num" data-field="modelRate">{pct(d.arms.model.rate)}</td>
                  <td className="num" data-field="randomRate">{pct(d.arms.random.rate)}</td>
                  <td className="num">{d.lift === null ? '—' : d.lift.toFixed(2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function ModelChart({ title, days }: { title: string; days: readonly ModelDay[] }) {
  const t = useTexts();
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (canvas.current === null) return undefined;
    const line = (label: string, data: Array<number | null>, colour: string, dash?: number[]) => ({ label, data, borderColor: colour, backgroundColor: colour, spanGaps: true, ...(dash === undefined ? {} : { borderDash: dash }) });
    return drawChart(canvas.current, {
      type: 'line',
      data: {
        labels: days.map((d) => d.day),
        datasets: [
          line(t.dayAuc, days.map((d) => d.auc), '#2f5d9e'),
          line(t.runningAuc, days.map((d) => d.runningAuc), '#2f5d9e', [6, 4]),
          line(t.modelArmRate, days.map((d) => d.arms.model.rate), '#3b8f5a'),
          line(t.randomArmRate, days.map((d) => d.arms.random.rate), '#c27c0e'),
        ],
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { min: 0, max: 1 } } },
    });
  }, [days, t]);
  return (
    <figure className="funnel">
      <figcaption>{title}</figcaption>
      <div className="results-canvas">
        <canvas ref={canvas} role="img" aria-label={`${title}: ${t.modelChartNote}`} />
      </div>
    </figure>
  );
}
