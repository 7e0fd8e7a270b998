import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/**
 * What a column's value may be in JSON (`PUT`/`PATCH /v1/customers/{id}`, a line of the NDJSON
 * import), declared once: the route's schema (and so its OpenAPI document and its 400) and the
 * NDJSON reader (`read-rows.ts`, the row rejected `invalid_value`) check it, so the same value
 * gets the same verdict either way. A list is of strings (several phones, e-mails or cards;
 * an attribute's list is kept as its items joined with `|`); an object, or a list of anything
 * else, is no column's value.
 */
export const CELL_VALUE_MESSAGE = 'must be a string, a number, true or false, null, or a list of strings (several phones, e-mails or cards)';

export const CellValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null(), Type.Array(Type.String())], {
  errorMessage: CELL_VALUE_MESSAGE,
  description: 'a string, a number, a boolean, null, or a list of strings (several phones, e-mails or cards)',
});

const check = TypeCompiler.Compile(CellValue);

/** Whether a JSON value is a column's value (CellValue). */
export function isCellValue(v: unknown): boolean {
  return check.Check(v);
}
