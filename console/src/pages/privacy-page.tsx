import { useCallback, useEffect, useState } from 'react';
import type { Customer, Schemas } from '../api/client';
import { problemText } from '../api/client';
import { NotAllowed } from '../components/not-allowed';
import { ProblemAlert } from '../components/problem-alert';
import { label, useTexts } from '../i18n/texts';
import { useSession } from '../session-context';
import { useWhen } from '../times';

type StopEntry = Schemas['StopEntry'];
type StopKind = StopEntry['kind'];
const stopKinds: StopKind[] = ['phone', 'email', 'card', 'customer', 'cookie'];
/** The channels the master data holds a consent for (`consent_sms`, `consent_email`, `consent_push`). */
const consentChannels = ['sms', 'email', 'push'] as const;
const outboundChannels = ['', 'sms', 'email', 'push'] as const;
type FindKind = 'id' | 'phone' | 'email' | 'card';

/**
 * The stop list and consents (the privacy role and admin): the list searched by a whole
 * identifier (it keeps keys, not identifiers: `GET /v1/stop-list?kind=&value=`), an entry added
 * with its kind, value, channel and reason, removed with a reason (kept in the audit entry);
 * a customer found by id, phone, e-mail or card, their consent per channel, changed with a
 * reason through `PATCH /v1/customers/{id}?reason=`.
 */
export function PrivacyPage() {
  const t = useTexts();
  const { may } = useSession();
  if (!may('listStopEntries')) return <NotAllowed title={t.privacyTitle} />;
  return (
    <section aria-labelledby="privacy-title" data-state="ready">
      <h1 id="privacy-title">{t.privacyTitle}</h1>
      <p className="muted">{t.privacyIntro}</p>
      <StopListPart />
      {may('getCustomer') && may('patchCustomer') && <ConsentsPart />}
    </section>
  );
}

function StopListPart() {
  const t = useTexts();
  const { api } = useSession();
  const [entries, setEntries] = useState<StopEntry[] | undefined>();
  const [filter, setFilter] = useState<{ kind: StopKind; value: string } | undefined>();
  const [searchKind, setSearchKind] = useState<StopKind>('phone');
  const [searchValue, setSearchValue] = useState('');
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState<string>();

  const read = useCallback(
    async (f: { kind: StopKind; value: string } | undefined): Promise<void> => {
      const r = await api.GET('/v1/stop-list', { params: { query: f === undefined ? {} : { kind: f.kind, value: f.value } } });
      if (r.error !== undefined) setError(problemText(r.error));
      else {
        setError(undefined);
        // newest first
        setEntries([...r.data.entries].reverse());
      }
    },
    [api],
  );
  useEffect(() => {
    void read(filter);
  }, [read, filter]);

  return (
    <section aria-labelledby="stop-title" className="card" data-state={entries === undefined && error === undefined ? 'loading' : 'ready'}>
      <h2 id="stop-title">{t.stopListTitle}</h2>
      <form
        role="search"
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(undefined);
          if (searchValue.trim() !== '') setFilter({ kind: searchKind, value: searchValue.trim() });
        }}
      >
        <label htmlFor="stop-search-kind">{t.stopKind}</label>
        <select id="stop-search-kind" value={searchKind} onChange={(e) => setSearchKind(e.target.value as StopKind)}>
          {stopKinds.map((k) => (
            <option key={k} value={k}>
              {t.stopKinds[k]}
            </option>
          ))}
        </select>
        <label htmlFor="stop-search-value">{t.searchValue}</label>
        <input id="stop-search-value" value={searchValue} onChange={(e) => setSearchValue(e.target.value)} autoComplete="off" />
        <button type="submit">{t.stopSearch}</button>
        <button
          type="button"
          onClick={() => {
            setSearchValue('');
            setFilter(undefined);
          }}
        >
          {t.stopShowAll}
        </button>
      </form>
      <ProblemAlert message={error} />
      {saved !== undefined && (
        <p role="status" className="saved">
          {saved}
        </p>
      )}
      {entries !== undefined && (
        <StopTable
          entries={entries}
          onRemoved={(e) => {
            setSaved(t.stopRemoved(e.hint));
            void read(filter);
          }}
          onError={setError}
        />
      )}
      <AddStop
        onAdded={(e) => {
          setSaved(t.stopAdded(e.hint));
          void read(filter);
        }}
      />
    </section>
  );
}

