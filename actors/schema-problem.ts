import type { TSchema } from '@sinclair/typebox';
import type { ValueError } from '@sinclair/typebox/errors';
import { ValueErrorType } from '@sinclair/typebox/errors';

/**
 * A failed schema check as the problem Kairos reports, naming the field the way every Kairos
 * error does: `caps[0].channel` and `must be a string, got number`. One implementation for the
 * catalog's structural check (catalog/definition-check.ts) and the admin API's 400 answers
 * (src/schema/http/schema-errors.ts), so a field reads the same wherever it is checked.
 *
 * A schema may carry its own words, Kairos keywords that are not JSON Schema (generated
 * documents leave them out, `schemaOwnKeywords`):
 * - `errorMessage`: the problem for any failure of the field (a missing one included);
 * - `patternMessage`: the problem when a string does not match its `pattern` (what the
 *   pattern asks for, in words, instead of the regular expression);
 * - `additionalMessage`: on an object, the problem for a field it does not know.
 */

/** A schema's own messages. */
export interface SchemaMessages {
  errorMessage?: string;
  patternMessage?: string;
  additionalMessage?: string;
}

/** The schema keywords that are Kairos's own (messages for the checks), not JSON Schema. */
export const schemaOwnKeywords: ReadonlySet<string> = new Set(['errorMessage', 'patternMessage', 'additionalMessage']);

/** A problem found: the field at fault (`''` for the whole value) and what is wrong with it. */
export interface SchemaProblem {
  path: string;
  problem: string;
}

function unescape(part: string): string {
  return part.replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * A JSON Pointer into `value` (`/campaigns/0/groups/1/id`) as a field path
 * (`campaigns[0].groups[1].id`): list items by index in brackets, map keys after a dot; `''`
 * when the pointer is the whole value. Where the value is not a list (a missing one), a
 * numeric part is an index too.
 */
export function fieldPath(pointer: string, value: unknown): string {
  if (pointer === '') return '';
  let path = '';
  let at: unknown = value;
  for (const raw of pointer.slice(1).split('/')) {
    const key = unescape(raw);
    const index = Array.isArray(at) || (typeof at !== 'object' && /^\d+$/.test(key));
    path = index ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
    at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined;
  }
  return path;
}

/** What a value is, for "got …". */
/** What a value of the wrong kind is, in JSON's terms (never a JavaScript type name such as bigint). */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'bigint') return `${value}, an integer beyond ±(2^53 − 1)`;
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value}, not a finite number`;
  return typeof value;
}

/** The literal values a schema allows, when it is a union of literals (an enum). */
function literals(schema: TSchema): string[] | undefined {
  const anyOf = schema.anyOf as TSchema[] | undefined;
  if (anyOf === undefined || !anyOf.every((s) => s.const !== undefined)) return undefined;
  return anyOf.map((s) => String(s.const));
}

/** What is wrong with the value, in a few words: the schema's own message, else a plain one. */
export function problemText(e: ValueError): string {
  const s = e.schema as TSchema & SchemaMessages;
  if (e.type === ValueErrorType.ObjectAdditionalProperties) {
    return s.additionalMessage ?? `unknown field (known: ${Object.keys((s.properties ?? {}) as object).join(', ')})`;
  }
  if (s.errorMessage !== undefined) return s.errorMessage;
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.String:
      return `must be a string, got ${kindOf(e.value)}`;
    case ValueErrorType.StringMinLength:
      return s.minLength === 1 ? 'must be a non-empty string' : `must be at least ${String(s.minLength)} characters`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${String(s.maxLength)} characters`;
    case ValueErrorType.StringPattern:
      return s.patternMessage ?? `must match ${String(s.pattern)}`;
    case ValueErrorType.Number:
      return `must be a number, got ${kindOf(e.value)}`;
    case ValueErrorType.Integer:
      return `must be a whole number, got ${typeof e.value === 'number' && Number.isFinite(e.value) ? String(e.value) : kindOf(e.value)}`;
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
      // The other kinds of failure (formats, tuples, uniqueness…): TypeBox's own words.
      return e.message.toLowerCase();
  }
}

/** How many errors are looked at for the first problem in field order. */
const LOOKED_AT = 64;

/**
 * The first problem of a value `schema` refused, given the checker's errors for it, as the
 * fields are written in the schema: the checker reports an object's missing fields before its
 * present ones, so among the first problems in the object where the first one is, the one
 * whose field comes first in the schema wins. Undefined when there is no error.
 */
export function firstSchemaProblem(schema: TSchema, errors: Iterable<ValueError>, value: unknown): SchemaProblem | undefined {
  const first = firstInFieldOrder(schema, errors);
  return first === undefined ? undefined : { path: fieldPath(first.path, value), problem: problemText(first) };
}

function firstInFieldOrder(schema: TSchema, errors: Iterable<ValueError>): ValueError | undefined {
  let first: ValueError | undefined;
  let parent = '';
  let order: string[] = [];
  let best = Number.POSITIVE_INFINITY;
  let n = 0;
  for (const e of errors) {
    if (first === undefined) {
      first = e;
      parent = e.path.slice(0, e.path.lastIndexOf('/'));
      order = Object.keys(propertiesAt(schema, parent));
      best = rank(order, e.path, parent);
      continue;
    }
    if (++n > LOOKED_AT) break;
    if (!e.path.startsWith(`${parent}/`)) continue;
    const r = rank(order, e.path, parent);
    if (r < best) {
      first = e;
      best = r;
    }
  }
  return first;
}

/** The position in `order` of the field under `parent` that `path` is in (the end when unknown). */
function rank(order: readonly string[], path: string, parent: string): number {
  const key = path.slice(parent.length + 1).split('/')[0] ?? '';
  const i = order.indexOf(unescape(key));
  return i < 0 ? order.length : i;
}

/** The properties of the object schema at a JSON Pointer, following properties, list items and map values. */
function propertiesAt(schema: TSchema, pointer: string): Record<string, unknown> {
  let at: TSchema | undefined = schema;
  for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
    const key = unescape(raw);
    const s: Record<string, unknown> = at ?? {};
    const props = s.properties as Record<string, TSchema> | undefined;
    const pattern = s.patternProperties as Record<string, TSchema> | undefined;
    at = props?.[key] ?? (s.items as TSchema | undefined) ?? (pattern === undefined ? undefined : Object.values(pattern)[0]);
  }
  return ((at as Record<string, unknown> | undefined)?.properties as Record<string, unknown> | undefined) ?? {};
}
