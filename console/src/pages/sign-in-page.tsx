import { useState } from 'react';
import { useTexts } from '../i18n/texts';
import type { SignInFailure } from '../session';

/** Sign-in: an API key, checked with GET /v1/whoami before it is kept; a refused key and a server that did not answer are told apart. */
export function SignInPage({ onKey, failed, busy }: { onKey: (key: string) => void; failed: SignInFailure | undefined; busy: boolean }) {
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
      {failed !== undefined && (
        <div className="alert" role="alert">
          {failed === 'refused' ? t.wrongKey : failed === 'revoked' ? t.keyRevoked : t.keyUnchecked}
        </div>
      )}
    </section>
  );
}
