import type { TSchema } from '@sinclair/typebox';
import { schemaOwnKeywords } from '../../actors/index.js';
import { errorCatalog } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { builtinOperations } from '../schema/http/builtin-operations.js';
import type { OperationSpec } from '../schema/http/operation.js';
import { allowedRoles, implicitErrors, openApiPath, operationTags } from '../schema/http/operation.js';
import { PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, ProblemSchema } from '../schema/http/problem.js';
import { adminOperations } from './admin-routes.js';
import { auditOperations } from './audit-routes.js';
import { catalogOperations } from './catalog-routes.js';
import { deliveryOperations } from './delivery-routes.js';
import { identityOperations } from './identity-routes.js';
import { keyOperations } from './key-routes.js';
import { learningOperations } from './learning-routes.js';
import { privacyOperations } from './privacy-routes.js';
import { customerImportOperations } from './customer-import-routes.js';
import { segmentOperations } from './segment-routes.js';
import { outboundOperations } from './outbound-routes.js';
import { waveOperations } from './wave-routes.js';
import { whoamiOperation } from './whoami-route.js';

/**
 * The OpenAPI 3.1 document, generated from the operations the routes declare (their paths,
 * parameters, bodies, replies and error codes as TypeBox schemas), served at
 * `GET /v1/openapi.json`. Nothing here is written by hand but the document's frame: a schema
 * with a `$id` becomes a component referenced wherever it is used.
 */

type Json = Record<string, unknown>;

/** Every operation the server answers, in the document's order. */
export const allOperations: readonly OperationSpec[] = [...builtinOperations, ...adminOperations, ...catalogOperations, ...deliveryOperations, ...identityOperations, ...learningOperations, ...auditOperations, ...privacyOperations, ...customerImportOperations, ...keyOperations, ...segmentOperations, ...outboundOperations, ...waveOperations, whoamiOperation];

/** Each operation's method and OpenAPI path (`{id}`), for tests and tools. */
export const operations: ReadonlyArray<{ method: OperationSpec['method']; path: string; operationId: string; security: OperationSpec['auth'] }> = allOperations.map((o) => ({
  method: o.method,
  path: openApiPath(o.path),
  operationId: o.operationId,
  security: o.auth,
}));

/**
 * A TypeBox schema as plain JSON Schema 2020-12: its symbols dropped, a union of constants
 * written as an `enum`, and every schema with a `$id` moved to `components` and referenced.
 */
function schemaJson(schema: TSchema, components: Record<string, Json>, top = true): Json {
  const id = schema.$id;
  if (id !== undefined && top !== false) {
    if (components[id] === undefined) {
      components[id] = {}; // reserved first: a schema may refer to itself
      components[id] = schemaJson({ ...schema, $id: undefined }, components, false);
    }
    return { $ref: `#/components/schemas/${id}` };
  }
  const anyOf = schema.anyOf as TSchema[] | undefined;
  if (anyOf !== undefined && anyOf.length > 0 && anyOf.every((s) => s.const !== undefined && s.type === anyOf[0]?.type)) {
    const out: Json = { type: anyOf[0]?.type, enum: anyOf.map((s) => s.const as unknown) };
    if (schema.description !== undefined) out.description = schema.description;
    return out;
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (value === undefined || key === '$id' || schemaOwnKeywords.has(key)) continue;
    out[key] = walk(key, value, components);
  }
  // A tuple as draft 2020-12 writes it: `prefixItems`, and `items: false` for no more.
  if (Array.isArray(out.items)) {
    out.prefixItems = out.items;
    out.items = false;
    delete out.additionalItems;
  }
  return out;
}

/** The members of a schema that hold schemas, by how they hold them. */
const schemaMaps = new Set(['properties', 'patternProperties', '$defs']);
const schemaLists = new Set(['anyOf', 'allOf', 'oneOf', 'prefixItems']);
const schemaValues = new Set(['items', 'additionalProperties', 'not', 'contains']);

function walk(key: string, value: unknown, components: Record<string, Json>): unknown {
  const isSchema = (v: unknown): v is TSchema => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (schemaMaps.has(key) && isSchema(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, schemaJson(v as TSchema, components, true)]));
  if (schemaLists.has(key) && Array.isArray(value)) return value.map((v) => schemaJson(v as TSchema, components, true));
  if (schemaValues.has(key) && isSchema(value)) return schemaJson(value, components, true);
  return value;
}

/** Path or query parameters of an object schema. */
function parameters(where: 'path' | 'query', object: TSchema | undefined, components: Record<string, Json>): Json[] {
  if (object === undefined) return [];
  const required = new Set((object.required as string[] | undefined) ?? []);
  return Object.entries((object.properties ?? {}) as Record<string, TSchema>).map(([name, schema]) => {
    const { description, ...rest } = schemaJson(schema, components, false);
    return { name, in: where, required: where === 'path' || required.has(name), ...(description === undefined ? {} : { description }), schema: rest };
  });
}

