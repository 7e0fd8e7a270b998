import { useTexts } from '../i18n/texts';

export interface FunnelStage {
  label: string;
  value: number;
}

/**
 * A funnel as horizontal bars drawn by the page's own markup (no chart library: the campaign
 * page shows it at once, with no script to fetch or warm up), with the same figures as a table
 * for screen readers and copying; the bars are hidden from assistive technology, the table says it all.
 */
export function FunnelChart({ title, stages }: { title: string; stages: readonly FunnelStage[] }) {
  const t = useTexts();
  const top = Math.max(1, ...stages.map((s) => s.value));
  return (
    <figure className="funnel">
      <figcaption>{title}</figcaption>
      <div className="funnel-bars" aria-hidden="true">
        {stages.map((s) => (
          <div key={s.label} className="funnel-bar-row">
            <span className="funnel-bar-label">{s.label}</span>
            <span className="funnel-bar-track">
              <span className="funnel-bar" style={{ width: `${(100 * s.value) / top}%` }} />
            </span>
            <span className="funnel-bar-value">{s.value}</span>
          </div>
        ))}
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
