import { createContext, useContext } from 'react';
import type { Lang, Texts } from './dictionary';
import { dictionaries } from './dictionary';

/** The language chosen (Russian by default, remembered in this browser) and its texts, for every component. */

const LANG_KEY = 'kairos.console.lang';

export function initialLang(): Lang {
  return localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'ru';
}

export function rememberLang(lang: Lang): void {
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang;
}

export const TextsContext = createContext<{ lang: Lang; texts: Texts; setLang: (l: Lang) => void }>({ lang: 'ru', texts: dictionaries.ru, setLang: () => undefined });

export function useTexts(): Texts {
  return useContext(TextsContext).texts;
}

export function useLang(): { lang: Lang; setLang: (l: Lang) => void } {
  const { lang, setLang } = useContext(TextsContext);
  return { lang, setLang };
}

/** A value's label from one of the dictionary's maps (statuses, roles, stages); the value itself when the map has none. */
export function label<M extends object>(map: M, key: string): string {
  const found = (map as Record<string, unknown>)[key];
  return typeof found === 'string' ? found : key;
}
