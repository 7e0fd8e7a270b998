import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Api, Whoami } from './api/client';
import { apiClient } from './api/client';
import { warmCharts } from './components/draw-chart';
import { Link } from './components/link';
import type { Lang } from './i18n/dictionary';
import { dictionaries } from './i18n/dictionary';
import { TextsContext, initialLang, label, rememberLang, useLang, useTexts } from './i18n/texts';
import { AuditPage } from './pages/audit-page';
import { CampaignEditorPage } from './pages/campaign-editor-page';
import { CampaignPage } from './pages/campaign-page';
import { CampaignsPage } from './pages/campaigns-page';
import { CustomersPage } from './pages/customers-page';
import { PrivacyPage } from './pages/privacy-page';
import { ResultsPage } from './pages/results-page';
import { RunsPage } from './pages/runs-page';
import { SegmentPage } from './pages/segment-page';
import { SegmentsPage } from './pages/segments-page';
import { SignInPage } from './pages/sign-in-page';
import type { Route } from './route';
import { useRoute } from './route';
import type { SignInFailure } from './session';
import { forgetKey, storeKey, storedKey, storedWhoami } from './session';
import type { Session } from './session-context';
import { SessionContext, useSession } from './session-context';

/** The console: the language, the signed-in key, the header and the page the path names. */
export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((l: Lang) => {
    rememberLang(l);
    setLangState(l);
  }, []);
  useEffect(() => rememberLang(lang), [lang]);
  const texts = useMemo(() => ({ lang, texts: dictionaries[lang], setLang }), [lang, setLang]);
  return (
    <TextsContext.Provider value={texts}>
      <Console />
    </TextsContext.Provider>
  );
}

/**
 * The stored key's whoami, asked as the script starts instead of after the first render: a
 * page opened by its address (or reloaded) shows its data one render sooner. Taken once, by
 * the first sign-in with that key; an error surfaces there as the request's own would.
 */
const askWhoami = (api: Api) => api.GET('/v1/whoami');
let earlyWhoami: { key: string; answer: ReturnType<typeof askWhoami> } | undefined = (() => {
  const key = storedKey();
  if (key === undefined) return undefined;
  const answer = askWhoami(apiClient(key));
  answer.catch(() => undefined); // handled when taken
  return { key, answer };
})();

function whoami(api: Api, key: string): ReturnType<typeof askWhoami> {
  const early = earlyWhoami;
  earlyWhoami = undefined;
  return early !== undefined && early.key === key ? early.answer : askWhoami(api);
}

/** What the console does when a session's call is answered 401: its key revoked or rotated since (set by Console). */
let keyRefused: (key: string) => void = () => undefined;

function sessionOf(key: string, who: Whoami): Session {
  const allowed = new Set(who.operations);
  return { api: apiClient(key, () => keyRefused(key)), who, may: (op) => allowed.has(op) };
}

/**
 * The session this tab signed in with, from its stored key and whoami: a page opened by its
 * address (or reloaded) renders and asks for its data at once, while whoami is asked again
 * beside it (a changed answer replaces the session, a refused key signs out).
 */
function storedSession(): Session | undefined {
  const key = storedKey();
  const who = storedWhoami();
  return key === undefined || who === undefined ? undefined : sessionOf(key, who);
}

let pageKeyCount = 0;
const pageKeys = new WeakMap<Session, string>();
/** One key per session object: a new session (another answer of whoami) mounts the page anew. */
function pageKey(session: Session): string {
  let k = pageKeys.get(session);
  if (k === undefined) {
    pageKeyCount += 1;
    k = String(pageKeyCount);
    pageKeys.set(session, k);
  }
  return k;
}

