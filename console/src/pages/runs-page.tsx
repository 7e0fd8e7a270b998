import { useCallback, useEffect, useState } from 'react';
import type { OutboundRun, Schemas } from '../api/client';
import { problemText, unanswered } from '../api/client';
import { NotAllowed } from '../components/not-allowed';
import { ProblemAlert } from '../components/problem-alert';
import { OutcomeEntry, OutcomesUpload } from '../components/wave-outcomes';
import { label, useTexts } from '../i18n/texts';
import { useSession } from '../session-context';
import { useWhen } from '../times';

/** How often the list is read again while a run is open. */
const POLL_MS = 1500;

/** A wave's call list as the API gives it (GET /v1/runs/{id}/calls). */
interface CallList {
  run: string;
  wave: number;
  calls: Array<Schemas['WaveCall']>;
}

// (decided = offered + control + suppressed + waiting: each customer decided counts in one of them)
const RUN_STAGES = ['decided', 'offered', 'control', 'suppressed', 'waiting', 'delivered', 'answered', 'accepted'] as const;

/**
 * Outbound runs: each with its state, progress and funnel, read again while one is open; a
 * marketer's key starts a run of an outbound campaign and pauses, resumes or cancels one.
 */
export function RunsPage() {
  const t = useTexts();
  const { api, may } = useSession();
  const when = useWhen();
  const [runs, setRuns] = useState<OutboundRun[] | undefined>();
  /** the outbound campaigns one may start (undefined until read, or when they could not be) */
  const [outbound, setOutbound] = useState<Array<{ id: string; name: string }>>();
  const [chosen, setChosen] = useState('');
  const [error, setError] = useState<string>();
  const [refusal, setRefusal] = useState<string>();
  /** the run whose cancel is being confirmed (a cancel cannot be undone) */
  const [cancelling, setCancelling] = useState<string>();
  /** an action the server did not answer (its connection dropped): not made, said so */
  const [notDone, setNotDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const canStart = may('startOutboundRun');
  const canList = may('getWaveCallList');
  const [listOf, setListOf] = useState<string>();
  const [calls, setCalls] = useState<CallList>();
  const [callsError, setCallsError] = useState<string>();
  const canRecord = may('recordWaveOutcomes');
  const [savedNote, setSavedNote] = useState<string>();

  /** Reads the open call list again (after outcomes were recorded). */
  const reloadCalls = async (id: string): Promise<void> => {
    const r = await api.GET('/v1/runs/{id}/calls', { params: { path: { id } } });
    if (r.error !== undefined) setCallsError(problemText(r.error));
    else if (typeof r.data === 'object') setCalls(r.data);
  };

  const openCalls = async (id: string): Promise<void> => {
    if (listOf === id) {
      setListOf(undefined);
      return;
    }
    setListOf(id);
    setCalls(undefined);
    setCallsError(undefined);
    setSavedNote(undefined);
    const r = await api.GET('/v1/runs/{id}/calls', { params: { path: { id } } });
    if (r.error !== undefined) setCallsError(problemText(r.error));
    else if (typeof r.data === 'object') setCalls(r.data);
  };

  const downloadCalls = async (id: string): Promise<void> => {
    const r = await api.GET('/v1/runs/{id}/calls', { params: { path: { id }, query: { format: 'csv' } }, parseAs: 'text' });
    if (r.error !== undefined) {
      setCallsError(problemText(r.error));
      return;
    }
    const url = URL.createObjectURL(new Blob([String(r.data)], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `kairos-calls-${id}.csv`;
    a.click();
    URL.revokeObjectURL(url);
  };

  const load = useCallback(async () => {
    const r = await api.GET('/v1/runs');
    if (r.error !== undefined) throw new Error(problemText(r.error));
    setRuns(r.data.runs);
  }, [api]);

  const allowed = may('listOutboundRuns');
  useEffect(() => {
    if (!allowed) return;
    load().catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    if (!canStart) return;
    void api.GET('/v1/campaigns').then((r) => {
      // (not read: the error shown, never "no outbound campaigns")
      if (r.error !== undefined) return setError(problemText(r.error));
      const list = r.data.items.filter((c) => c.outbound !== undefined).map((c) => ({ id: c.id ?? '', name: c.name }));
      setOutbound(list);
      setChosen((cur) => (cur === '' ? (list[0]?.id ?? '') : cur));
    });
  }, [api, load, canStart, allowed]);

  const open = runs?.some((r) => r.state === 'running' || r.state === 'waiting') === true;
  useEffect(() => {
    if (!open) return undefined;
    // (a read that failed says so, the runs last read left as they were; the next one clears it)
    const timer = setInterval(() => void load().then(() => setError(undefined), (e: unknown) => setError(problemText(e))), POLL_MS);
    return () => clearInterval(timer);
  }, [open, load]);

  const act = async (call: () => Promise<{ error?: unknown }>): Promise<void> => {
    setBusy(true);
    setRefusal(undefined);
    setNotDone(undefined);
    try {
      const r = await call();
      if (r.error !== undefined) (unanswered(r.error) ? setNotDone : setRefusal)(problemText(r.error));
      await load().catch((e: unknown) => setError(problemText(e)));
    } catch (e) {
      setNotDone(problemText(e));
    } finally {
      setBusy(false);
    }
  };

  if (!allowed) return <NotAllowed title={t.runsTitle} />;
  return (
    <section aria-labelledby="runs-title" data-state={runs === undefined ? 'loading' : 'ready'}>
      <h1 id="runs-title">{t.runsTitle}</h1>
      <ProblemAlert message={error} />
      {canStart && (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (chosen !== '') void act(() => api.POST('/v1/campaigns/{id}/runs', { params: { path: { id: chosen } } }));
          }}
        >
          {outbound === undefined ? null : outbound.length === 0 ? (
            <p className="muted">{t.noOutboundCampaigns}</p>
          ) : (
            <>
              <label htmlFor="run-campaign">{t.startRunOf}</label>
              <select id="run-campaign" value={chosen} onChange={(e) => setChosen(e.target.value)}>
                {outbound.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name} ({c.id})
                  </option>
                ))}
              </select>
              <button type="submit" disabled={busy}>
                {t.startRun}
              </button>
            </>
          )}
        </form>
      )}
      <ProblemAlert title={t.refused} message={refusal} />
      <ProblemAlert title={t.notDone} message={notDone} />
      {runs === undefined && error === undefined && <p>{t.loading}</p>}
      {runs !== undefined && runs.length === 0 && <p>{t.noRuns}</p>}
      {runs !== undefined && runs.length > 0 && (
        <table className="data">
          <caption>{t.runsTitle}</caption>
          <thead>
            <tr>
              <th scope="col">{t.run}</th>
              <th scope="col">{t.runState}</th>
              <th scope="col">{t.progress}</th>
              {RUN_STAGES.map((s) => (
                <th scope="col" className="num" key={s}>
                  {label(t.runStages, s)}
                </th>
              ))}
              {(canStart || canList) && <th scope="col">{t.actions}</th>}
            </tr>
          </thead>
          <tbody>
            {[...runs].reverse().map((r) => (
              <tr key={r.id} data-run={r.id}>
                <th scope="row">
                  {r.campaign}
                  <div className="muted">{r.id}</div>
                  <div className="muted" data-field="started">
                    {/* a later wave waiting for its start has that start as its startedAt: not started yet */}
                    {r.state === 'waiting' && r.waitingFor === 'wave' ? t.runStartsAt : t.startedAt}: {when(r.startedAt)}
                  </div>
                </th>
                <td data-field="state">
                  <span data-field="state-label">{r.state === 'waiting' && r.waitingFor !== undefined ? label(t.runWaitingFor, r.waitingFor) : label(t.runStates, r.state)}</span>
                  {r.state === 'waiting' && r.waitingUntil !== undefined && (
                    <div className="muted" data-field="waiting-until">
                      {t.waitingUntil(when(r.waitingUntil))}
                    </div>
                  )}
                  {r.wave !== undefined && <div className="muted">{t.waveOf(r.wave.n, r.wave.count)}</div>}
                </td>
                <td>
                  <progress max={Math.max(r.total ?? r.selected, 1)} value={r.state === 'done' ? Math.max(r.total ?? r.selected, 1) : r.selected} aria-label={`${t.progress} ${r.id}`} />
                  <div>{t.progressOf(r.selected, r.total)}</div>
                </td>
                {RUN_STAGES.map((s) => (
                  <td className="num" key={s}>
                    {r.funnel[s]}
                  </td>
                ))}
                {(canStart || canList) && (
                  <td>
                    <div className="actions">
                    {canList && r.wave !== undefined && (
                      <button type="button" aria-expanded={listOf === r.id} aria-controls="calls" onClick={() => void openCalls(r.id)}>
                        {t.callList}
                      </button>
                    )}
                    {canStart && (r.state === 'running' || r.state === 'waiting') && (
                      <button type="button" disabled={busy} onClick={() => void act(() => api.POST('/v1/runs/{id}/pause', { params: { path: { id: r.id } } }))}>
                        {t.pause}
                      </button>
                    )}
                    {canStart && r.state === 'paused' && (
                      <button type="button" disabled={busy} onClick={() => void act(() => api.POST('/v1/runs/{id}/resume', { params: { path: { id: r.id } } }))}>
                        {t.resume}
                      </button>
                    )}
                    {canStart && r.state !== 'done' && r.state !== 'cancelled' && cancelling !== r.id && (
                      <button type="button" disabled={busy} onClick={() => setCancelling(r.id)}>
                        {t.cancel}
                      </button>
                    )}
                    {canStart && r.state !== 'done' && r.state !== 'cancelled' && cancelling === r.id && (
                      // (asked first, as a segment's deletion is: a cancel cannot be undone)
                      <div role="group" aria-label={t.cancel} data-confirm="cancel">
                        <p>{t.cancelRunConfirm(r.id)}</p>
                        <button
                          type="button"
                          className="danger"
                          disabled={busy}
                          onClick={() => {
                            setCancelling(undefined);
                            void act(() => api.POST('/v1/runs/{id}/cancel', { params: { path: { id: r.id } } }));
                          }}
                        >
                          {t.cancelRunYes}
                        </button>
                        <button type="button" className="secondary" onClick={() => setCancelling(undefined)}>
                          {t.cancelRunNo}
                        </button>
                      </div>
                    )}
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {listOf !== undefined && (
        <section id="calls" aria-labelledby="calls-title" data-calls={listOf}>
          <h2 id="calls-title">{t.callListOf(listOf)}</h2>
          <ProblemAlert message={callsError} />
          {calls === undefined && callsError === undefined && <p>{t.loading}</p>}
          {calls !== undefined && (
            <>
              <p className="muted">{t.callListNote}</p>
              <button type="button" onClick={() => void downloadCalls(listOf)}>
                {t.downloadCsv}
              </button>
              {canRecord && <OutcomesUpload api={api} run={listOf} onDone={() => void reloadCalls(listOf)} />}
              {savedNote !== undefined && (
                <p role="status" data-saved>
                  {savedNote}
                </p>
              )}
              {calls.calls.length === 0 ? (
                <p>{t.noCalls}</p>
              ) : (
                <table className="data">
                  <caption>{t.callListCaption(calls.wave, calls.calls.length)}</caption>
                  <thead>
                    <tr>
                      <th scope="col" className="num">{t.rank}</th>
                      <th scope="col">{t.customerId}</th>
                      <th scope="col">{t.fullName}</th>
                      <th scope="col">{t.phone}</th>
                      <th scope="col" className="num">{t.score}</th>
                      <th scope="col">{t.outcome}</th>
                      <th scope="col">{t.callbackAt}</th>
                      <th scope="col">{t.warmLead}</th>
                      {canRecord && <th scope="col">{t.recordOutcome}</th>}
                    </tr>
                  </thead>
                  <tbody>
                    {calls.calls.map((c) => (
                      <tr key={c.rank} data-call={c.customer}>
                        <td className="num">{c.rank}</td>
                        <th scope="row">{c.customer}</th>
                        <td data-field="name">{[c.lastName, c.firstName, c.patronymic].filter((x) => x !== undefined).join(' ')}</td>
                        <td data-field="phone">{c.phone ?? ''}</td>
                        <td className="num">{c.score === undefined ? '' : c.score.toFixed(2)}</td>
                        <td data-field="outcome">{c.outcome === undefined ? t.noOutcomeYet : label(t.callOutcomes, c.outcome)}</td>
                        <td>{c.callbackAt === undefined ? '' : when(c.callbackAt)}</td>
                        <td>{c.warmLead === true ? t.yes : t.no}</td>
                        {canRecord && (
                          <td>
                            <OutcomeEntry
                              api={api}
                              run={listOf}
                              call={c}
                              onSaved={(message) => {
                                setSavedNote(message);
                                void reloadCalls(listOf);
                              }}
                            />
                          </td>
                        )}
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </>
          )}
        </section>
      )}
    </section>
  );
}
