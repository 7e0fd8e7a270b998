import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'react';
import { useTexts } from '../i18n/texts';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

export interface FunnelStage {
  label: string;
  value: number;
}

/** A funnel as horizontal bars (Chart.js, no animation), with the same figures as a table for screen readers and copying. */
export function FunnelChart({ title, stages }: { title: string; stages: readonly FunnelStage[] }) {
  const t = useTexts();
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (canvas.current === null) return undefined;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: { labels: stages.map((s) => s.label), datasets: [{ label: title, data: stages.map((s) => s.value), backgroundColor: '#2f5d9e' }] },
      options: {
        indexAxis: 'y',
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { tooltip: { enabled: true } },
      },
    });
    return () => chart.destroy();
  }, [title, stages]);
  return (
    <figure className="funnel">
      <figcaption>{title}</figcaption>
      <div className="funnel-canvas">
        <canvas ref={canvas} role="img" aria-label={`${title}: ${stages.map((s) => `${s.label} ${s.value}`).join(', ')}`} />
      </div>
      <table className="funnel-table">
        <caption className="visually-hidden">{t.funnelTable}</caption>
        <thead>
          <tr>
            {stages.map((s) => (
              <th key={s.label} scope="col">
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            {stages.map((s) => (
              <td key={s.label}>{s.value}</td>
            ))}
          </tr>
        </tbody>
      </table>
    </figure>
  );
}
