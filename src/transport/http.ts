import { STATUS_CODES } from 'node:http';
import type { ErrorCode } from '../errors.js';
import { KairosError, errorCatalog } from '../errors.js';
import type { OperationSpec } from '../schema/http/operation.js';
import type { Problem } from '../schema/http/problem.js';
import { PROBLEM_MEDIA_TYPE, problemBody } from '../schema/http/problem.js';
import type { StreamedBody } from './body-stream.js';
import type { Principal } from './principal.js';

export type { Auth, HttpMethod } from '../schema/http/operation.js';

/**
 * HTTP requests and replies as plain values, so routes are written without uWS: the server
 * copies what it needs out of uWS's request synchronously, reads the body, and writes the
 * reply back corked.
 */
export interface HttpCall {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  /** who the credentials name, once checked (undefined on routes without auth) */
  principal?: Principal;
  contentType: string;
  accept: string;
  /** the client's address as uWS sees it (the TCP peer, not X-Forwarded-For); undefined once the client went away */
  remote?: () => string | undefined;
  body: Buffer;
  /**
   * The body as it arrives, on an operation whose body is `streamed` (then `body` is empty and
   * the payload limit does not apply): chunks in order, with backpressure (the connection is
   * paused while the handler is behind); it throws when the client goes away before the end.
   */
  bodyStream?: StreamedBody;
}

export interface HttpReply {
  status: number;
  contentType: string;
  body: string | Uint8Array;
  headers?: Readonly<Record<string, string>>;
  /** a reply written as it is made (chunked): `body` first, then each chunk; when the client goes away the iteration is ended early */
  stream?: AsyncIterable<string>;
}

/**
 * The headers of every reply under `/v1` (the API's JSON, CSV, NDJSON and its errors): many
 * carry personal data (a card, a call list, an export), which no browser or proxy should keep
 * (`no-store`) nor read as another type than the one sent (`nosniff`, as the console's files).
 */
export const API_REPLY_HEADERS: Readonly<Record<string, string>> = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

/** Whether a request path is the API's (`/v1` and below): its replies carry {@link API_REPLY_HEADERS}. */
export function isApiPath(path: string): boolean {
  return path === '/v1' || path.startsWith('/v1/');
}

/** A reply with {@link API_REPLY_HEADERS}; a header the route set itself is kept. */
export function withApiHeaders(r: HttpReply): HttpReply {
  return { ...r, headers: { ...API_REPLY_HEADERS, ...r.headers } };
}

/** A route's path parameters by name, percent-decoded once (by the router, never by a handler). */
export type RouteParams = Readonly<Record<string, string>>;

/** An operation and its handler: what the router takes. The method, path and who may call come from the operation, declared once there. */
export interface Route {
  /** the operation the route answers: its method, path (`/v1/customers/:id`), auth, schemas and replies */
  operation: OperationSpec;
  handle: (call: HttpCall, params: RouteParams) => Promise<HttpReply> | HttpReply;
}

/**
 * The status line's reason phrase: Node's table (RFC 9110's phrases), which holds every status
 * the server sends (the routes' replies and the error catalog's, 403, 502 and 202 among them).
 */
export function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
}

export function json(status: number, value: unknown): HttpReply {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(value) };
}

export function noContent(): HttpReply {
  return { status: 204, contentType: 'text/plain', body: '' };
}

/** The extension members a problem may carry beside `code`, each declared (optional) in the problem schema: `re`, the event's id. */
export type ProblemExtensions = Pick<Problem, 're'>;

/**
 * An error as an HTTP reply: RFC 9457 `application/problem+json`, `{type, title, status,
 * detail, code}` and any `extensions` (`re` for an event), the same on every route; internal
 * details stay in the log.
 */
export function errorReply(err: KairosError | ErrorCode, message?: string, extensions: ProblemExtensions = {}): HttpReply {
  const e = typeof err === 'string' ? new KairosError(err, message) : err;
  const headers: Record<string, string> = e.code === 'unauthorized' ? { 'WWW-Authenticate': 'Bearer realm="kairos"' } : {};
  return { status: errorCatalog[e.code].status, contentType: PROBLEM_MEDIA_TYPE, body: JSON.stringify({ ...problemBody(e.code, e.publicMessage), ...extensions }), headers };
}

/** How much of a malformed path segment an error message quotes. */
const SEGMENT_QUOTE_MAX = 80;

/**
 * The longest path parameter, decoded, in characters: above the longest identifier anything
 * stores (a frame's offer instance, 300), and short enough for any store's key.
 */
export const MAX_PATH_SEGMENT_LENGTH = 300;

/**
 * One percent-encoded path segment, decoded; a malformed escape (`%zz`, `%E0%A4`) or a
 * segment over {@link MAX_PATH_SEGMENT_LENGTH} characters is a 400 naming the segment.
 */
export function decodePathSegment(raw: string): string {
  const quoted = (): string => (raw.length <= SEGMENT_QUOTE_MAX ? raw : `${raw.slice(0, SEGMENT_QUOTE_MAX)}…`);
  let text: string;
  try {
    text = decodeURIComponent(raw);
  } catch (err) {
    throw new KairosError('invalid', `path segment "${quoted()}": malformed percent-encoding`, { cause: err });
  }
  if (text.length > MAX_PATH_SEGMENT_LENGTH) throw new KairosError('invalid', `path segment "${quoted()}": longer than ${MAX_PATH_SEGMENT_LENGTH} characters`);
  return text;
}

