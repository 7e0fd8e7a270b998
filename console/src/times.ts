import { useMemo } from 'react';
import type { Lang } from './i18n/dictionary';
import { useLang } from './i18n/texts';
import { useSession } from './session-context';

/**
 * Every date and time the console shows, formatted one way: by the language chosen (not the
 * browser's), in the bank's time zone (the policy's defaultTimezone, as GET /v1/whoami gives
 * it beside today's day), never the browser's, with the zone's offset written after it. So
 * a marketer's "today" (whoami's, the reports' days) and each time on the pages agree,
 * wherever the browser is: `07.12.2026, 11:10:20 GMT+3`, in English `7 Dec 2026, 11:10:20 GMT+3`.
 */
export function momentFormat(lang: Lang, timeZone: string | undefined): (at: number | string) => string {
  const options: Intl.DateTimeFormatOptions =
    lang === 'ru'
      ? { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }
      : { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' };
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { ...options, timeZone });
  } catch {
    // (a zone this browser does not know: its own, rather than no time at all)
    format = new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', options);
  }
  return (at) => {
    const d = new Date(at);
    return Number.isNaN(d.getTime()) ? String(at) : format.format(d);
  };
}

/** The signed-in console's formatter (the language chosen, the bank's zone): `when(at)`. */
export function useWhen(): (at: number | string) => string {
  const { lang } = useLang();
  const { who } = useSession();
  return useMemo(() => momentFormat(lang, who.timeZone), [lang, who.timeZone]);
}
