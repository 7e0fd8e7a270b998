import FindMyWay from 'find-my-way';
import type { TSchema } from '@sinclair/typebox';
import { KairosError } from '../errors.js';
import type { HttpMethod } from '../schema/http/operation.js';
import type { HttpReply, Route, RouteParams } from './http.js';
import { decodePathSegment, errorReply } from './http.js';

/**
 * Routing by find-my-way (Fastify's router): each declared route registers its operation's
 * path (`/v1/customers/:id`); a lookup gives the route and its parameters, each decoded once
 * here, or the error reply: 404 `not_found` for a path no route has, 405
 * `method_not_allowed` with an `Allow` header for a path that exists under other methods,
 * 400 `invalid` naming a parameter with a malformed escape or over MAX_PATH_SEGMENT_LENGTH.
 *
 * The router matches the raw, percent-encoded path, as the server receives it: a `%` is
 * masked before the tree sees it (find-my-way would decode the whole path first and refuse a
 * malformed escape without saying where), so a static segment never matches an escape and
 * a parameter reaches decodePathSegment exactly as sent. Trailing slashes and doubled
 * slashes do not match (`/v1/status/` is a 404), case matters, and HEAD is not routed (a GET
 * route answers HEAD with 405, as before).
 */

export type RouteLookup = { route: Route; params: RouteParams; error?: undefined } | { error: HttpReply; route?: undefined; params?: undefined };

export interface Router {
  /** The route for a method (any case) and a raw path (no query), with its decoded parameters; or the error reply. */
  lookup(method: string, rawPath: string): RouteLookup;
  /** The methods a raw path is routed under, upper case (an `Allow` header's value, joined). */
  allowed(rawPath: string): string[];
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
type UpperMethod = (typeof METHODS)[number];

const upper: Readonly<Record<HttpMethod, UpperMethod>> = { get: 'GET', post: 'POST', put: 'PUT', patch: 'PATCH', delete: 'DELETE' };

/** Stands for `%` while the tree matches: no request path holds a control character. */
const MASK = '\u0001';

/** find-my-way's form of a route path: a parameter whose schema has a `pattern` gets it as its regular expression. */
function registeredPath(route: Route): string {
  const props = (route.operation.params?.properties ?? {}) as Record<string, TSchema>;
  return route.operation.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name: string) => {
    const pattern = props[name]?.pattern as string | undefined;
    // find-my-way anchors a parameter's expression itself; the schema's anchors are dropped.
    return pattern === undefined ? whole : `${whole}(${pattern.replace(/^\^/, '').replace(/\$$/, '')})`;
  });
}

const noop = (): undefined => undefined;

type Find = (method: string, rawPath: string) => { route: Route; raw: Record<string, string> } | undefined;

/** Raw parameters decoded once; a malformed or over-long one throws `invalid` naming it. */
function decodeParams(raw: Readonly<Record<string, string>>): RouteParams {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) params[name] = decodePathSegment(value);
  return params;
}

/** The tree of declared routes: the route and raw parameters of an upper-case method and a raw path. */
function routeTree(routes: readonly Route[]): Find {
  const tree = FindMyWay({ ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, caseSensitive: true, maxParamLength: Number.MAX_SAFE_INTEGER });
  for (const route of routes) {
    try {
      tree.on(upper[route.operation.method], registeredPath(route), noop, route);
    } catch (err) {
      throw new KairosError('internal', `route ${route.operation.method.toUpperCase()} ${route.operation.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  // An empty parameter matches no route.
  return (method, rawPath) => {
    if (!(METHODS as readonly string[]).includes(method) || !rawPath.startsWith('/') || rawPath.includes(MASK)) return undefined;
    const found = tree.find(method as UpperMethod, rawPath.replaceAll('%', MASK));
    if (found === null) return undefined;
    const raw: Record<string, string> = {};
    for (const [name, value] of Object.entries(found.params)) {
      if (value === undefined || value === '') return undefined;
      raw[name] = value.replaceAll(MASK, '%');
    }
    return { route: found.store as Route, raw };
  };
}

/** A router over declared routes; two routes with one method and path are a startup error. */
export function createRouter(routes: readonly Route[]): Router {
  const find = routeTree(routes);
  const allowed = (rawPath: string): string[] => METHODS.filter((m) => find(m, rawPath) !== undefined);

  return {
    allowed,
    lookup(method, rawPath) {
      const m = method.toUpperCase();
      const hit = find(m, rawPath);
      if (hit === undefined) {
        const allow = allowed(rawPath);
        if (allow.length === 0) return { error: errorReply('not_found', `no route ${rawPath}`) };
        return { error: { ...errorReply('method_not_allowed', `${m} is not allowed on ${rawPath}`), headers: { Allow: allow.join(', ') } } };
      }
      try {
        return { route: hit.route, params: decodeParams(hit.raw) };
      } catch (err) {
        if (err instanceof KairosError) return { error: errorReply(err) };
        throw err;
      }
    },
  };
}

