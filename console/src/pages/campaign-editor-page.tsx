import { useCallback, useEffect, useRef, useState } from 'react';
import type { Schemas } from '../api/client';
import { problemText } from '../api/client';
import type { CampaignForm, Channel } from '../campaign-form';
import { CHANNELS, emptyForm, formOf, rowKey, toCampaign } from '../campaign-form';
import type { SegmentChoice } from '../components/group-rows';
import { GroupRows } from '../components/group-rows';
import { Link } from '../components/link';
import { NotAllowed } from '../components/not-allowed';
import { ProblemAlert } from '../components/problem-alert';
import { TemplatePreview } from '../components/template-preview';
import '../editor.css';
import { label, useTexts } from '../i18n/texts';
import { hrefOf } from '../route';
import { useSession } from '../session-context';

type Offer = Schemas['Offer'];
/** a campaign's definition as the API declares it (its tuples as tuples: what campaign-form.ts reads and writes) */
type Campaign = Schemas['Campaign'];
type Status = Campaign['status'];

/** The lifecycle's moves the page offers from each status (the API refuses any other: docs/catalog.md#campaigns). */
const MOVES: Record<Status, Status[]> = {
  draft: ['active'],
  scheduled: ['active', 'paused', 'completed'],
  active: ['paused', 'completed'],
  paused: ['active', 'completed'],
  completed: [],
};

