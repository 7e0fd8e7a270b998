import { useEffect, useState } from 'react';
import type { Api, Schemas } from '../api/client';
import { problemText } from '../api/client';
import { label, useTexts } from '../i18n/texts';
import { outcomeRowsOf, preloadOutcomesParser } from '../outcomes-csv';
import { ProblemAlert } from './problem-alert';

/** The outcomes an operator records for a call (the API also takes `later` and `dismissed`, src/outcome-rows.ts `CALL_OUTCOMES`: the dialer's file may carry them). */
export const CALL_OUTCOMES = ['interested', 'callback', 'no_answer', 'accepted', 'declined'] as const;

type Call = Schemas['WaveCall'];

/**
 * One call's outcome, entered by hand: a select, a call-back time with `callback`, and Save
 * (POST /v1/runs/{id}/outcomes, one row naming the call's instance and customer). `onSaved`
 * reads the list again.
 */
export function OutcomeEntry({ api, run, call, onSaved }: { api: Api; run: string; call: Call; onSaved: (message: string) => void }) {
  const t = useTexts();
  const [outcome, setOutcome] = useState('');
  const [callbackAt, setCallbackAt] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const id = `outcome-${call.rank}`;
  const save = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      // a datetime-local has no offset: read in the browser's zone, sent as epoch ms
      const back = outcome === 'callback' && callbackAt !== '' ? { callbackAt: new Date(callbackAt).getTime() } : {};
      const row = { customer: call.customer, ...(call.instance === undefined ? {} : { instance: call.instance }), outcome, ...back };
      const r = await api.POST('/v1/runs/{id}/outcomes', { params: { path: { id: run } }, body: { outcomes: [row] } });
      if (r.error !== undefined) setError(problemText(r.error));
      else if (r.data.rejected.length > 0) setError(r.data.rejected.map((x) => x.reason).join('; '));
      else {
        setOutcome('');
        setCallbackAt('');
        onSaved(r.data.duplicates > 0 ? t.outcomeDuplicate(call.customer) : t.outcomeSaved(call.customer));
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="inline-form"
      data-outcome-for={call.customer}
      onSubmit={(e) => {
        e.preventDefault();
        if (outcome !== '') void save();
      }}
    >
      <select id={id} aria-label={t.outcomeFor(call.customer)} value={outcome} onChange={(e) => setOutcome(e.target.value)}>
        <option value="">{t.chooseOutcome}</option>
        {CALL_OUTCOMES.map((o) => (
          <option key={o} value={o}>
            {label(t.callOutcomes, o)}
          </option>
        ))}
      </select>
      {outcome === 'callback' && <input type="datetime-local" aria-label={t.callbackTimeFor(call.customer)} value={callbackAt} onChange={(e) => setCallbackAt(e.target.value)} required />}
      <button type="submit" disabled={busy || outcome === ''}>
        {t.save}
      </button>
      <ProblemAlert title={t.refused} message={error} />
    </form>
  );
}

/**
 * The dialer's outcomes file, uploaded: read in the browser (outcomes-csv.ts), sent a thousand
 * rows a call to POST /v1/runs/{id}/outcomes, and each rejected row named by its line in the file.
 */
export function OutcomesUpload({ api, run, onDone }: { api: Api; run: string; onDone: () => void }) {
  const t = useTexts();
  const [result, setResult] = useState<{ rows: number; recorded: number; duplicates: number; rejected: Array<{ line: number; reason: string }> }>();
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(preloadOutcomesParser, []);
  const upload = async (file: File): Promise<void> => {
    setBusy(true);
    setResult(undefined);
    setProblem(undefined);
    try {
      const rows = await outcomeRowsOf(await file.text());
      if (!Array.isArray(rows)) {
        setProblem(rows.problem);
        return;
      }
      const out = { rows: rows.length, recorded: 0, duplicates: 0, rejected: [] as Array<{ line: number; reason: string }> };
      // a row the server would refuse is named by its line and not sent (it would refuse its whole call)
      for (const r of rows) if (r.problem !== undefined) out.rejected.push({ line: r.line, reason: r.problem });
      const sendable = rows.filter((r) => r.problem === undefined);
      for (let i = 0; i < sendable.length; i += 1000) {
        const batch = sendable.slice(i, i + 1000);
        const r = await api.POST('/v1/runs/{id}/outcomes', { params: { path: { id: run } }, body: { outcomes: batch.map((b) => b.row) } });
        if (r.error !== undefined) {
          setProblem(problemText(r.error));
          return;
        }
        out.recorded += r.data.recorded;
        out.duplicates += r.data.duplicates;
        for (const x of r.data.rejected) out.rejected.push({ line: batch[x.row - 1]?.line ?? 0, reason: x.reason });
      }
      setResult(out);
      onDone();
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="outcomes-upload" data-state={busy ? 'loading' : 'ready'}>
      <label htmlFor="outcomes-file">{t.uploadOutcomes}</label>
      <input
        id="outcomes-file"
        type="file"
        accept=".csv,text/csv"
        disabled={busy}
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file !== undefined) void upload(file);
        }}
      />
      <p className="muted">{t.uploadNote}</p>
      <ProblemAlert title={t.badFile} message={problem} />
      {result !== undefined && (
        <div role="status" data-upload-result>
          <p>{t.uploadResult(result.rows, result.recorded, result.duplicates, result.rejected.length)}</p>
          {result.rejected.length > 0 && (
            <>
              <h3>{t.rejectedTitle}</h3>
              <ul>
                {result.rejected.map((x) => (
                  <li key={`${x.line}-${x.reason}`} data-rejected-line={x.line}>
                    {t.rejectedLine(x.line, x.reason)}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </div>
  );
}
