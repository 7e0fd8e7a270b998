import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BrainError, invalidAt } from './brain-error.js';
import type { CompiledTemplate } from './template.js';
import { compileTemplate } from './template.js';

/**
 * Template parsing takes time linear in the template, whatever it holds, and accepts the
 * same templates as the regular expression it replaced (kept here as the reference: it is
 * fine on short texts, and backtracked for seconds on `{{` and a few thousand spaces).
 */

const anyVar = (): undefined => undefined;
const onlyCustomerName = (v: string): string | undefined => (v === 'customer.name' ? undefined : 'customer has name');

/** The former parser, verbatim but for its pattern's name. */
function referenceCompile(source: string, path: string, check: (variable: string) => string | undefined): CompiledTemplate {
  const PLACEHOLDER = /\{\{\s*([^}|]+?)\s*(?:\|\s*([a-zA-Z]+)\s*)?\}\}/g;
  const filters = ['rubles', 'rub', 'percent', 'number'];
  if (source.trim() === '') throw invalidAt(path, 'must be non-empty text');
  const parts: Array<string | { path: readonly string[]; filter?: string }> = [];
  const variables: string[] = [];
  let last = 0;
  for (const m of source.matchAll(PLACEHOLDER)) {
    const index = m.index;
    if (index > last) parts.push(source.slice(last, index));
    const variable = (m[1] ?? '').trim();
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*(\.[a-zA-Z0-9_]+)*$/.test(variable)) throw invalidAt(path, `"{{${m[1] ?? ''}}}" is not a variable name`);
    const problem = check(variable);
    if (problem !== undefined) throw invalidAt(path, `unknown variable "${variable}": ${problem}`);
    const filter = m[2];
    if (filter !== undefined && !filters.includes(filter)) throw invalidAt(path, `unknown filter "${filter}" (known: ${filters.join(', ')})`);
    parts.push(filter === undefined ? { path: variable.split('.') } : { path: variable.split('.'), filter });
    variables.push(variable);
    last = index + m[0].length;
  }
  if (last < source.length) parts.push(source.slice(last));
  const rest = parts.filter((p): p is string => typeof p === 'string').join('');
  if (rest.includes('{{') || rest.includes('}}')) throw invalidAt(path, 'has an unclosed or malformed "{{ }}" placeholder');
  return { source, parts: parts as CompiledTemplate['parts'], variables };
}

function outcome(compile: () => CompiledTemplate): unknown {
  try {
    const t = compile();
    return { parts: t.parts, variables: t.variables };
  } catch (err) {
    if (err instanceof BrainError) return { error: err.message };
    throw err;
  }
}

const templateChars = fc.constantFrom('{', '}', '|', ' ', '\t', 'a', 'b', 'Z', '_', '.', '1', 'r', 'u', 'b', 'x', 'Я');
const templateText = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: templateChars, maxLength }),
    fc.array(fc.constantFrom('{{', '}}', '{{ customer.name }}', '{{a|rub}}', '| rubles ', '{{ x |', ' ', 'text', '.', '{', '}'), { maxLength: 12 }).map((xs) => xs.join('').slice(0, maxLength)),
  );

describe('template parsing', () => {
  it('never throws anything but a BrainError, whatever the text', () => {
    fc.assert(
      fc.property(templateText(200), (text) => {
        for (const check of [anyVar, onlyCustomerName]) {
          try {
            compileTemplate(text, 'x', check);
          } catch (err) {
            if (!(err instanceof BrainError)) throw err;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts and refuses exactly what the former pattern did, with the same messages', () => {
    fc.assert(
      fc.property(templateText(40), (text) => {
        for (const check of [anyVar, onlyCustomerName]) {
          expect(outcome(() => compileTemplate(text, 'x', check))).toEqual(outcome(() => referenceCompile(text, 'x', check)));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with the former pattern on chosen cases', () => {
    const cases = [
      '{{ }}', '{{}}', '{{a}}}', '{{{a}}', '{{{{a}}}}', '{{a|}}', '{{a| rub }}', '{{a|rub x}}', '{{a|b|c}}', '{{ a } {{b c}}', '{{a}} {{', 'a }} b',
      '{{customer.name|rubles}}', '{{ customer . name }}', '{{1a}}', '{{a..b}}', '{{a|Rub}}', '{ {a}}', '{{a}', '{{\u00a0a\u00a0}}', '{{a|\u00a0rub\u00a0}}',
    ];
    for (const text of cases) expect(outcome(() => compileTemplate(text, 'x', anyVar)), text).toEqual(outcome(() => referenceCompile(text, 'x', anyVar)));
  });

  it('refuses pathological templates of 60,000 characters at once, naming the problem', () => {
    const n = 60_000;
    const cases: Array<[string, RegExp]> = [
      [`{{${' '.repeat(n)}`, /unclosed or malformed/],
      [`{{a${' '.repeat(n)}`, /unclosed or malformed/],
      ['{{'.repeat(n / 2), /unclosed or malformed/],
      [`${'{{'.repeat(n / 4)}a${' '.repeat(n / 2)}`, /unclosed or malformed/],
      [`{{ x |${' '.repeat(n)}`, /unclosed or malformed/],
      [`${'{{ x |'.repeat(n / 6)}`, /unclosed or malformed/],
      [`{{ x |${' '.repeat(n)}}}`, /unclosed or malformed/],
      [`{{ x | rub${' '.repeat(n)}}`, /unclosed or malformed/],
      [`{{ customer.name | ${'r'.repeat(n)} }}`, /unknown filter "r{60}…"/],
      [`{{${' '.repeat(n)}x${' '.repeat(n)}}}`, /unknown variable "x"/],
      [`{{${' '.repeat(n)}}}`, /^x: "\{\{ \}\}" is not a variable name$/],
      [`{{${'a b '.repeat(n / 4)}}}`, /^x: "\{\{a b a b .{52}…\}\}" is not a variable name$/],
      [`{{${'{'.repeat(n)}}}`, /is not a variable name/],
      ['}}'.repeat(n / 2), /unclosed or malformed/],
      [`${'{{ customer.name }}'.repeat(n / 19)}{{`, /unclosed or malformed/],
    ];
    for (const [text, problem] of cases) {
      let error: unknown;
      try {
        compileTemplate(text, 'x', onlyCustomerName);
      } catch (err) {
        error = err;
      }
      expect(error, text.slice(0, 20)).toBeInstanceOf(BrainError);
      expect((error as BrainError).message, text.slice(0, 20)).toMatch(problem);
    }
    // Long but well-formed: compiles, every placeholder found.
    const long = compileTemplate('{{ customer.name }} и '.repeat(n / 22), 'x', onlyCustomerName);
    expect(long.variables.length).toBe(Math.floor(n / 22));
  });
});
