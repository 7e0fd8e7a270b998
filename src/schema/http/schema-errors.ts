import type { TSchema } from '@sinclair/typebox';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import type { ValueError } from '@sinclair/typebox/errors';
import { ValueErrorType } from '@sinclair/typebox/errors';

/**
 * A failed schema check as the one sentence a 400 carries, naming the field the way every
 * Kairos error does: `field "caps[0].channel": must be a string, got number`. Where (`field`,
 * `query`) is the caller's; the path is the failing value's, in JavaScript notation.
 */

/** A JSON pointer (`/caps/0/channel`) as a field path (`caps[0].channel`). */
export function fieldPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out;
}

/** What a value is, for "got …". */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'a map';
  return typeof value;
}

/** The literal values a schema allows, when it is a union of literals (an enum). */
function literals(schema: TSchema): string[] | undefined {
  const anyOf = schema.anyOf as TSchema[] | undefined;
  if (anyOf === undefined || !anyOf.every((s) => s.const !== undefined)) return undefined;
  return anyOf.map((s) => String(s.const));
}

/** What is wrong with the value, in a few words. */
export function problemText(e: ValueError): string {
  const s = e.schema;
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties:
      return 'is not a field here';
    case ValueErrorType.String:
      return `must be a string, got ${kindOf(e.value)}`;
    case ValueErrorType.StringMinLength:
      return s.minLength === 1 ? 'must be a non-empty string' : `must be at least ${String(s.minLength)} characters`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${String(s.maxLength)} characters`;
    case ValueErrorType.StringPattern:
      return `must match ${String(s.pattern)}`;
    case ValueErrorType.Number:
      return `must be a number, got ${kindOf(e.value)}`;
    case ValueErrorType.Integer:
      return `must be a whole number, got ${typeof e.value === 'number' ? String(e.value) : kindOf(e.value)}`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `must be at least ${String(s.minimum)}`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `must be at most ${String(s.maximum)}`;
    case ValueErrorType.Boolean:
      return `must be true or false, got ${kindOf(e.value)}`;
    case ValueErrorType.Object:
      return `must be a map, got ${kindOf(e.value)}`;
    case ValueErrorType.Array:
      return `must be a list, got ${kindOf(e.value)}`;
    case ValueErrorType.ArrayMinItems:
      return `must hold at least ${String(s.minItems)} items`;
    case ValueErrorType.ArrayMaxItems:
      return `must hold at most ${String(s.maxItems)} items`;
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(s.const)}`;
    case ValueErrorType.Union: {
      const values = literals(s);
      return values === undefined ? e.message.toLowerCase() : `must be one of ${values.join(', ')}`;
    }
    default:
      return e.message.toLowerCase();
  }
}

/**
 * The first problem of a value a compiled check refused, as `<where> "<path>": <problem>`;
 * a problem with the whole value is `<whole>: <problem>`.
 */
export function firstProblem(check: TypeCheck<TSchema>, value: unknown, where: 'field' | 'query', whole: string): string {
  const e = check.Errors(value).First();
  if (e === undefined) return `${whole}: does not match its schema`;
  const path = fieldPath(e.path);
  return path === '' ? `${whole}: ${problemText(e)}` : `${where} "${path}": ${problemText(e)}`;
}