function StopTable({ entries, onRemoved, onError }: { entries: StopEntry[]; onRemoved: (e: StopEntry) => void; onError: (m: string) => void }) {
  const t = useTexts();
  const when = useWhen();
  const { api } = useSession();
  /** the entry whose removal is being confirmed (its key and scope), and the reason typed */
  const [removing, setRemoving] = useState<StopEntry | undefined>();
  const [reason, setReason] = useState('');
  if (entries.length === 0) return <p data-field="stop-entries">{t.stopEmpty}</p>;
  const same = (a: StopEntry, b: StopEntry | undefined): boolean => b !== undefined && a.key === b.key && a.channel === b.channel && a.campaign === b.campaign;
  const remove = async (e: StopEntry): Promise<void> => {
    const r = await api.DELETE('/v1/stop-list/{key}', {
      params: { path: { key: e.key }, query: { ...(e.channel === undefined ? {} : { channel: e.channel }), ...(e.campaign === undefined ? {} : { campaign: e.campaign }), reason } },
    });
    if (r.error !== undefined) onError(problemText(r.error));
    else {
      setRemoving(undefined);
      setReason('');
      onRemoved(e);
    }
  };
  return (
    <table className="data" data-field="stop-entries">
      <caption>{t.stopCaption(entries.length)}</caption>
      <thead>
        <tr>
          <th scope="col">{t.stopHint}</th>
          <th scope="col">{t.stopKind}</th>
          <th scope="col">{t.stopScope}</th>
          <th scope="col">{t.reason}</th>
          <th scope="col">{t.stopAddedAt}</th>
          <th scope="col">{t.stopBy}</th>
          <th scope="col">
            <span className="visually-hidden">{t.remove}</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={`${e.key}/${e.channel ?? ''}/${e.campaign ?? ''}`} data-key={e.key}>
            <td>{e.hint}</td>
            <td>{label(t.stopKinds, e.kind)}</td>
            <td>{e.campaign !== undefined ? t.scopeCampaign(e.campaign) : e.channel !== undefined ? t.scopeChannel(e.channel) : t.scopeEverywhere}</td>
            <td>{e.reason ?? '—'}</td>
            <td>{when(e.at)}</td>
            <td>{e.by ?? '—'}</td>
            <td>
              {same(e, removing) ? (
                <form
                  className="actions"
                  onSubmit={(ev) => {
                    ev.preventDefault();
                    void remove(e);
                  }}
                >
                  <label htmlFor={`remove-reason-${e.key}`} className="visually-hidden">
                    {t.removeReason(e.hint)}
                  </label>
                  <input id={`remove-reason-${e.key}`} value={reason} onChange={(ev) => setReason(ev.target.value)} placeholder={t.reason} required maxLength={500} />
                  <button type="submit">{t.confirmRemove}</button>
                  <button type="button" onClick={() => setRemoving(undefined)}>
                    {t.cancel}
                  </button>
                </form>
              ) : (
                <button type="button" aria-label={t.removeOf(e.hint)} onClick={() => setRemoving(e)}>
                  {t.remove}
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AddStop({ onAdded }: { onAdded: (e: StopEntry) => void }) {
  const t = useTexts();
  const { api } = useSession();
  const [kind, setKind] = useState<StopKind>('phone');
  const [value, setValue] = useState('');
  const [channel, setChannel] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const add = async (): Promise<void> => {
    setError(undefined);
    const r = await api.POST('/v1/stop-list', { body: { kind, value: value.trim(), reason: reason.trim(), ...(channel === '' ? {} : { channel }) } });
    if (r.error !== undefined) setError(problemText(r.error));
    else {
      setValue('');
      setReason('');
      onAdded(r.data);
    }
  };
  return (
    <section aria-labelledby="stop-add-title">
      <h3 id="stop-add-title">{t.stopAddTitle}</h3>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <label htmlFor="stop-add-kind">{t.stopKind}</label>
        <select id="stop-add-kind" value={kind} onChange={(e) => setKind(e.target.value as StopKind)}>
          {stopKinds.map((k) => (
            <option key={k} value={k}>
              {t.stopKinds[k]}
            </option>
          ))}
        </select>
        <label htmlFor="stop-add-value">{t.searchValue}</label>
        <input id="stop-add-value" value={value} onChange={(e) => setValue(e.target.value)} required autoComplete="off" />
        <label htmlFor="stop-add-channel">{t.stopChannel}</label>
        <select id="stop-add-channel" value={channel} onChange={(e) => setChannel(e.target.value)}>
          {outboundChannels.map((c) => (
            <option key={c} value={c}>
              {c === '' ? t.scopeEverywhere : c}
            </option>
          ))}
        </select>
        <label htmlFor="stop-add-reason">{t.reason}</label>
        <input id="stop-add-reason" value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={500} />
        <button type="submit">{t.stopAdd}</button>
      </form>
      <ProblemAlert message={error} />
    </section>
  );
}

function ConsentsPart() {
  const t = useTexts();
  const when = useWhen();
  const { api } = useSession();
  const [kind, setKind] = useState<FindKind>('id');
  const [value, setValue] = useState('');
  const [card, setCard] = useState<Customer | undefined>();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState<string>();

  const open = async (id: string): Promise<void> => {
    const r = await api.GET('/v1/customers/{id}', { params: { path: { id } } });
    if (r.error !== undefined) setError(r.response.status === 404 ? t.foundNone : problemText(r.error));
    else setCard(r.data);
  };
  const find = async (): Promise<void> => {
    setError(undefined);
    setSaved(undefined);
    setCard(undefined);
    const v = value.trim();
    if (v === '') return;
    if (kind === 'id') return open(v);
    const r = await api.GET('/v1/customers', { params: { query: { [kind]: v } } });
    if (r.error !== undefined) return setError(problemText(r.error));
    const [first, ...more] = r.data.customers;
    if (first === undefined) return setError(t.foundNone);
    if (more.length > 0) return setError(t.severalFound);
    return open(first.id);
  };
  const change = async (channel: string, granted: boolean): Promise<void> => {
    if (card === undefined) return;
    setSaved(undefined);
    if (reason.trim() === '') {
      setError(t.consentReasonNeeded);
      return;
    }
    setError(undefined);
    const r = await api.PATCH('/v1/customers/{id}', { params: { path: { id: card.id }, query: { reason: reason.trim() } }, body: { [`consent_${channel}`]: granted } });
    if (r.error !== undefined) return setError(problemText(r.error));
    setReason('');
    setSaved(t.consentChanged(channel, granted));
    return open(card.id);
  };

  const p = card?.profile;
  const name = p === undefined ? '' : [p.lastName, p.firstName, p.patronymic].filter((x) => x !== undefined).join(' ');
  return (
    <section aria-labelledby="consents-title" className="card">
      <h2 id="consents-title">{t.consentsTitle}</h2>
      <form
        role="search"
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void find();
        }}
      >
        <label htmlFor="consent-find-kind">{t.searchBy}</label>
        <select id="consent-find-kind" value={kind} onChange={(e) => setKind(e.target.value as FindKind)}>
          {(['id', 'phone', 'email', 'card'] as const).map((k) => (
            <option key={k} value={k}>
              {t.searchKinds[k]}
            </option>
          ))}
        </select>
        <label htmlFor="consent-find-value">{t.searchValue}</label>
        <input id="consent-find-value" value={value} onChange={(e) => setValue(e.target.value)} autoComplete="off" />
        <button type="submit">{t.findCustomer}</button>
      </form>
      <ProblemAlert message={error} />
      {saved !== undefined && (
        <p role="status" className="saved">
          {saved}
        </p>
      )}
      {card !== undefined && (
        <div data-field="consents" data-customer={card.id}>
          <h3>{t.consentsOf(name === '' ? card.id : `${name} (${card.id})`)}</h3>
          <p className="inline-form">
            <label htmlFor="consent-reason">{t.consentReason}</label>
            <input id="consent-reason" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />
          </p>
          <table className="data">
            <thead>
              <tr>
                <th scope="col">{t.consentChannel}</th>
                <th scope="col">{t.consentGranted}</th>
                <th scope="col">{t.consentSince}</th>
                <th scope="col">{t.consentSource}</th>
                <th scope="col">
                  <span className="visually-hidden">{t.consentGranted}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {consentChannels.map((ch) => {
                const c = card.consents[ch];
                return (
                  <tr key={ch} data-channel={ch}>
                    <th scope="row">{ch}</th>
                    <td data-field="granted">{c === undefined ? t.consentUnknown : c.granted ? t.consentYes : t.consentNo}</td>
                    <td>{c?.at === undefined ? '—' : when(c.at)}</td>
                    <td>{c?.source ?? '—'}</td>
                    <td>
                      {c?.granted === true ? (
                        <button type="button" aria-label={t.withdrawOf(ch)} onClick={() => void change(ch, false)}>
                          {t.withdraw}
                        </button>
                      ) : (
                        <button type="button" aria-label={t.grantOf(ch)} onClick={() => void change(ch, true)}>
                          {t.grant}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
