import type { TSchema } from '@sinclair/typebox';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import { firstSchemaProblem } from '../../../actors/index.js';

/**
 * A failed schema check as the one sentence a 400 carries, naming the field the way every
 * Kairos error does: `field "caps[0].channel": must be a string, got number`. Where (`field`,
 * `query`, `path`) is the caller's; the path and the problem are the brain's (actors/schema-problem.ts),
 * the same the catalog's check reports.
 */

/**
 * The first problem of a value a compiled check refused, as `<where> "<path>": <problem>`;
 * a problem with the whole value is `<whole>: <problem>`.
 */
export function firstProblem(check: TypeCheck<TSchema>, value: unknown, where: 'field' | 'query' | 'path', whole: string): string {
  const first = firstSchemaProblem(check.Schema(), check.Errors(value), value);
  if (first === undefined) return `${whole}: does not match its schema`;
  return first.path === '' ? `${whole}: ${first.problem}` : `${where} "${first.path}": ${first.problem}`;
}