function Console() {
  const t = useTexts();
  const [session, setSession] = useState<Session | undefined>(storedSession);
  /** the sign-in or sign-out last begun: an answer to an earlier one changes nothing */
  const attempt = useRef(0);
  const [checking, setChecking] = useState(() => storedKey() !== undefined);
  const [failed, setFailed] = useState<SignInFailure>();

  /** `kept`: the tab's stored key checked again (a refusal then means revoked or rotated since, as a page's own 401 says). */
  const signIn = useCallback(async (key: string, kept = false) => {
    const mine = ++attempt.current;
    setChecking(true);
    setFailed(undefined);
    let failure: SignInFailure | undefined;
    try {
      const r = await whoami(apiClient(key), key);
      if (mine !== attempt.current) return;
      if (r.data !== undefined) {
        const who: Whoami = r.data;
        storeKey(key, who);
        // The answer the stored session was built from keeps it: its page does not read its data
        // again. (A session shown is always this key's: the sign-in page, the only other caller,
        // shows when there is none; and whoami names the key.)
        setSession((s) => (s !== undefined && JSON.stringify(s.who) === JSON.stringify(who) ? s : sessionOf(key, who)));
        return;
      }
      if (r.response.status === 401) {
        // Refused (a wrong key typed, or the kept one revoked since): nothing of it kept in the
        // tab. A kept key refused says what a page's call refused says, whichever answers first.
        forgetKey();
        setSession(undefined);
        failure = kept ? 'revoked' : 'refused';
      } else failure = 'unanswered';
    } catch {
      if (mine !== attempt.current) return;
      failure = 'unanswered';
    } finally {
      if (mine === attempt.current) setChecking(false);
    }
    // Not answered (a server restarting, a proxy's 502): a session shown from the tab's stored whoami stays.
    setFailed(failure);
  }, []);

  useEffect(() => {
    const key = storedKey();
    if (key !== undefined) void signIn(key, true);
  }, [signIn]);

  useEffect(() => {
    // A call refused during use (401: the key revoked or rotated since): signed out to the
    // sign-in page, saying why, with nothing of the key kept. (A late answer to an earlier
    // key's call, after a sign-out or another sign-in, changes nothing.)
    keyRefused = (key) => {
      if (storedKey() !== key) return;
      attempt.current += 1;
      forgetKey();
      setSession(undefined);
      setChecking(false);
      setFailed('revoked');
    };
    return () => {
      keyRefused = () => undefined;
    };
  }, []);

  const signOut = (): void => {
    attempt.current += 1;
    forgetKey();
    setSession(undefined);
    setChecking(false);
    setFailed(undefined);
  };

  useEffect(() => {
    if (session?.may('getFunnel') === true) warmCharts();
  }, [session]);

  useEffect(() => {
    document.title = t.appName;
  }, [t]);

  return (
    <>
      <a className="skip" href="#main">
        {t.skipToContent}
      </a>
      <header className="top">
        <span className="brand" title={t.appName}>
          Kairos
        </span>
        {session !== undefined && (
          <SessionContext.Provider value={session}>
            <Nav />
          </SessionContext.Provider>
        )}
        <div className="who">
          {session !== undefined && (
            <>
              <span data-field="role">{t.signedInAs(session.who.name, label(t.roles, session.who.role))}</span>
              <button type="button" onClick={signOut}>
                {t.signOut}
              </button>
            </>
          )}
          <LangSwitch />
        </div>
      </header>
      <main id="main">
        {session === undefined ? (
          checking && storedKey() !== undefined ? (
            <p>{t.loading}</p>
          ) : (
            <SignInPage onKey={(k) => void signIn(k)} failed={failed} busy={checking} />
          )
        ) : (
          <SessionContext.Provider value={session}>
            {/* (a session replaced, its whoami changed, starts the page afresh: its defaults, such as today's date, are the new answer's) */}
            <Page key={pageKey(session)} />
          </SessionContext.Provider>
        )}
      </main>
    </>
  );
}

function LangSwitch() {
  const t = useTexts();
  const { lang, setLang } = useLang();
  const other: Lang = lang === 'ru' ? 'en' : 'ru';
  return (
    <button type="button" className="lang" lang={other} aria-label={t.switchLanguageLabel} onClick={() => setLang(other)}>
      {t.switchLanguage}
    </button>
  );
}

function Nav() {
  const t = useTexts();
  const route = useRoute();
  const section = (r: Route): string => (r.page === 'campaign' || r.page === 'campaign-new' || r.page === 'campaign-edit' ? 'campaigns' : r.page === 'segment' ? 'segments' : r.page);
  const { may } = useSession();
  // Only the sections the key's role may read (a section's page says so when reached by its address).
  const all: Array<{ to: Route; text: string; shown: boolean }> = [
    { to: { page: 'campaigns' }, text: t.navCampaigns, shown: may('getFunnel') },
    { to: { page: 'segments' }, text: t.navSegments, shown: may('listSegments') },
    { to: { page: 'runs' }, text: t.navRuns, shown: may('listOutboundRuns') },
    { to: { page: 'results' }, text: t.navResults, shown: may('getFunnel') },
    { to: { page: 'customers' }, text: t.navCustomers, shown: may('getCustomer') || may('explainDecision') },
    { to: { page: 'audit' }, text: t.navAudit, shown: may('listAudit') },
    { to: { page: 'privacy' }, text: t.navPrivacy, shown: may('listStopEntries') },
  ];
  const items = all.filter((i) => i.shown);
  return (
    <nav aria-label={t.navLabel}>
      <ul>
        {items.map((i) => (
          <li key={i.to.page}>
            <Link to={i.to} current={section(route) === i.to.page}>
              {i.text}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Page() {
  const route = useRoute();
  switch (route.page) {
    case 'campaigns':
      return <CampaignsPage />;
    case 'campaign':
      return <CampaignPage id={route.id} />;
    case 'campaign-new':
      return <CampaignEditorPage />;
    case 'campaign-edit':
      return <CampaignEditorPage id={route.id} />;
    case 'runs':
      return <RunsPage />;
    case 'results':
      return <ResultsPage />;
    case 'customers':
      return <CustomersPage id={route.id} />;
    case 'audit':
      return <AuditPage />;
    case 'privacy':
      return <PrivacyPage />;
    case 'segments':
      return <SegmentsPage />;
    case 'segment':
      return <SegmentPage key={route.id ?? ''} id={route.id} />;
  }
}
