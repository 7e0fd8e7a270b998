import { CatalogError } from './catalog-error.js';
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

const PLACEHOLDER = /\{\{\s*([^}|]+?)\s*(?:\|\s*([a-zA-Z]+)\s*)?\}\}/g;

/**
 * Parses a template. `check` returns a problem for a variable path the context does not
 * offer (or undefined when the path is fine).
 */
export function compileTemplate(source: unknown, path: string, check: (variable: string) => string | undefined): CompiledTemplate {
  if (typeof source !== 'string' || source.trim() === '') throw new CatalogError(path, 'must be non-empty text');
  const parts: Array<string | Placeholder> = [];
  const variables: string[] = [];
  let last = 0;
  for (const m of source.matchAll(PLACEHOLDER)) {
    const index = m.index;
    if (index > last) parts.push(source.slice(last, index));
    const variable = (m[1] ?? '').trim();
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*(\.[a-zA-Z0-9_]+)*$/.test(variable)) {
      throw new CatalogError(path, `"{{${m[1] ?? ''}}}" is not a variable name`);
    }
    const problem = check(variable);
    if (problem !== undefined) throw new CatalogError(path, `unknown variable "${variable}": ${problem}`);
    const filter = m[2];
    if (filter !== undefined && !Object.hasOwn(templateFilters, filter)) {
      throw new CatalogError(path, `unknown filter "${filter}" (known: ${Object.keys(templateFilters).join(', ')})`);
    }
    parts.push(filter === undefined ? { path: variable.split('.') } : { path: variable.split('.'), filter: filter as TemplateFilter });
    variables.push(variable);
    last = index + m[0].length;
  }
  if (last < source.length) parts.push(source.slice(last));
  const rest = parts.filter((p): p is string => typeof p === 'string').join('');
  if (rest.includes('{{') || rest.includes('}}')) throw new CatalogError(path, 'has an unclosed or malformed "{{ }}" placeholder');
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

export function renderTemplate(t: CompiledTemplate, values: RenderValues): RenderResult {
  let out = '';
  for (const part of t.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const raw = lookup(values, part.path);
    const v = part.filter === undefined ? raw : templateFilters[part.filter](raw);
    if (v === undefined || v === null || v === '') return { ok: false, missing: part.path.join('.') };
    if (typeof v === 'number') out += formatNumber(v);
    else if (typeof v === 'string' || typeof v === 'boolean') out += String(v);
    else return { ok: false, missing: part.path.join('.') };
  }
  return { ok: true, text: out };
}
