import { useState } from 'react';
import { useTexts } from '../i18n/texts';

/** Sign-in: an API key, checked with GET /v1/whoami before it is kept. */
export function SignInPage({ onKey, failed, busy }: { onKey: (key: string) => void; failed: boolean; busy: boolean }) {
  const t = useTexts();
  const [key, setKey] = useState('');
  return (
    <section aria-labelledby="sign-in-title" className="sign-in" data-state="ready">
      <h1 id="sign-in-title">{t.signInTitle}</h1>
      <p>{t.signInIntro}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim() !== '') onKey(key.trim());
        }}
      >
        <label htmlFor="api-key">{t.apiKey}</label>
        <input id="api-key" type="password" autoComplete="current-password" value={key} onChange={(e) => setKey(e.target.value)} required />
        <button type="submit" disabled={busy}>
          {busy ? t.signingIn : t.signIn}
        </button>
      </form>
      {failed && (
        <div className="alert" role="alert">
          {t.wrongKey}
        </div>
      )}
    </section>
  );
}
