import { useCallback, useEffect, useState } from 'react';
import type { Schemas } from '../api/client';
import { problemText } from '../api/client';
import { DraftCount } from '../components/draft-count';
import { Link } from '../components/link';
import { NotAllowed } from '../components/not-allowed';
import { ProblemAlert } from '../components/problem-alert';
import { RuleEditor } from '../components/rule-editor';
import { useTexts } from '../i18n/texts';
import type { Rule, RuleAttribute } from '../rule';
import { ruleAttributes } from '../rule';
import { navigate } from '../route';
import { useSession } from '../session-context';

type Stored = Schemas['SegmentWithSize'];

interface Draft {
  id: string;
  name: string;
  description: string;
  rule: Rule | undefined;
  members: string[];
}

/** What a 404 is kept as, worded when shown (the language may change meanwhile). */
const NOT_FOUND = 'not-found';

/** Members shown as the saved segment's sample. */
const SAMPLE = 20;

/** A message for the page that opens next (a new segment's, once saved under its id). */
let flash: string | undefined;
function takeFlash(): string | undefined {
  const m = flash;
  flash = undefined;
  return m;
}

function draftOf(s: Stored | undefined, id: string | undefined): Draft {
  return {
    id: s?.id ?? id ?? '',
    name: s?.name ?? '',
    description: s?.description ?? '',
    rule: s?.rule as Rule | undefined,
    members: s?.members ?? [],
  };
}

/**
 * One segment (`/console/segments/<id>`), or a new one (`/console/segments/new`): its name,
 * the rule built in the rule editor and shown in words, **Посчитать** (the draft counted
 * before it is saved), the customers put in by hand, **Сохранить** (`PUT /v1/segments/{id}`,
 * the API's refusal beside the form) and **Удалить segment** with a confirmation (a segment a
 * campaign uses is refused with the API's message). Once saved: its live size and a sample of
 * its members (customer ids, as the API gives them to every role), each linking to the card.
 * A role that reads segments but may not save them sees the same without a control.
 */
