import type { TObject, TSchema } from '@sinclair/typebox';
import type { ErrorCode } from '../../errors.js';
import type { Role } from '../../transport/principal.js';

/**
 * One HTTP operation, declared once: from it come the handler's input and output types
 * (bind-route.ts), the request validation, the route the router registers, and the
 * operation in the OpenAPI document (src/admin/openapi.ts).
 */

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call: anyone, a gateway (a gateway token), or an operator (an admin key). */
export type Auth = 'none' | 'gateway' | 'admin';

/** The OpenAPI tags, one per part of the API, in the document's order. */
export const operationTags = {
  service: 'Health, readiness, metrics and this document',
  events: 'Decisions on gateway events over HTTP',
  customers: "A customer's card, erasure and dry-run explanation",
  'stop-list': 'The global stop list',
  delivery: 'The outbox, dead letters and the unsubscribe link',
  clock: 'The server clock (the manual one moves)',
  catalog: 'The catalog: features, segments, offers, campaigns, partners, places, policy, versions',
  learning: 'Adaptive models, propensity, uplift and the campaign funnel',
  status: "The server's status",
  audit: 'The audit trail: every change made through the admin API, hash-chained',
  keys: 'Named API keys and their roles',
  outbound: 'Outbound runs: a campaign handed to each customer of its segments once',
} as const;

export type OperationTag = keyof typeof operationTags;

/** The media types bodies come in and go out as. */
export type MediaType = 'application/json' | 'application/yaml' | 'application/msgpack' | 'text/csv' | 'text/html' | 'text/plain' | 'application/x-ndjson';

export interface ResponseSpec {
  description: string;
  /** the body as JSON; absent: no body (204) or only the media below */
  schema?: TSchema;
  /** the same reply in other media types (MessagePack, CSV, HTML, Prometheus text), with their schemas */
  media?: Partial<Record<MediaType, TSchema>>;
  /** response headers worth declaring (Content-Disposition, Allow…) */
  headers?: Readonly<Record<string, { description: string; schema: TSchema }>>;
}

export interface BodySpec {
  /** the body's schema once parsed (a YAML text is parsed to the same value as its JSON) */
  schema: TSchema;
  /** the media types accepted, JSON first */
  media: readonly MediaType[];
  description?: string;
  /**
   * 'service': the handler's service checks the body with this same schema and its own field
   * paths (the catalog compiler), so the route only parses it; by default the route checks it.
   */
  checkedBy?: 'route' | 'service';
  /**
   * true: the body is handed to the handler as it arrives (`HttpCall.bodyStream`, paused while
   * the handler is behind), not read whole first, so KAIROS_MAX_PAYLOAD_BYTES does not bound it
   * (the handler bounds what it keeps: a line, a batch); the route sees an empty `body`.
   */
  streamed?: boolean;
}

export interface OperationSpec {
  /** unique, lowerCamelCase: the name a generated client gives the call */
  operationId: string;
  method: HttpMethod;
  /** the path in the router's form: `/v1/customers/:id`; a parameter's `pattern` constrains what the route matches */
  path: string;
  summary: string;
  description?: string;
  tag: OperationTag;
  auth: Auth;
  /**
   * The roles whose keys may call it (docs/security.md). An `admin` key may call every
   * operation of auth `admin`; absent on an `admin` operation: admin keys only; on a `gateway`
   * one: gateway keys. Ignored when auth is `none`.
   */
  roles?: readonly Role[];
  /** one property per `:name` of the path, each a string schema */
  params?: TObject;
  /** the query parameters, each a string schema (or a number one: a query's text is converted first) */
  query?: TObject;
  body?: BodySpec;
  /** the successful replies by status */
  responses: Readonly<Record<number, ResponseSpec>>;
  /** the error codes the operation may answer, besides those every route of its auth may (401, 503, 413…) */
  errors: readonly ErrorCode[];
}

/** Declares an operation, keeping its literal types for the handler's input and output. */
export function operation<const O extends OperationSpec>(o: O): O {
  return o;
}

/** The OpenAPI form of a router path: `/v1/customers/:id` -> `/v1/customers/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** The error codes any operation of this kind may answer before its handler runs. */
export function implicitErrors(op: OperationSpec): ErrorCode[] {
  const codes: ErrorCode[] = [];
  if (op.params !== undefined) codes.push('invalid');
  if (op.body !== undefined) codes.push('invalid', ...(op.body.streamed === true ? [] : (['payload_too_large'] as const)), 'unsupported_media_type');
  if (op.query !== undefined) codes.push('invalid');
  if (op.auth !== 'none') codes.push('unauthorized', 'forbidden', 'unavailable');
  codes.push('internal');
  return codes;
}

/** The roles that may call an operation: its own, and `admin` on every admin operation. */
export function allowedRoles(op: OperationSpec): readonly Role[] {
  if (op.auth === 'none') return [];
  const own = op.roles ?? (op.auth === 'gateway' ? ['gateway'] : []);
  return op.auth === 'admin' && !own.includes('admin') ? [...own, 'admin'] : own;
}

/** Whether a key of this role may call the operation. */
export function roleAllows(op: OperationSpec, role: Role): boolean {
  return op.auth === 'none' || allowedRoles(op).includes(role);
}
