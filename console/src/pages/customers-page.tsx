import { useEffect, useState } from 'react';
import type { Customer, Schemas } from '../api/client';
import { problemText } from '../api/client';
import { DecisionTable } from '../components/decision-table';
import { NotAllowed } from '../components/not-allowed';
import { ProblemAlert } from '../components/problem-alert';
import { Link } from '../components/link';
import { navigate } from '../route';
import { label, useTexts } from '../i18n/texts';
import { useSession } from '../session-context';
import { useWhen } from '../times';

/** What the search box looks for: a customer id (the card's address), or an identifier the API resolves (GET /v1/customers). */
type SearchKind = 'id' | 'phone' | 'email' | 'card';
type Match = Schemas['CustomerMatches']['customers'][number];

/**
 * Customers: search by id, phone, e-mail or card (the matches listed; one opens its card), then the 360° card (profile, segments, contacts, responses, the last
 * decision with each campaign's verdict and why, offers awaiting an answer) as the API gives it: masked for an analyst's key, whole for privacy's.
 */
export function CustomersPage({ id }: { id: string | undefined }) {
  const t = useTexts();
  const { api, who, may } = useSession();
  const [query, setQuery] = useState(id ?? '');
  const [kind, setKind] = useState<SearchKind>('id');
  // The box follows the address (a search, a link, Back and Forward): searching by id, it shows the id whose card and "why" are shown.
  const [shownId, setShownId] = useState(id);
  if (shownId !== id) {
    setShownId(id);
    if (kind === 'id') setQuery(id ?? '');
  }
  const [matches, setMatches] = useState<Match[] | undefined>();
  const [searching, setSearching] = useState(false);
  const [searchError, setSearchError] = useState<string>();
  const [card, setCard] = useState<Customer | undefined>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);

  const readsCards = may('getCustomer');
  const explains = may('explainDecision');
  const kinds: SearchKind[] = may('findCustomers') ? ['id', 'phone', 'email', 'card'] : ['id'];
  const search = async (value: string): Promise<void> => {
    setSearchError(undefined);
    setMatches(undefined);
    if (kind === 'id') {
      navigate({ page: 'customers', id: value });
      return;
    }
    setSearching(true);
    try {
      const r = await api.GET('/v1/customers', { params: { query: { [kind]: value } } });
      if (r.error !== undefined) {
        setSearchError(problemText(r.error));
        return;
      }
      setMatches(r.data.customers);
      const only = r.data.customers.length === 1 ? r.data.customers[0] : undefined;
      if (only !== undefined) navigate({ page: 'customers', id: only.id });
    } finally {
      setSearching(false);
    }
  };
  useEffect(() => {
    setCard(undefined);
    setError(undefined);
    if (id === undefined || !readsCards) return undefined;
    let live = true;
    setLoading(true);
    void api
      .GET('/v1/customers/{id}', { params: { path: { id } } })
      .then((r) => {
        if (!live) return;
        if (r.error !== undefined) setError(r.response.status === 404 ? t.notFound : problemText(r.error));
        else setCard(r.data);
      })
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [api, id, t, readsCards]);

  if (!readsCards && !explains) return <NotAllowed title={t.customersTitle} />;
  return (
    <section aria-labelledby="customers-title" data-state={!searching && (id === undefined || !readsCards || card !== undefined || error !== undefined) ? 'ready' : 'loading'}>
      <h1 id="customers-title">{t.customersTitle}</h1>
      <form
        role="search"
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (query.trim() !== '') void search(query.trim());
        }}
      >
        {kinds.length > 1 && (
          <>
            <label htmlFor="customer-search-kind">{t.searchBy}</label>
            <select id="customer-search-kind" value={kind} onChange={(e) => setKind(e.target.value as SearchKind)}>
              {kinds.map((k) => (
                <option key={k} value={k}>
                  {t.searchKinds[k]}
                </option>
              ))}
            </select>
          </>
        )}
        <label htmlFor="customer-id">{kind === 'id' ? t.customerId : t.searchValue}</label>
        <input
          id="customer-id"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          autoComplete="off"
          type={kind === 'email' ? 'email' : kind === 'phone' ? 'tel' : 'text'}
        />
        <button type="submit">{t.find}</button>
      </form>
      <ProblemAlert message={searchError} />
      {matches !== undefined && <Matches matches={matches} />}
      {(loading || searching) && <p>{t.loading}</p>}
      <ProblemAlert message={error} />
      {card !== undefined && <CustomerCard card={card} masked={who.role === 'analyst'} />}
      {!readsCards && <p className="muted">{t.cardNotForRole}</p>}
      {/* keyed by the id: another customer's address starts afresh, never showing the previous customer's answer */}
      {explains && id !== undefined && <WhyNot key={id} id={id} />}
    </section>
  );
}