export function SegmentPage({ id }: { id: string | undefined }) {
  const t = useTexts();
  const { api, may } = useSession();
  const isNew = id === undefined;
  const canEdit = may('putSegment');
  const allowed = isNew ? canEdit : may('getSegment');
  const [stored, setStored] = useState<Stored>();
  const [draft, setDraft] = useState<Draft>();
  const [attrs, setAttrs] = useState<RuleAttribute[]>();
  const [sample, setSample] = useState<string[]>();
  const [error, setError] = useState<string>();
  const [refusal, setRefusal] = useState<string>();
  const [message, setMessage] = useState<string | undefined>(takeFlash);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [deleteRefusal, setDeleteRefusal] = useState<string>();
  const [memberText, setMemberText] = useState('');

  /** The saved segment's size and a sample of its members, read again by **Обновить**. */
  const loadLive = useCallback(async (): Promise<Stored | undefined> => {
    if (id === undefined) return undefined;
    const [seg, members] = await Promise.all([
      api.GET('/v1/segments/{id}', { params: { path: { id } } }),
      may('listSegmentMembers') ? api.GET('/v1/segments/{id}/members', { params: { path: { id }, query: { limit: SAMPLE } } }) : Promise.resolve(undefined),
    ]);
    if (seg.error !== undefined) throw new Error(seg.response.status === 404 ? NOT_FOUND : problemText(seg.error));
    setStored(seg.data);
    if (typeof members?.data === 'object') setSample(members.data.members);
    return seg.data;
  }, [api, id, may]);

  useEffect(() => {
    if (!allowed) return undefined;
    let live = true;
    void (async () => {
      const [features, seg] = await Promise.all([
        may('listFeatures') ? api.GET('/v1/features') : Promise.resolve(undefined),
        loadLive(),
      ]);
      if (!live) return;
      setAttrs(ruleAttributes(features?.data?.items ?? []));
      setDraft(draftOf(seg, id));
    })().catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [api, allowed, id, may, loadLive]);

  const save = async (): Promise<void> => {
    if (draft === undefined) return;
    setBusy(true);
    setRefusal(undefined);
    setMessage(undefined);
    try {
      const segmentId = draft.id.trim();
      const body: Schemas['Segment'] = {
        name: draft.name,
        ...(draft.description.trim() === '' ? {} : { description: draft.description }),
        ...(draft.rule === undefined ? {} : { rule: draft.rule }),
        ...(draft.members.length === 0 ? {} : { members: draft.members }),
      };
      const r = await api.PUT('/v1/segments/{id}', { params: { path: { id: segmentId === '' ? ' ' : segmentId } }, body });
      if (r.error !== undefined) {
        setRefusal(problemText(r.error));
        return;
      }
      if (isNew) {
        flash = t.savedVersion(r.data.version);
        navigate({ page: 'segment', id: segmentId });
        return;
      }
      setMessage(t.savedVersion(r.data.version));
      await loadLive();
    } catch (e) {
      setRefusal(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (): Promise<void> => {
    if (id === undefined) return;
    setBusy(true);
    setDeleteRefusal(undefined);
    try {
      const r = await api.DELETE('/v1/segments/{id}', { params: { path: { id } } });
      if (r.error !== undefined) {
        setDeleteRefusal(problemText(r.error));
        setConfirming(false);
        return;
      }
      navigate({ page: 'segments' });
    } finally {
      setBusy(false);
    }
  };

  const addMember = (): void => {
    const m = memberText.trim();
    if (draft === undefined || m === '') return;
    if (!draft.members.includes(m)) setDraft({ ...draft, members: [...draft.members, m] });
    setMemberText('');
  };

  const title = isNew ? t.newSegment : (stored?.name ?? id);
  if (!allowed) return <NotAllowed title={title} />;
  const ready = draft !== undefined && attrs !== undefined;
  return (
    <section aria-labelledby="segment-title" data-state={ready || error !== undefined ? 'ready' : 'loading'}>
      <p>
        <Link to={{ page: 'segments' }}>{t.backToSegments}</Link>
      </p>
      <h1 id="segment-title">{title}</h1>
      <ProblemAlert message={error === NOT_FOUND ? t.segmentNotFound : error} />
      {!ready && error === undefined && <p>{t.loading}</p>}
      {ready && !canEdit && <p className="muted">{t.segmentReadOnly}</p>}
      {ready && stored !== undefined && (
        <section aria-labelledby="live-title" className="panel">
          <h2 id="live-title">
            <span data-field="live-size" data-size={stored.size}>
              {t.sizeNow(stored.size)}
            </span>
          </h2>
          <p className="muted">{t.sizeNote}</p>
          <button type="button" className="secondary" onClick={() => void loadLive().catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))}>
            {t.refresh}
          </button>
          {stored.sizeHistory.length > 0 && (
            <details data-field="size-history">
              <summary>{t.sizeHistory}</summary>
              <table className="data">
                <thead>
                  <tr>
                    <th scope="col">{t.sizeDay}</th>
                    <th scope="col" className="num">
                      {t.sizeAtEnd}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {[...stored.sizeHistory].reverse().map((d) => (
                    <tr key={d.day}>
                      <td>{d.day}</td>
                      <td className="num">{d.size}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          )}
          {sample !== undefined && (
            <>
              <h3>{t.sample}</h3>
              <p className="muted">{t.sampleNote}</p>
              {sample.length === 0 ? (
                <p>{t.noMembers}</p>
              ) : (
                <ul className="sample" data-field="sample">
                  {sample.map((m) => (
                    <li key={m}>
                      <Link to={{ page: 'customers', id: m }}>{m}</Link>
                    </li>
                  ))}
                </ul>
              )}
            </>
          )}
        </section>
      )}
      {ready && (
        <form
          className="segment-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (canEdit) void save();
          }}
        >
          {canEdit ? (
            <div className="fields">
              {isNew && (
                <>
                  <label htmlFor="segment-id">{t.segmentId}</label>
                  <input id="segment-id" value={draft.id} placeholder="clients_60_moscow" onChange={(e) => setDraft({ ...draft, id: e.target.value })} />
                </>
              )}
              <label htmlFor="segment-name">{t.segmentName}</label>
              <input id="segment-name" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
              <label htmlFor="segment-description">{t.segmentDescription}</label>
              <input id="segment-description" value={draft.description} onChange={(e) => setDraft({ ...draft, description: e.target.value })} />
            </div>
          ) : (
            <dl className="facts">
              <dt>{t.segmentId}</dt>
              <dd>
                <code>{draft.id}</code>
              </dd>
              {draft.description !== '' && (
                <>
                  <dt>{t.segmentDescription}</dt>
                  <dd>{draft.description}</dd>
                </>
              )}
            </dl>
          )}
          <RuleEditor value={draft.rule} onChange={(rule) => setDraft({ ...draft, rule })} attributes={attrs} readOnly={!canEdit} />
          {may('countDraftSegment') && <DraftCount rule={draft.rule} />}
          <fieldset className="members">
            <legend>{t.manualMembers}</legend>
            {draft.members.length === 0 ? (
              <p>{t.manualNone}</p>
            ) : (
              <ul data-field="manual-members">
                {draft.members.map((m) => (
                  <li key={m} data-member={m}>
                    <Link to={{ page: 'customers', id: m }}>{m}</Link>{' '}
                    {canEdit && (
                      <button type="button" className="secondary" aria-label={t.removeMember(m)} onClick={() => setDraft({ ...draft, members: draft.members.filter((x) => x !== m) })}>
                        {t.ruleRemove}
                      </button>
                    )}
                  </li>
                ))}
              </ul>
            )}
            {canEdit && (
              <div className="inline-form">
                <label htmlFor="member-add">{t.memberToAdd}</label>
                <input
                  id="member-add"
                  value={memberText}
                  onChange={(e) => setMemberText(e.target.value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') {
                      e.preventDefault();
                      addMember();
                    }
                  }}
                />
                <button type="button" className="secondary" onClick={addMember}>
                  {t.addMember}
                </button>
              </div>
            )}
          </fieldset>
          {canEdit && (
            <div className="actions">
              <button type="submit" disabled={busy}>
                {t.save}
              </button>
            </div>
          )}
          <ProblemAlert title={t.saveRefused} message={refusal} />
          {message !== undefined && (
            <p role="status" className="saved">
              {message}
            </p>
          )}
        </form>
      )}
      {ready && !isNew && may('deleteSegment') && (
        <div className="danger">
          {confirming ? (
            <div role="group" aria-label={t.deleteSegment} className="actions">
              <p>{t.deleteConfirm(stored?.name ?? id)}</p>
              <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>
                {t.deleteYes}
              </button>
              <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                {t.deleteNo}
              </button>
            </div>
          ) : (
            <button type="button" className="danger" onClick={() => setConfirming(true)}>
              {t.deleteSegment}
            </button>
          )}
          <ProblemAlert title={t.deleteRefused} message={deleteRefusal} />
        </div>
      )}
    </section>
  );
}
