import { useEffect, useRef, useState } from 'react';
import type { Schemas } from '../api/client';
import { problemText } from '../api/client';
import { useTexts } from '../i18n/texts';
import type { Rule } from '../rule';
import { ruleInWords } from '../rule-words';
import { useSession } from '../session-context';
import { ProblemAlert } from './problem-alert';

type CountJob = Schemas['DraftCount'];

/** How often a running count is read again. */
const POLL_MS = 250;

/**
 * **Посчитать**: a draft rule counted over every stored customer before it is saved
 * (`POST /v1/segments/count`, then `GET /v1/segment-counts/{job}` until it is done), with its
 * progress and a button that stops it (`DELETE`); a rule the API refuses shows its message.
 * A count still running when the page is left is stopped.
 */
export function DraftCount({ rule }: { rule: Rule | undefined }) {
  const t = useTexts();
  const { api } = useSession();
  const [job, setJob] = useState<CountJob>();
  const [counted, setCounted] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const running = useRef<string | undefined>(undefined);

  useEffect(() => {
    if (job?.state !== 'running') {
      running.current = undefined;
      return undefined;
    }
    running.current = job.job;
    let live = true;
    const timer = setTimeout(() => {
      void api.GET('/v1/segment-counts/{job}', { params: { path: { job: job.job } } }).then((r) => {
        if (!live) return;
        if (r.error !== undefined) setError(problemText(r.error));
        else setJob(r.data);
      });
    }, POLL_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, job]);

  // Leaving the page stops a count still running (it would scan the base for no one).
  useEffect(
    () => () => {
      const id = running.current;
      if (id !== undefined) void api.DELETE('/v1/segment-counts/{job}', { params: { path: { job: id } } });
    },
    [api],
  );

  const start = async (): Promise<void> => {
    if (rule === undefined) return;
    setBusy(true);
    setError(undefined);
    try {
      if (running.current !== undefined) await api.DELETE('/v1/segment-counts/{job}', { params: { path: { job: running.current } } });
      const r = await api.POST('/v1/segments/count', { body: { rule } });
      if (r.error !== undefined) {
        setJob(undefined);
        setError(problemText(r.error));
        return;
      }
      setCounted(ruleInWords(t, rule));
      setJob(r.data);
    } finally {
      setBusy(false);
    }
  };

  const cancel = async (): Promise<void> => {
    if (job === undefined) return;
    const r = await api.DELETE('/v1/segment-counts/{job}', { params: { path: { job: job.job } } });
    if (r.error !== undefined) setError(problemText(r.error));
    else setJob(r.data);
  };

  const isRunning = job?.state === 'running';
  return (
    <div className="draft-count">
      <div className="actions">
        <button type="button" disabled={busy || isRunning || rule === undefined} onClick={() => void start()}>
          {t.countDraft}
        </button>
        {isRunning && (
          <button type="button" className="secondary" onClick={() => void cancel()}>
            {t.countCancel}
          </button>
        )}
      </div>
      {rule === undefined && <p className="muted">{t.countNeedsRule}</p>}
      <ProblemAlert message={error} />
      {job !== undefined && (
        <div role="status" data-field="draft-count" data-state={job.state} data-matched={job.matched}>
          {isRunning && <progress aria-label={t.countProgress} />}{' '}
          {job.state === 'running' && t.countRunning(job.scanned, job.matched)}
          {job.state === 'done' && <strong>{t.countDone(job.matched, job.scanned)}</strong>}
          {job.state === 'cancelled' && t.countCancelled(job.scanned, job.matched)}
          {job.state === 'failed' && `${t.countFailed}: ${job.error ?? ''}`}
          {counted !== undefined && <div className="muted">{t.countOfRule(counted)}</div>}
        </div>
      )}
    </div>
  );
}
