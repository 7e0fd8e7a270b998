import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { isUtf8 } from 'node:buffer';
import { duplicateJsonKey, keyGivenTwice } from '../../duplicate-json-key.js';
import { KairosError } from '../../errors.js';
import type { HttpCall, HttpReply, Route, RouteParams } from '../../transport/http.js';
import { json, noContent } from '../../transport/http.js';
import type { BodySpec, MediaType, OperationSpec } from './operation.js';
import { firstProblem } from './schema-errors.js';
import { invalidUtf8At, wellFormed } from '../../well-formed-text.js';

/**
 * An operation bound to its handler: the route the server dispatches to. The binding checks
 * what comes in against the declaration with TypeBox's compiled checkers (path parameters,
 * query, body: its media type, then its shape), so a handler receives typed values and keeps
 * only the checks a schema cannot say (references, bounds across fields, what the store
 * holds); the handler's reply is typed by the declared responses.
 */

type StaticOr<T, Default> = T extends TSchema ? Static<T> : Default;

/** What a handler receives: checked, typed values, and the call for the rest (credentials, Accept). */
export interface RouteInput<O extends OperationSpec> {
  params: StaticOr<O['params'], Record<string, never>>;
  query: StaticOr<O['query'], Record<string, never>>;
  body: O['body'] extends BodySpec ? Static<O['body']['schema']> : undefined;
  call: HttpCall;
}

type DeclaredReplies<R> = {
  [S in keyof R & number]: R[S] extends { schema: infer X extends TSchema } ? { status: S; body: Static<X> } : { status: S };
}[keyof R & number];

/** What a handler answers: one of the declared replies (as JSON), or a reply in another declared media type. */
export type RouteOutput<O extends OperationSpec> = DeclaredReplies<O['responses']> | { raw: HttpReply };

export type RouteHandler<O extends OperationSpec> = (input: RouteInput<O>) => RouteOutput<O> | Promise<RouteOutput<O>>;

/** How a body in a media type other than JSON becomes a value (YAML for catalogs). */
export type BodyParsers = Partial<Record<MediaType, (text: string) => unknown>>;

