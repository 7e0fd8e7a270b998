import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../api/client';
import { problemText } from '../api/client';
import { auditDiff } from '../audit-diff';
import { NotAllowed } from '../components/not-allowed';
import { ProblemAlert } from '../components/problem-alert';
import { label, useTexts } from '../i18n/texts';
import { useSession } from '../session-context';
import { useWhen } from '../times';

type AuditEntries = NonNullable<Awaited<ReturnType<typeof readPage>>['data']>['entries'];

/** Entries shown at first and added by "show more". */
const SHOWN = 50;
/** The most pages of 1,000 read for one view (the trail is read oldest first: docs/console.md). */
const MAX_PAGES = 50;

interface Filter {
  action: string;
  who: string;
  target: string;
}

function readPage(api: Api, f: Filter, after: number | undefined) {
  const query = {
    limit: 1000,
    ...(after === undefined ? {} : { after }),
    ...(f.action === '' ? {} : { action: f.action }),
    ...(f.who === '' ? {} : { who: f.who }),
    ...(f.target === '' ? {} : { target: f.target }),
  };
  return api.GET('/v1/audit', { params: { query } });
}

/** Every entry matching the filter, newest first (the API pages oldest first, so it is read to its end). */
async function readTrail(api: Api, f: Filter): Promise<{ entries: AuditEntries; cut: boolean }> {
  const all: AuditEntries = [];
  let after: number | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const r = await readPage(api, f, after);
    if (r.error !== undefined) throw new Error(problemText(r.error));
    all.push(...r.data.entries);
    if (r.data.next === undefined) return { entries: all.reverse(), cut: false };
    after = r.data.next;
  }
  return { entries: all.reverse(), cut: true };
}

/**
 * The audit trail (`GET /v1/audit`), newest first: when, who (the key's name and role), what
 * was done to what, and each changed field before and after; filtered by action, key and
 * target. For the roles that read it (auditor, admin).
 */
export function AuditPage() {
  const when = useWhen();
  const t = useTexts();
  const { api, may } = useSession();
  const allowed = may('listAudit');
  const [form, setForm] = useState<Filter>({ action: '', who: '', target: '' });
  const [asked, setAsked] = useState<Filter>(form);
  const [trail, setTrail] = useState<{ entries: AuditEntries; cut: boolean } | undefined>();
  const [error, setError] = useState<string>();
  const [shown, setShown] = useState(SHOWN);

  const load = useCallback(async (f: Filter) => {
    setError(undefined);
    setTrail(undefined);
    try {
      setTrail(await readTrail(api, f));
      setShown(SHOWN);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [api]);

  useEffect(() => {
    if (allowed) void load(asked);
  }, [allowed, asked, load]);

  if (!allowed) return <NotAllowed title={t.auditTitle} />;
  const field = (key: keyof Filter, text: string, hint: string) => (
    <>
      <label htmlFor={`audit-${key}`}>{text}</label>
      <input id={`audit-${key}`} value={form[key]} placeholder={hint} onChange={(e) => setForm({ ...form, [key]: e.target.value.trim() })} />
    </>
  );
  return (
    <section aria-labelledby="audit-title" data-state={trail === undefined && error === undefined ? 'loading' : 'ready'}>
      <h1 id="audit-title">{t.auditTitle}</h1>
      <p className="muted">{t.auditIntro}</p>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked({ ...form });
        }}
      >
        {field('action', t.auditAction, 'catalog.')}
        {field('who', t.auditWho, 'ivanova')}
        {field('target', t.auditTarget, 'campaigns/*')}
        <button type="submit">{t.show}</button>
      </form>
      <ProblemAlert message={error} />
      {trail === undefined && error === undefined && <p>{t.loading}</p>}
      {trail !== undefined && trail.entries.length === 0 && <p>{t.auditEmpty}</p>}
      {trail !== undefined && trail.entries.length > 0 && (
        <>
          {trail.cut && <p className="muted">{t.auditCut}</p>}
          <table className="data">
            <caption>{t.auditCaption(trail.entries.length)}</caption>
            <thead>
              <tr>
                <th scope="col">{t.when}</th>
                <th scope="col">{t.auditWho}</th>
                <th scope="col">{t.auditAction}</th>
                <th scope="col">{t.auditTarget}</th>
                <th scope="col">{t.auditChanges}</th>
              </tr>
            </thead>
            <tbody>
              {trail.entries.slice(0, shown).map((e) => {
                const changes = auditDiff(e.before, e.after);
                return (
                  <tr key={e.seq} data-seq={e.seq} data-action={e.action} data-target={e.target}>
                    <td>
                      {when(e.at)}
                      <div className="muted">#{e.seq}</div>
                    </td>
                    <td>
                      {e.who.name}
                      <div className="muted">{e.who.role === 'customer' ? t.auditCustomer : label(t.roles, e.who.role)}</div>
                    </td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td>
                      <code>{e.target}</code>
                    </td>
                    <td>
                      {changes.length === 0 ? (
                        <span className="muted">{t.auditNoChange}</span>
                      ) : (
                        <ul className="diff">
                          {changes.map((c) => (
                            <li key={c.path} data-field={c.path}>
                              {c.path !== '' && <code>{c.path}</code>}{c.path !== '' && ': '}
                              {c.before === undefined ? <span className="muted">{t.auditAbsent}</span> : <del><span className="visually-hidden">{t.auditBefore} </span>{c.before}</del>}
                              {' → '}
                              {c.after === undefined ? <span className="muted">{t.auditAbsent}</span> : <ins><span className="visually-hidden">{t.auditAfter} </span>{c.after}</ins>}
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {shown < trail.entries.length && (
            <button type="button" onClick={() => setShown(shown + SHOWN)}>
              {t.showMore}
            </button>
          )}
        </>
      )}
    </section>
  );
}
