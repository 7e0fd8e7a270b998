import type { TSchema } from '@sinclair/typebox';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { invalidAt } from '../brain-error.js';
import { firstSchemaProblem } from '../schema-problem.js';
import type { CatalogDef } from './definition-schema.js';
import { CatalogDefSchema } from './definition-schema.js';

const checkers = new WeakMap<TSchema, TypeCheck<TSchema>>();

/** The compiled checker of a schema, compiled once. */
function checkerOf<T extends TSchema>(schema: T): TypeCheck<T> {
  let checker = checkers.get(schema);
  if (checker === undefined) {
    checker = TypeCompiler.Compile(schema);
    checkers.set(schema, checker);
  }
  return checker as TypeCheck<T>;
}

/**
 * Checks `value` against a definition schema and throws an invalid-definition BrainError
 * naming the field of the first problem (`root` names the value itself); returns the value,
 * typed, when it fits.
 */
export function checkAgainst<T extends TSchema>(schema: T, value: unknown, root: string): void {
  const checker = checkerOf(schema);
  if (checker.Check(value)) return;
  const first = firstSchemaProblem(schema, checker.Errors(value), value);
  if (first === undefined) return;
  throw invalidAt(first.path === '' ? root : first.path, first.problem);
}

/** The structural check of a whole catalog definition (its shape, types and bounds), before the compilers' semantic checks. */
export function checkCatalogDefinition(def: unknown): asserts def is CatalogDef {
  checkAgainst(CatalogDefSchema, def, 'catalog');
}