/** A refusal's words: the problem's detail, and its `errors` when it lists them. */
function refusalOf(error: unknown): string {
  const detail = problemText(error);
  const errors = (error as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return detail;
  const each = errors.map((e) => (typeof e === 'string' ? e : typeof e === 'object' && e !== null && 'message' in e ? String((e as { message: unknown }).message) : JSON.stringify(e)));
  return [detail, ...each].join('; ');
}

/**
 * The campaign editor (`/console/campaigns/new`, `/console/campaigns/<id>/edit`): everything
 * a marketer sets on a campaign, in her terms: name, offer, channels, target groups with
 * their rules and response probability, trigger and local time window, partners nearby,
 * priority, budget, control group, seed recipients, schedule; the offer's template beside it
 * with the server's preview for a chosen customer; the lifecycle's moves. Saved with
 * PUT /v1/campaigns/{id} (a new campaign as a draft), the API's refusal shown beside the form;
 * fields the form does not model are kept as they were.
 */
export function CampaignEditorPage({ id }: { id?: string }) {
  const t = useTexts();
  const { api, may } = useSession();
  const allowed = may('putCampaign') && may('getCampaign');
  const [original, setOriginal] = useState<Campaign>();
  const [form, setFormState] = useState<CampaignForm>();
  const [dirty, setDirty] = useState(false);
  const [offers, setOffers] = useState<Offer[]>();
  const [segments, setSegments] = useState<SegmentChoice[]>([]);
  const [partnerKinds, setPartnerKinds] = useState<string[]>([]);
  const [error, setError] = useState<string>();
  const [refusal, setRefusal] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const [savedAt, setSavedAt] = useState(0);
  const [busy, setBusy] = useState(false);
  /** the id whose definition the form holds (a new campaign's once saved), so the move to its edit address reads nothing again */
  const loaded = useRef<string | undefined>(undefined);

  useEffect(() => {
    if (!allowed) return undefined;
    if (id !== undefined && id === loaded.current) return undefined;
    let live = true;
    void (async () => {
      const [o, s, p, c] = await Promise.all([
        api.GET('/v1/offers'),
        api.GET('/v1/segments'),
        api.GET('/v1/partners'),
        id === undefined ? Promise.resolve(undefined) : api.GET('/v1/campaigns/{id}', { params: { path: { id } } }),
      ]);
      if (!live) return;
      if (o.error !== undefined) throw new Error(problemText(o.error));
      if (c?.error !== undefined) throw new Error(problemText(c.error));
      setOffers(o.data.items);
      setSegments(s.data === undefined ? [] : (s.data.items as Array<{ id?: string; name: string }>).map((x) => ({ id: x.id ?? '', name: x.name })));
      setPartnerKinds(p.data === undefined ? [] : [...new Set((p.data.items as Array<{ kind: string }>).map((x) => x.kind))]);
      if (c?.data !== undefined) {
        const def = { ...c.data, id } as Campaign;
        setOriginal(def);
        setFormState(formOf(def));
      } else setFormState(emptyForm());
      loaded.current = id;
      setDirty(false);
    })().catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [api, id, allowed]);

  const setForm = (f: Partial<CampaignForm>): void => {
    setFormState((prev) => (prev === undefined ? prev : { ...prev, ...f }));
    setDirty(true);
    setSaved(undefined);
  };

  /** Saves the form: a new campaign as a draft (refused if the id is taken), an existing one laid over its definition. Its id, or undefined when refused. */
  const save = useCallback(async (): Promise<string | undefined> => {
    if (form === undefined) return undefined;
    const campaignId = original?.id ?? form.id.trim();
    setRefusal(undefined);
    setSaved(undefined);
    if (campaignId === '') {
      setRefusal(t.idMissing);
      return undefined;
    }
    if (original !== undefined && !dirty) return campaignId;
    setBusy(true);
    try {
      if (original === undefined) {
        const exists = await api.GET('/v1/campaigns/{id}', { params: { path: { id: campaignId } } });
        if (exists.data !== undefined) {
          setRefusal(t.idTaken(campaignId));
          return undefined;
        }
      }
      const body = toCampaign(form, original);
      const r = await api.PUT('/v1/campaigns/{id}', { params: { path: { id: campaignId } }, body });
      if (r.error !== undefined) {
        setRefusal(refusalOf(r.error));
        return undefined;
      }
      const def = { ...body, id: campaignId };
      setOriginal(def);
      setDirty(false);
      setSaved(t.savedDraft);
      setSavedAt(Date.now());
      if (original === undefined) {
        // the new campaign's own address from now on (its definition is the one just saved)
        loaded.current = campaignId;
        window.history.replaceState(null, '', hrefOf({ page: 'campaign-edit', id: campaignId }));
        window.dispatchEvent(new PopStateEvent('popstate'));
      }
      return campaignId;
    } finally {
      setBusy(false);
    }
  }, [api, form, original, dirty, t]);

  const move = async (status: Status): Promise<void> => {
    if (original?.id === undefined) return;
    setBusy(true);
    setRefusal(undefined);
    setSaved(undefined);
    try {
      const r = await api.POST('/v1/campaigns/{id}/status', { params: { path: { id: original.id } }, body: { status } });
      if (r.error !== undefined) {
        setRefusal(refusalOf(r.error));
        return;
      }
      setOriginal({ ...original, status: r.data.to as Status });
      setSaved(t.moved(label(t.statuses, r.data.to)));
    } finally {
      setBusy(false);
    }
  };

  const title = id === undefined ? t.editorNewTitle : t.editorEditTitle(original?.name ?? id);
  if (!allowed) return <NotAllowed title={id === undefined ? t.editorNewTitle : id} />;
  const ready = form !== undefined && offers !== undefined;
  const offer = offers?.find((o) => o.id === form?.offer);
  const toggleChannel = (c: Channel, on: boolean): void => {
    if (form === undefined) return;
    setForm({ channels: on ? [...form.channels.filter((x) => x !== c), c] : form.channels.filter((x) => x !== c) });
  };

  return (
    <section aria-labelledby="editor-title" className="editor" data-state={ready ? 'ready' : 'loading'}>
      <p>
        {original?.id !== undefined ? <Link to={{ page: 'campaign', id: original.id }}>← {original.name}</Link> : <Link to={{ page: 'campaigns' }}>{t.backToCampaigns}</Link>}
      </p>
      <h1 id="editor-title">{title}</h1>
      <ProblemAlert message={error} />
      {!ready && error === undefined && <p>{t.loading}</p>}
      {ready && (
        <>
          <p className="muted">{t.editorIntro}</p>
          <form
            className="campaign-form"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <fieldset>
              <legend>{t.sectionBasics}</legend>
              <div className="row">
                <label>
                  {t.campaignIdLabel}
                  <input value={original?.id ?? form.id} readOnly={original !== undefined} aria-describedby="id-hint" onChange={(e) => setForm({ id: e.target.value })} />
                </label>
                <span id="id-hint" className="muted">
                  {t.campaignIdHint}
                </span>
              </div>
              <label className="block">
                {t.name}
                <input value={form.name} onChange={(e) => setForm({ name: e.target.value })} />
              </label>
              <label className="block">
                {t.descriptionLabel}
                <textarea rows={2} value={form.description} onChange={(e) => setForm({ description: e.target.value })} />
              </label>
              <label className="block">
                {t.offerLabel}
                <select aria-label={t.offerLabel} value={form.offer} onChange={(e) => setForm({ offer: e.target.value })}>
                  <option value="">{t.chooseOffer}</option>
                  {offers.map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.name} ({o.id})
                    </option>
                  ))}
                  {form.offer !== '' && offer === undefined && <option value={form.offer}>{form.offer}</option>}
                </select>
              </label>
              <fieldset className="channels">
                <legend>{t.channelsLegend}</legend>
                {CHANNELS.map((c) => (
                  <label key={c} className="check">
                    <input type="checkbox" checked={form.channels.includes(c)} onChange={(e) => toggleChannel(c, e.target.checked)} />
                    {c}
                  </label>
                ))}
                <span className="muted" data-field="channel-order">
                  {form.channels.join(' → ')}
                </span>
              </fieldset>
            </fieldset>

            <fieldset>
              <legend>{t.sectionGroups}</legend>
              <p className="muted">{t.groupsIntro}</p>
              <GroupRows groups={form.groups} segments={segments} onChange={(groups) => setForm({ groups })} />
            </fieldset>

            <fieldset>
              <legend>{t.sectionTrigger}</legend>
              <label className="block">
                {t.eventsLabel}
                <input value={form.events} aria-describedby="events-hint" onChange={(e) => setForm({ events: e.target.value })} />
              </label>
              <p id="events-hint" className="muted">
                {t.eventsHint}
              </p>
              <div className="row">
                <label>
                  {t.timeFrom}
                  <input type="time" value={form.timeFrom} onChange={(e) => setForm({ timeFrom: e.target.value })} />
                </label>
                <label>
                  {t.timeTo}
                  <input type="time" value={form.timeTo} onChange={(e) => setForm({ timeTo: e.target.value })} />
                </label>
              </div>
              {(partnerKinds.length > 0 || form.nearPartners !== '') && (
                <div className="row">
                  <label>
                    {t.nearPartners}
                    <select aria-label={t.nearPartners} value={form.nearPartners} onChange={(e) => setForm({ nearPartners: e.target.value })}>
                      <option value="">{t.nearNone}</option>
                      {[...new Set([...partnerKinds, ...(form.nearPartners === '' ? [] : [form.nearPartners])])].map((k) => (
                        <option key={k} value={k}>
                          {k}
                        </option>
                      ))}
                    </select>
                  </label>
                  {form.nearPartners !== '' && (
                    <label>
                      {t.radiusM}
                      <input className="short" inputMode="numeric" value={form.nearRadiusM} onChange={(e) => setForm({ nearRadiusM: e.target.value })} />
                    </label>
                  )}
                </div>
              )}
            </fieldset>

            <fieldset>
              <legend>{t.sectionLevers}</legend>
              <div className="row">
                <label>
                  {t.priorityLabel}
                  <input className="short" inputMode="decimal" value={form.priority} onChange={(e) => setForm({ priority: e.target.value })} />
                </label>
                <label>
                  {t.maxContacts}
                  <input className="short" inputMode="numeric" value={form.maxContacts} onChange={(e) => setForm({ maxContacts: e.target.value })} />
                </label>
                <label>
                  {t.maxCost}
                  <input className="short" inputMode="decimal" value={form.maxCost} onChange={(e) => setForm({ maxCost: e.target.value })} />
                </label>
                <label>
                  {t.controlPercentLabel}
                  <input className="short" inputMode="decimal" value={form.controlPercent} onChange={(e) => setForm({ controlPercent: e.target.value })} />
                </label>
              </div>
              <fieldset>
                <legend>{t.seedsLegend}</legend>
                {form.seeds.map((s, i) => (
                  <div className="row" key={s.key}>
                    <label>
                      {t.seedChannel}
                      <select aria-label={t.seedChannel} value={s.channel} onChange={(e) => setForm({ seeds: form.seeds.map((x, j) => (j === i ? { ...x, channel: e.target.value as Channel } : x)) })}>
                        {(['sms', 'email', 'push'] as const).map((c) => (
                          <option key={c} value={c}>
                            {c}
                          </option>
                        ))}
                      </select>
                    </label>
                    <label>
                      {t.seedTo}
                      <input value={s.to} onChange={(e) => setForm({ seeds: form.seeds.map((x, j) => (j === i ? { ...x, to: e.target.value } : x)) })} />
                    </label>
                    <button type="button" className="secondary" onClick={() => setForm({ seeds: form.seeds.filter((_, j) => j !== i) })}>
                      {t.removeSeed}
                    </button>
                  </div>
                ))}
                <button type="button" className="secondary" onClick={() => setForm({ seeds: [...form.seeds, { key: rowKey(), channel: 'sms', to: '' }] })}>
                  {t.addSeed}
                </button>
              </fieldset>
            </fieldset>

            <fieldset>
              <legend>{t.sectionSchedule}</legend>
              <div className="row">
                <label>
                  {t.startsAt}
                  <input type="datetime-local" value={form.startsAt} onChange={(e) => setForm({ startsAt: e.target.value })} />
                </label>
                <label>
                  {t.endsAt}
                  <input type="datetime-local" value={form.endsAt} onChange={(e) => setForm({ endsAt: e.target.value })} />
                </label>
              </div>
            </fieldset>

            <div className="actions sticky">
              <button type="submit" disabled={busy}>
                {busy ? t.saving : t.save}
              </button>
            </div>
            <ProblemAlert title={t.saveRefused} message={refusal} />
            {saved !== undefined && (
              <p role="status" className="saved">
                {saved}
              </p>
            )}
          </form>

          {original !== undefined && may('moveCampaign') && (
            <section aria-labelledby="lifecycle-title">
              <h2 id="lifecycle-title">{t.sectionLifecycle}</h2>
              <p>
                <span className="muted">{t.lifecycleIntro}</span> <strong data-field="status">{label(t.statuses, original.status)}</strong>
              </p>
              <div className="actions">
                {MOVES[original.status].map((to) => (
                  <button type="button" key={to} disabled={busy || dirty} onClick={() => void move(to)}>
                    {to === 'active' ? t.activate : to === 'paused' ? t.pause : t.complete}
                  </button>
                ))}
              </div>
            </section>
          )}

          {may('previewCampaign') && (
            <section aria-labelledby="template-title">
              <h2 id="template-title">{t.sectionTemplate}</h2>
              <TemplatePreview
                offer={offer}
                channels={form.channels}
                ensureSaved={save}
                savedAt={savedAt}
                dirty={dirty}
                onTemplateSaved={(o) => setOffers((all) => all?.map((x) => (x.id === o.id ? o : x)))}
              />
            </section>
          )}
        </>
      )}
    </section>
  );
}