/** The problem replies of an operation, one per status, each naming its codes. */
function problemResponses(op: OperationSpec): Json {
  const codes = [...new Set<ErrorCode>([...op.errors, ...implicitErrors(op)])];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(errorCatalog[code].status, [...(byStatus.get(errorCatalog[code].status) ?? []), code]);
  const out: Json = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: `a problem: ${list.map((c) => `\`${c}\``).join(', ')}`,
      ...(list.includes('unauthorized') ? { headers: { 'WWW-Authenticate': { description: 'Bearer realm="kairos"', schema: { type: 'string' } } } } : {}),
      ...(list.includes('rate_limited')
        ? { headers: { 'Retry-After': { description: 'whole seconds until the client (its gateway key and address) may send again, on the request rate limit (`KAIROS_RATE_LIMIT`); absent when a customer\'s idempotency memory is full', schema: { type: 'integer', minimum: 1 } } } }
        : {}),
      content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }
  return out;
}

function operationJson(op: OperationSpec, components: Record<string, Json>): Json {
  const entry: Json = { operationId: op.operationId, summary: op.summary, tags: [op.tag] };
  const roles = allowedRoles(op);
  const rolesLine = roles.length > 0 ? `Roles: ${roles.map((r) => `\`${r}\``).join(', ')}.` : undefined;
  const description = [op.description, rolesLine].filter((d) => d !== undefined).join('\n\n');
  if (description !== '') entry.description = description;
  if (roles.length > 0) entry['x-kairos-roles'] = [...roles];
  const params = [...parameters('path', op.params, components), ...parameters('query', op.query, components)];
  if (params.length > 0) entry.parameters = params;
  if (op.body !== undefined) {
    const schema = schemaJson(op.body.schema, components);
    entry.requestBody = { required: true, ...(op.body.description === undefined ? {} : { description: op.body.description }), content: Object.fromEntries(op.body.media.map((m) => [m, { schema }])) };
  }
  const responses: Json = {};
  for (const [status, r] of Object.entries(op.responses)) {
    const content: Json = {};
    if (r.schema !== undefined) content['application/json'] = { schema: schemaJson(r.schema, components) };
    for (const [media, schema] of Object.entries(r.media ?? {})) content[media] = { schema: schemaJson(schema, components) };
    const headers = Object.entries(r.headers ?? {}).map(([name, h]): [string, Json] => [name, { description: h.description, schema: schemaJson(h.schema, components) }]);
    responses[status] = { description: r.description, ...(headers.length > 0 ? { headers: Object.fromEntries(headers) } : {}), ...(Object.keys(content).length > 0 ? { content } : {}) };
  }
  entry.responses = { ...responses, ...problemResponses(op) };
  entry.security = op.auth === 'none' ? [] : [{ [op.auth === 'admin' ? 'adminKey' : 'gatewayToken']: [] }];
  return entry;
}

/** The document, for the server's version and (when set) its public base URL. */
export function openApiDocument(version: string, publicUrl?: string): Json {
  const components: Record<string, Json> = {};
  schemaJson(ProblemSchema, components);
  const paths: Record<string, Json> = {};
  for (const op of allOperations) {
    const path = openApiPath(op.path);
    paths[path] = { ...(paths[path] ?? {}), [op.method]: operationJson(op, components) };
  }
  const servers: Json[] = [{ url: '/', description: 'this server' }];
  if (publicUrl !== undefined && publicUrl !== '') servers.push({ url: publicUrl.replace(/\/+$/, ''), description: 'the configured public URL (KAIROS_PUBLIC_URL)' });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Kairos admin and HTTP gateway API',
      version,
      description: [
        'Real-time next-best-offer decisioning. The WebSocket gateway protocol is in docs/protocol.md.',
        `Every error is an RFC 9457 problem (\`${PROBLEM_MEDIA_TYPE}\`) with the stable Kairos code as the extension member \`code\`; its \`type\` is \`${PROBLEM_TYPE_BASE}<code>\`.`,
      ].join('\n\n'),
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers,
    tags: Object.entries(operationTags).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      securitySchemes: {
        adminKey: { type: 'http', scheme: 'bearer', description: 'a named API key whose role the operation allows (x-kairos-roles; docs/security.md): Authorization: Bearer <key>' },
        gatewayToken: { type: 'http', scheme: 'bearer', description: 'a gateway token (KAIROS_GATEWAY_TOKENS): Authorization: Bearer <token>' },
      },
      schemas: components,
    },
  };
}
