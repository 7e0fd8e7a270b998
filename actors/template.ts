import { invalidAt } from './brain-error.js';
import { formatNumber, formatPercent, formatRub, formatRubles } from './format.js';

/**
 * Message templates: text with `{{ path }}` or `{{ path | filter }}` placeholders.
 * Paths are checked when the catalog is compiled (an unknown variable is an error at save
 * time); at render time a variable without a value makes the whole message unsendable,
 * never a message with a hole in it.
 */

export const templateFilters = {
  /** 200 -> "200 рублей" */
  rubles: (v: unknown) => (typeof v === 'number' ? formatRubles(v) : undefined),
  /** 200 -> "200 ₽" */
  rub: (v: unknown) => (typeof v === 'number' ? formatRub(v) : undefined),
  /** 16.5 -> "16,5 %" */
  percent: (v: unknown) => (typeof v === 'number' ? formatPercent(v) : undefined),
  /** 1234567 -> "1 234 567" */
  number: (v: unknown) => (typeof v === 'number' ? formatNumber(v) : undefined),
} as const;
export type TemplateFilter = keyof typeof templateFilters;

interface Placeholder {
  path: readonly string[];
  filter?: TemplateFilter;
}

export interface CompiledTemplate {
  source: string;
  parts: ReadonlyArray<string | Placeholder>;
  /** the dotted variable paths the template uses */
  variables: readonly string[];
}

/** Values a template can use, as a nested object: `customer.firstName`, `vars.shortfall`. */
export type RenderValues = Readonly<Record<string, unknown>>;

/** How much of a malformed placeholder an error message quotes. */
const QUOTE_MAX = 60;

const VARIABLE = /^[a-zA-Z_][a-zA-Z0-9_]*(\.[a-zA-Z0-9_]+)*$/;

function isSpace(ch: string): boolean {
  // The same characters as the regular expression class \s (and String.prototype.trim).
  return ch.trim() === '';
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

interface Match {
  start: number;
  end: number;
  /** the text between `{{` and `}}` or `|`, spaces around it removed (its last space when it is all spaces) */
  variable: string;
  filter?: string;
}

/**
 * Finds the placeholders of a template in one pass, left to right: a placeholder is `{{`,
 * then at least one character other than `}` and `|` (the variable, spaces around it
 * ignored), then optionally `|` and a filter name of letters, spaces around it, then `}}`.
 * A `{{` that does not open such a placeholder is skipped, and the search goes on from the
 * next character, as a global regular expression would; unlike one, this takes time linear
 * in the template's length whatever it holds (a backtracking pattern took seconds on `{{`
 * and a few thousand spaces). Where the variable ends depends only on the first `}` or `|`
 * after the `{{`, so that position and what follows it are worked out once, not per `{{`.
 */
function scanPlaceholders(source: string): Match[] {
  const matches: Match[] = [];
  const n = source.length;
  /** the first `}` or `|` after the current `{{` (n when there is none) */
  let stop = -1;
  /** the end of the filter part that starts at `stop` when it is `|`, and the filter; end -1 when it is malformed */
  let filterAt = -1;
  let filterEnd = -1;
  let filterName = '';
  let pos = 0;
  for (;;) {
    const i = source.indexOf('{{', pos);
    if (i < 0) break;
    const from = i + 2;
    // `from` only grows: the last answer holds while it is not behind `from` (nothing
    // between the two is a stop), so each character is looked at once.
    if (from > stop) {
      let j = from;
      while (j < n && source[j] !== '}' && source[j] !== '|') j++;
      stop = j;
    }
    pos = i + 1;
    if (stop === from || stop >= n) continue;
    let end = -1;
    let filter: string | undefined;
    if (source[stop] === '}') {
      if (source[stop + 1] === '}') end = stop + 2;
    } else {
      if (filterAt !== stop) {
        filterAt = stop;
        filterEnd = -1;
        let k = stop + 1;
        while (k < n && isSpace(source[k] ?? '')) k++;
        const nameStart = k;
        while (k < n && isLetter(source.charCodeAt(k))) k++;
        filterName = source.slice(nameStart, k);
        while (k < n && isSpace(source[k] ?? '')) k++;
        if (filterName !== '' && source[k] === '}' && source[k + 1] === '}') filterEnd = k + 2;
      }
      if (filterEnd >= 0) {
        end = filterEnd;
        filter = filterName;
      }
    }
    if (end < 0) continue;
    const inner = source.slice(from, stop);
    const trimmed = inner.trim();
    const m: Match = { start: i, end, variable: trimmed === '' ? inner.slice(-1) : trimmed };
    if (filter !== undefined) m.filter = filter;
    matches.push(m);
    pos = end;
  }
  return matches;
}

function quote(text: string): string {
  return text.length <= QUOTE_MAX ? text : `${text.slice(0, QUOTE_MAX)}…`;
}

/**
 * Parses a template. `check` returns a problem for a variable path the context does not
 * offer (or undefined when the path is fine).
 */
export function compileTemplate(source: unknown, path: string, check: (variable: string) => string | undefined): CompiledTemplate {
  if (typeof source !== 'string' || source.trim() === '') throw invalidAt(path, 'must be non-empty text');
  const parts: Array<string | Placeholder> = [];
  const variables: string[] = [];
  let last = 0;
  for (const m of scanPlaceholders(source)) {
    if (m.start > last) parts.push(source.slice(last, m.start));
    const variable = m.variable.trim();
    if (!VARIABLE.test(variable)) {
      throw invalidAt(path, `"{{${quote(m.variable)}}}" is not a variable name`);
    }
    const problem = check(variable);
    if (problem !== undefined) throw invalidAt(path, `unknown variable "${variable}": ${problem}`);
    const filter = m.filter;
    if (filter !== undefined && !Object.hasOwn(templateFilters, filter)) {
      throw invalidAt(path, `unknown filter "${quote(filter)}" (known: ${Object.keys(templateFilters).join(', ')})`);
    }
    parts.push(filter === undefined ? { path: variable.split('.') } : { path: variable.split('.'), filter: filter as TemplateFilter });
    variables.push(variable);
    last = m.end;
  }
  if (last < source.length) parts.push(source.slice(last));
  const rest = parts.filter((p): p is string => typeof p === 'string').join('');
  if (rest.includes('{{') || rest.includes('}}')) throw invalidAt(path, 'has an unclosed or malformed "{{ }}" placeholder');
  return { source, parts, variables };
}

function lookup(values: RenderValues, path: readonly string[]): unknown {
  let cur: unknown = values;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

export type RenderResult = { ok: true; text: string } | { ok: false; missing: string };

/**
 * The template with its values. An `opaque` value (a masked customer's `***`) is printed as it
 * is whatever the filter: a filter would find no number in it, and the message no hole.
 */
export function renderTemplate(t: CompiledTemplate, values: RenderValues, opaque?: string): RenderResult {
  let out = '';
  for (const part of t.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const raw = lookup(values, part.path);
    const v = part.filter === undefined || (opaque !== undefined && raw === opaque) ? raw : templateFilters[part.filter](raw);
    if (v === undefined || v === null || v === '') return { ok: false, missing: part.path.join('.') };
    if (typeof v === 'number') out += formatNumber(v);
    else if (typeof v === 'string' || typeof v === 'boolean') out += String(v);
    else return { ok: false, missing: part.path.join('.') };
  }
  return { ok: true, text: out };
}