/** The customers a phone, e-mail or card search found (one at most, as the identity index holds it; none said so). */
function Matches({ matches }: { matches: Match[] }) {
  const t = useTexts();
  if (matches.length === 0) return <p data-field="matches">{t.foundNone}</p>;
  return (
    <table className="data" data-field="matches">
      <caption>{t.foundCaption(matches.length)}</caption>
      <thead>
        <tr>
          <th scope="col">{t.customerId}</th>
          <th scope="col">{t.customerName}</th>
        </tr>
      </thead>
      <tbody>
        {matches.map((m) => (
          <tr key={m.id} data-customer={m.id}>
            <td>
              <Link to={{ page: 'customers', id: m.id }} current={false}>
                {m.id}
              </Link>
            </td>
            <td data-field="match-name">{m.name ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CustomerCard({ card: c, masked }: { card: Customer; masked: boolean }) {
  const t = useTexts();
  const when = useWhen();
  const p = c.profile;
  const name = [p.lastName, p.firstName, p.patronymic].filter((x) => x !== undefined).join(' ');
  const segments = Object.entries(c.segments);
  const ids = Object.entries(c.identifiers).filter(([, values]) => values.length > 0);
  return (
    <article aria-labelledby="card-title" className="card">
      <h2 id="card-title">
        {name === '' ? c.id : name} <span className="muted">({c.id})</span>
      </h2>
      {masked && <p className="muted">{t.maskedNote}</p>}
      <section aria-labelledby="profile-title">
        <h3 id="profile-title">{t.profile}</h3>
        <dl className="facts">
          <dt>{t.fullName}</dt>
          <dd data-field="name">{name === '' ? '—' : name}</dd>
          <dt>{t.age}</dt>
          <dd>{p.age ?? '—'}</dd>
          <dt>{t.city}</dt>
          <dd>{p.city ?? '—'}</dd>
          <dt>{t.balance}</dt>
          <dd>{p.balance === undefined ? '—' : p.balance.toLocaleString()}</dd>
          <dt>{t.stageLabel}</dt>
          <dd>{label(t.lifecycleStages, c.stage)}</dd>
        </dl>
      </section>
      <section aria-labelledby="ids-title">
        <h3 id="ids-title">{t.identifiers}</h3>
        {ids.length === 0 ? (
          <p>{t.none}</p>
        ) : (
          <dl className="facts" data-field="identifiers">
            {ids.map(([kind, values]) => (
              <div key={kind}>
                <dt>{label(t.identifierKinds, kind)}</dt>
                <dd>{values.join(', ')}</dd>
              </div>
            ))}
          </dl>
        )}
      </section>
      <section aria-labelledby="segments-title">
        <h3 id="segments-title">{t.segments}</h3>
        {segments.length === 0 ? (
          <p>{t.none}</p>
        ) : (
          <ul>
            {segments.map(([s, at]) => (
              <li key={s}>
                {s} <span className="muted">({t.enteredAt} {when(at)})</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="contacts-title">
        <h3 id="contacts-title">{t.contacts}</h3>
        {c.contacts.length === 0 ? (
          <p>{t.none}</p>
        ) : (
          <table className="data">
            <thead>
              <tr>
                <th scope="col">{t.when}</th>
                <th scope="col">{t.campaign}</th>
                <th scope="col">{t.channel}</th>
                <th scope="col">{t.delivery}</th>
                <th scope="col">{t.outcome}</th>
              </tr>
            </thead>
            <tbody>
              {c.contacts.map((x) => (
                <tr key={x.instance}>
                  <td>{when(x.at)}</td>
                  <td>{x.campaign}</td>
                  <td>{x.channel}</td>
                  <td>{label(t.deliveryStatuses, x.delivery)}</td>
                  <td>{x.outcome ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="responses-title">
        <h3 id="responses-title">{t.responses}</h3>
        {c.responses.length === 0 ? (
          <p>{t.none}</p>
        ) : (
          <table className="data">
            <thead>
              <tr>
                <th scope="col">{t.when}</th>
                <th scope="col">{t.campaign}</th>
                <th scope="col">{t.offer}</th>
                <th scope="col">{t.outcome}</th>
              </tr>
            </thead>
            <tbody>
              {c.responses.map((r) => (
                <tr key={r.id}>
                  <td>{when(r.at)}</td>
                  <td>{r.campaign}</td>
                  <td>{r.offer}</td>
                  <td>{r.outcome}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="decision-title">
        <h3 id="decision-title">{t.lastDecision}</h3>
        <DecisionTable explain={c.lastDecision} />
      </section>
      <section aria-labelledby="pending-title">
        <h3 id="pending-title">{t.pending}</h3>
        {c.pending.length === 0 ? (
          <p>{t.none}</p>
        ) : (
          <ul>
            {c.pending.map((o) => (
              <li key={o.instance}>
                {o.campaign}: {o.offer} ({o.channel}) → {when(o.expiresAt)}
              </li>
            ))}
          </ul>
        )}
      </section>
    </article>
  );
}

/** "Why / why not": the decision the customer would get now, or at a chosen moment, for an event, dry run (POST /v1/customers/{id}/explain): every campaign weighed, with its score or the rule that stopped it. */
function WhyNot({ id }: { id: string }) {
  const t = useTexts();
  const when = useWhen();
  const { api } = useSession();
  const [type, setType] = useState('ib.login');
  const [channel, setChannel] = useState('ib');
  /** a datetime-local value in the browser's zone; empty: now (the server's clock) */
  const [at, setAt] = useState('');
  const [askedAt, setAskedAt] = useState(false);
  const [result, setResult] = useState<Schemas['ExplainReply'] | undefined>();
  const [error, setError] = useState<string>();
  const ask = async (): Promise<void> => {
    setError(undefined);
    const moment = at === '' ? undefined : new Date(at).getTime();
    if (moment !== undefined && Number.isNaN(moment)) return;
    const r = await api.POST('/v1/customers/{id}/explain', {
      params: { path: { id } },
      body: { type, ...(channel === '' ? {} : { channel }), ...(moment === undefined ? {} : { at: moment }) },
    });
    if (r.error !== undefined) {
      setResult(undefined);
      setError(problemText(r.error));
    } else {
      setAskedAt(moment !== undefined);
      setResult(r.data);
    }
  };
  return (
    <section aria-labelledby="why-title" className="card">
      <h2 id="why-title">{t.whyTitle}</h2>
      <p className="muted">{t.whyIntro}</p>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void ask();
        }}
      >
        <label htmlFor="why-type">{t.eventType}</label>
        <input id="why-type" value={type} onChange={(e) => setType(e.target.value)} required />
        <label htmlFor="why-channel">{t.channel}</label>
        <input id="why-channel" value={channel} onChange={(e) => setChannel(e.target.value)} />
        <label htmlFor="why-at">{t.whyAt}</label>
        <input id="why-at" type="datetime-local" step={60} value={at} onChange={(e) => setAt(e.target.value)} aria-describedby="why-at-note" />
        <button type="submit">{t.explain}</button>
      </form>
      <p id="why-at-note" className="muted">
        {t.whyAtNote}
      </p>
      <ProblemAlert message={error} />
      {result !== undefined && (
        <div data-field="why">
          <p data-field="why-at" data-at={result.at}>
            {t.decidedAt(when(result.at))}
          </p>
          <p>
            {askedAt
              ? result.actions.length === 0
                ? t.wouldStaySilentAt
                : t.wouldOfferAt(result.actions.map((a) => `${a.offer} (${a.channel})`).join(', '))
              : result.actions.length === 0
                ? t.wouldStaySilent
                : t.wouldOffer(result.actions.map((a) => `${a.offer} (${a.channel})`).join(', '))}
          </p>
          <DecisionTable explain={result.explain} />
        </div>
      )}
    </section>
  );
}
