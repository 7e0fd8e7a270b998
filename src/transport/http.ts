import type { ErrorCode } from '../errors.js';
import { KairosError, errorCatalog } from '../errors.js';

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
  contentType: string;
  accept: string;
  body: Buffer;
}

export interface HttpReply {
  status: number;
  contentType: string;
  body: string | Uint8Array;
  headers?: Readonly<Record<string, string>>;
}

export type Auth = 'none' | 'gateway' | 'admin';

export interface Route {
  method: 'get' | 'post' | 'put' | 'delete';
  /** matched against the raw (percent-encoded) path; groups become the handler's params, decoded */
  pattern: RegExp;
  auth: Auth;
  handle: (call: HttpCall, params: readonly string[]) => Promise<HttpReply> | HttpReply;
}

const statusText: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusLine(status: number): string {
  return `${status} ${statusText[status] ?? 'Unknown'}`;
}

export function json(status: number, value: unknown): HttpReply {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(value) };
}

export function noContent(): HttpReply {
  return { status: 204, contentType: 'text/plain', body: '' };
}

/** An error as an HTTP reply: `{code, message}`; internal details stay in the log. */
export function errorReply(err: KairosError | ErrorCode, message?: string): HttpReply {
  const e = typeof err === 'string' ? new KairosError(err, message) : err;
  const headers: Record<string, string> = e.code === 'unauthorized' ? { 'WWW-Authenticate': 'Bearer realm="kairos"' } : {};
  return { ...json(errorCatalog[e.code].status, { code: e.code, message: e.publicMessage }), headers };
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
  } catch {
    throw new KairosError('invalid', `path segment "${quoted()}": malformed percent-encoding`);
  }
  if (text.length > MAX_PATH_SEGMENT_LENGTH) throw new KairosError('invalid', `path segment "${quoted()}": longer than ${MAX_PATH_SEGMENT_LENGTH} characters`);
  return text;
}

/**
 * A route's parameters, the groups its pattern captured from the raw path, each decoded in
 * this one place (handlers get text, never an escape; a malformed one never reaches them).
 */
export function routeParams(route: Route, path: string): string[] {
  const groups = route.pattern.exec(path)?.slice(1) ?? [];
  return groups.map((raw) => (raw === undefined ? '' : decodePathSegment(raw)));
}

/** Parses a JSON body into a map, or throws `invalid`. */
export function jsonBody(call: HttpCall): Record<string, unknown> {
  if (!call.contentType.toLowerCase().startsWith('application/json')) {
    throw new KairosError('unsupported_media_type', 'send the body as application/json');
  }
  let value: unknown;
  try {
    value = JSON.parse(call.body.toString('utf8'));
  } catch (err) {
    throw new KairosError('invalid', `body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new KairosError('invalid', 'body must be a JSON object');
  return value as Record<string, unknown>;
}
