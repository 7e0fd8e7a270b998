import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { ErrorCode } from '../../errors.js';
import { errorCatalog } from '../../errors.js';

/**
 * The one error body of the HTTP API: RFC 9457 `application/problem+json`, with the stable
 * Kairos error code as the extension member `code` (and, for an event, its id as `re`). Every route answers its errors in this
 * shape; the WebSocket `error` frame keeps its own (PROTOCOL.md).
 */

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** Where the problem types live: `type` is this base followed by the code. */
export const PROBLEM_TYPE_BASE = 'https://kairos.dev/problems/';

/** The codes, in the catalog's order: the enum of `code` in the OpenAPI document. */
export const errorCodes = Object.keys(errorCatalog) as ErrorCode[];

/** The stable URI naming a problem type: one per error code. */
export function problemType(code: ErrorCode): string {
  return `${PROBLEM_TYPE_BASE}${code}`;
}

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ format: 'uri', description: `the problem type: ${PROBLEM_TYPE_BASE}<code>` }),
    title: Type.String({ description: "the problem type's short, constant summary" }),
    status: Type.Integer({ minimum: 400, maximum: 599, description: 'the HTTP status of the reply' }),
    detail: Type.String({ description: 'what went wrong with this request; names the field, query parameter or path segment at fault' }),
    code: Type.Union(
      errorCodes.map((c) => Type.Literal(c)),
      { description: 'the stable Kairos error code (docs/admin-api.md lists them)' },
    ),
    re: Type.Optional(
      Type.String({ description: "POST /v1/events: the event's id, whenever it could be read (as the WebSocket error frame's re); a gateway correlates the error with its request on it" }),
    ),
  },
  { $id: 'Problem', description: 'An RFC 9457 problem detail with the Kairos error code', additionalProperties: true },
);

export type Problem = Static<typeof ProblemSchema>;

/** The problem body of an error code and a detail. */
export function problemBody(code: ErrorCode, detail: string): Problem {
  return { type: problemType(code), title: errorCatalog[code].text, status: errorCatalog[code].status, detail, code };
}