function mediaOf(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** The YAML media types, all spelt as application/yaml in the document. */
const yamlAliases = new Set(['application/yaml', 'text/yaml', 'application/x-yaml']);

function parseBody(call: HttpCall, spec: BodySpec, parsers: BodyParsers): unknown {
  const media = mediaOf(call.contentType);
  const declared = yamlAliases.has(media) ? 'application/yaml' : media;
  if (!(spec.media as readonly string[]).includes(declared)) {
    throw new KairosError('unsupported_media_type', `send the body as ${spec.media.join(' or ')}`);
  }
  // bytes that are not UTF-8 would be read as U+FFFD and kept as garbage: refused, named
  if (!isUtf8(call.body)) throw new KairosError('invalid', `body is not valid UTF-8 (byte ${invalidUtf8At(call.body, 0, call.body.byteLength)}): send the text in UTF-8`);
  const text = call.body.toString('utf8');
  if (declared === 'application/json') {
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch (err) {
      throw new KairosError('invalid', `body is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    // a key twice: JSON.parse kept the last, another reader of the text may keep the first
    const twice = duplicateJsonKey(text);
    if (twice !== undefined) throw new KairosError('invalid', `body: ${keyGivenTwice(twice)}`);
    // a lone surrogate comes only from an escape (`"\ud800"`): no text, stored it would become U+FFFD
    if (SURROGATE_ESCAPE.test(text)) {
      const at = loneSurrogateAt(value, '');
      if (at !== undefined) throw new KairosError('invalid', `${at === '' ? 'body' : `field "${at}"`}: holds a lone surrogate (an escape such as \\ud800 without its pair), which is no text`);
    }
    return value;
  }
  const parse = parsers[declared as MediaType];
  if (parse === undefined) throw new KairosError('internal', `no parser for a ${declared} body`);
  return parse(text);
}

/** A surrogate's escape in JSON text (`\ud800` to `\udfff`): a lone one may follow. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** Where a parsed JSON value holds a string (or a key) with a lone surrogate: its path, '' the whole; undefined: nowhere. */
function loneSurrogateAt(v: unknown, path: string): string | undefined {
  if (typeof v === 'string') return wellFormed(v) ? undefined : path;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const at = loneSurrogateAt(v[i], `${path}[${i}]`);
      if (at !== undefined) return at;
    }
    return undefined;
  }
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const here = path === '' ? k : `${path}.${k}`;
      if (!wellFormed(k)) return here;
      const at = loneSurrogateAt(x, here);
      if (at !== undefined) return at;
    }
  }
  return undefined;
}

/** How an integer query parameter is written: digits, with a minus before them or not. */
const WHOLE_NUMBER = /^-?[0-9]+$/;

/** A query value as a refusal quotes it: in JSON quotes, cut after 40 characters. */
function quoted(v: string): string {
  return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
}

/**
 * The query's declared parameters (the first value of each), converted to their schemas' types
 * where they say numbers. An integer parameter must be written as a whole number: TypeBox's
 * conversion would read "1.8e12", "1e3" and "2.9" as 1, 1 and 2 (a 400 names it instead). A
 * parameter the route does not declare is refused, named with those it takes: ignored, a
 * misspelt or guessed filter (`?run=` on the funnel) would answer as if there were none. Not on
 * a route without credentials (`strict` false: the unsubscribe link a customer follows, which a
 * mail client's link tracker may add its own parameters to).
 */
function queryValue(query: URLSearchParams, schema: TSchema, strict: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const properties = (schema.properties ?? {}) as Record<string, TSchema>;
  for (const name of strict ? query.keys() : []) {
    if (Object.hasOwn(properties, name)) continue;
    const names = Object.keys(properties);
    throw new KairosError('invalid', `query ${quoted(name)}: unknown parameter${names.length === 0 ? ': this route takes none' : ` (this route takes ${names.join(', ')})`}`);
  }
  for (const [name, property] of Object.entries(properties)) {
    const v = query.get(name);
    if (v === null) continue;
    if (property.type === 'integer' && !WHOLE_NUMBER.test(v)) throw new KairosError('invalid', `query "${name}": must be a whole number, got ${quoted(v)}`);
    out[name] = v;
  }
  return Value.Convert(schema, out) as Record<string, unknown>;
}

function check(compiled: TypeCheck<TSchema> | undefined, value: unknown, where: 'field' | 'query' | 'path', whole: string): void {
  if (compiled !== undefined && !compiled.Check(value)) throw new KairosError('invalid', firstProblem(compiled, value, where, whole));
}

function toReply(out: { raw: HttpReply } | { status: number; body?: unknown }): HttpReply {
  if ('raw' in out) return out.raw;
  if (!('body' in out)) return out.status === 204 ? noContent() : { status: out.status, contentType: 'text/plain', body: '' };
  return json(out.status, out.body);
}

/** Binds a declared operation to its handler (and the parsers of any non-JSON body media it accepts). */
export function route<const O extends OperationSpec>(op: O, handler: NoInfer<RouteHandler<O>>, parsers: BodyParsers = {}): Route {
  const params = op.params === undefined ? undefined : TypeCompiler.Compile(op.params);
  const query = op.query === undefined ? undefined : TypeCompiler.Compile(op.query);
  const body = op.body === undefined || op.body.checkedBy === 'service' ? undefined : TypeCompiler.Compile(op.body.schema);
  const handle = async (call: HttpCall, raw: RouteParams): Promise<HttpReply> => {
    check(params, raw, 'path', 'path');
    const q = op.query === undefined ? {} : queryValue(call.query, op.query, op.auth !== 'none');
    check(query, q, 'query', 'query');
    let b: unknown;
    if (op.body !== undefined) {
      b = parseBody(call, op.body, parsers);
      check(body, b, 'field', 'body');
    }
    const input = { params: raw, query: q, body: b, call } as RouteInput<O>;
    return toReply(await handler(input));
  };
  return { operation: op, handle };
}
