import type { TSchema } from '@sinclair/typebox';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { ValueError } from '@sinclair/typebox/value';
import { ValueErrorType } from '@sinclair/typebox/value';
import { invalidAt } from '../brain-error.js';
import type { CatalogDef } from './definition-schema.js';
import { CatalogDefSchema } from './definition-schema.js';

/** A schema's own messages (see definition-schema.ts). */
interface Messages {
  errorMessage?: string;
  additionalMessage?: string;
}

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
 * A JSON Pointer into `value` (`/campaigns/0/groups/1/id`) as the field path the catalog's
 * errors name (`campaigns[0].groups[1].id`): list items by index in brackets, map keys after
 * a dot; `root` when the pointer is the whole value.
 */
export function fieldPath(pointer: string, value: unknown, root: string): string {
  if (pointer === '') return root;
  let path = '';
  let at: unknown = value;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path = Array.isArray(at) ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
    at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined;
  }
  return path;
}

/** The problem a schema error reports: the schema's own message, else a plain one. */
function problemOf(error: ValueError): string {
  const schema = error.schema as TSchema & Messages;
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return schema.additionalMessage ?? `unknown field (known: ${Object.keys((schema as { properties?: object }).properties ?? {}).join(', ')})`;
    case ValueErrorType.ObjectRequiredProperty:
      return schema.errorMessage ?? 'is required';
    default:
      return schema.errorMessage ?? error.message;
  }
}

/**
 * Checks `value` against a definition schema and throws an invalid-definition BrainError
 * naming the field of the first problem (`root` names the value itself); returns the value,
 * typed, when it fits.
 */
export function checkAgainst<T extends TSchema>(schema: T, value: unknown, root: string): void {
  const checker = checkerOf(schema);
  if (checker.Check(value)) return;
  const first = firstInFieldOrder(schema, checker.Errors(value));
  if (first === undefined) return;
  throw invalidAt(fieldPath(first.path, value, root), problemOf(first));
}

/** How many errors are looked at for the first problem in field order. */
const LOOKED_AT = 64;

/**
 * The first problem as the fields are written in the schema: the checker reports an object's
 * missing fields before its present ones, so among the first problems in the object where the
 * first one is, the one whose field comes first in the schema wins.
 */
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
  const i = order.indexOf(key.replace(/~1/g, '/').replace(/~0/g, '~'));
  return i < 0 ? order.length : i;
}

/** The properties of the object schema at a JSON Pointer, following properties, list items and map values. */
function propertiesAt(schema: TSchema, pointer: string): Record<string, unknown> {
  let at: TSchema | undefined = schema;
  for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const s: Record<string, unknown> = at ?? {};
    const props = s.properties as Record<string, TSchema> | undefined;
    const pattern = s.patternProperties as Record<string, TSchema> | undefined;
    at = props?.[key] ?? (s.items as TSchema | undefined) ?? (pattern === undefined ? undefined : Object.values(pattern)[0]);
  }
  return ((at as Record<string, unknown> | undefined)?.properties as Record<string, unknown> | undefined) ?? {};
}

/** The structural check of a whole catalog definition (its shape, types and bounds), before the compilers' semantic checks. */
export function checkCatalogDefinition(def: unknown): asserts def is CatalogDef {
  checkAgainst(CatalogDefSchema, def, 'catalog');
}
