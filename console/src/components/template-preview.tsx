import { useEffect, useState } from 'react';
import type { Schemas } from '../api/client';
import { problemText } from '../api/client';
import type { Channel } from '../campaign-form';
import { label, useTexts } from '../i18n/texts';
import { useSession } from '../session-context';
import { ProblemAlert } from './problem-alert';

type Offer = Schemas['Offer'];
type Template = NonNullable<Offer['templates']['sms']>;
type Preview = Schemas['Preview'];
type Field = 'title' | 'subject' | 'text' | 'script';

/** An SMS encoding as marketers name it: GSM-7 or UCS-2. */
const encodingName = (e: string): string => (e === 'gsm7' ? 'GSM-7' : e === 'ucs2' ? 'UCS-2' : e);

/** The fields a channel's template has (docs/catalog.md#offers): an SMS its text, an e-mail subject and text, a screen or push title and text, an operator a script. */
export function templateFields(channel: Channel): Field[] {
  if (channel === 'sms') return ['text'];
  if (channel === 'email') return ['subject', 'text'];
  if (channel === 'callcenter' || channel === 'branch') return ['script'];
  return ['title', 'text'];
}

/**
 * The offer's template for one of the campaign's channels, edited beside the campaign
 * (PUT /v1/offers/{id}/templates/{channel}), and the campaign's message rendered by the
 * server for a chosen customer (POST /v1/campaigns/{id}/preview): each channel's text, and an
 * SMS's encoding and parts. The preview route reads the saved catalog, so an unsaved campaign
 * is saved first (a new one as a draft: `ensureSaved`) and an edited template with it; after
 * the first preview, every save shows it again.
 */
export function TemplatePreview({
  offer,
  channels,
  ensureSaved,
  savedAt,
  dirty,
  onTemplateSaved,
}: {
  offer: Offer | undefined;
  channels: Channel[];
  /** saves the campaign when it is new or changed; its id, or undefined when the save was refused */
  ensureSaved: () => Promise<string | undefined>;
  /** changes when the campaign is saved (the preview follows) */
  savedAt: number;
  dirty: boolean;
  onTemplateSaved: (offer: Offer) => void;
}) {
  const t = useTexts();
  const { api } = useSession();
  const [channel, setChannel] = useState<Channel | undefined>(channels.includes('sms') ? 'sms' : channels[0]);
  const [draft, setDraft] = useState<Template>({});
  const [templateDirty, setTemplateDirty] = useState(false);
  const [customer, setCustomer] = useState('');
  const [preview, setPreview] = useState<Preview>();
  const [problem, setProblem] = useState<string>();
  const [note, setNote] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [asked, setAsked] = useState<{ customer: string } | undefined>();

  useEffect(() => {
    if (channel === undefined || !channels.includes(channel)) setChannel(channels.includes('sms') ? 'sms' : channels[0]);
  }, [channels, channel]);
  const offerId = offer?.id;
  useEffect(() => {
    setDraft(channel === undefined ? {} : { ...offer?.templates[channel] });
    setTemplateDirty(false);
    // the saved template, whenever the offer or the channel changes
  }, [offerId, channel, offer]);

  const saveTemplate = async (): Promise<boolean> => {
    if (offer?.id === undefined || channel === undefined) return false;
    const body: Template = { ...offer.templates[channel] };
    for (const f of templateFields(channel)) {
      const v = draft[f] ?? '';
      if (v === '') delete body[f];
      else body[f] = v;
    }
    const r = await api.PUT('/v1/offers/{id}/templates/{channel}', { params: { path: { id: offer.id, channel } }, body });
    if (r.error !== undefined) {
      setProblem(problemText(r.error));
      return false;
    }
    setTemplateDirty(false);
    onTemplateSaved({ ...offer, templates: { ...offer.templates, [channel]: body } });
    setNote(t.templateSaved);
    return true;
  };

  const show = async (who: string): Promise<void> => {
    setBusy(true);
    setProblem(undefined);
    setNote(undefined);
    try {
      const id = await ensureSaved();
      if (id === undefined) {
        // the campaign's own refusal is shown beside its form
        setProblem(t.previewNeedsSave);
        return;
      }
      if (templateDirty && !(await saveTemplate())) return;
      const r = await api.POST('/v1/campaigns/{id}/preview', { params: { path: { id } }, body: who === '' ? {} : { customer: who } });
      if (r.error !== undefined) {
        setPreview(undefined);
        setProblem(problemText(r.error));
        return;
      }
      setPreview(r.data);
      setAsked({ customer: who });
    } finally {
      setBusy(false);
    }
  };

  // after the first preview, the campaign's saves show it again (the template's own save goes through show)
  useEffect(() => {
    if (asked !== undefined && !dirty) void show(asked.customer);
  }, [savedAt]);

  if (offer === undefined) return <p className="muted">{t.chooseOfferFirst}</p>;
  if (channel === undefined) return <p className="muted">{t.noTemplateChannel}</p>;
  return (
    <div className="template-preview">
      <div className="template">
        <p className="muted">{t.templateIntro(offer.name)}</p>
        <label>
          {t.templateChannel}
          <select aria-label={t.templateChannel} value={channel} onChange={(e) => setChannel(e.target.value as Channel)}>
            {channels.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        {templateFields(channel).map((f) => (
          <label key={f} className="block">
            {label(t.templateFields, f)}
            <textarea
              rows={f === 'text' || f === 'script' ? 5 : 2}
              value={draft[f] ?? ''}
              data-field={`template-${f}`}
              onChange={(e) => {
                setDraft({ ...draft, [f]: e.target.value });
                setTemplateDirty(true);
              }}
            />
          </label>
        ))}
        <div className="actions">
          <button type="button" disabled={busy || !templateDirty} onClick={() => void saveTemplate().then((ok) => (ok && asked !== undefined ? show(asked.customer) : undefined))}>
            {t.saveTemplate}
          </button>
        </div>
      </div>
      <div className="preview">
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void show(customer.trim());
          }}
        >
          <label>
            {t.previewFor}
            <input value={customer} onChange={(e) => setCustomer(e.target.value)} autoComplete="off" />
          </label>
          <button type="submit" disabled={busy}>
            {dirty || templateDirty ? t.saveAndPreview : t.preview}
          </button>
        </form>
        {note !== undefined && (
          <p role="status" className="saved">
            {note}
          </p>
        )}
        <ProblemAlert message={problem} />
        {preview !== undefined && (
          <section aria-labelledby="preview-title" data-preview={preview.customer}>
            <h3 id="preview-title">{t.previewTitle(preview.customer)}</h3>
            {preview.previews.map((p) => (
              <article key={p.channel} className="message" data-channel={p.channel}>
                <h4>{p.channel}</h4>
                {p.content !== undefined &&
                  Object.entries(p.content)
                    .filter(([, v]) => typeof v === 'string')
                    .map(([k, v]) => (
                      <p key={k} data-field={k}>
                        <span className="muted">{label(t.templateFields, k)}: </span>
                        {String(v)}
                      </p>
                    ))}
                {p.sms !== undefined && (
                  <dl className="facts">
                    <dt>{t.encoding}</dt>
                    <dd data-field="encoding">{encodingName(p.sms.encoding)}</dd>
                    <dt>{t.parts}</dt>
                    <dd data-field="parts">{p.sms.parts}</dd>
                  </dl>
                )}
                {p.problem !== undefined && (
                  <p className="alert" data-field="problem">
                    {t.previewProblem}: {p.problem}
                  </p>
                )}
              </article>
            ))}
          </section>
        )}
      </div>
    </div>
  );
}
