import { route } from '../schema/http/bind-route.js';
import { asyncApiOperation } from '../schema/http/builtin-operations.js';
import { asyncApiDocument } from '../schema/wire/asyncapi.js';
import { packageVersion } from '../paths.js';
import type { Route } from '../transport/http.js';

/**
 * `GET /v1/asyncapi.json`: the gateway protocol's generated AsyncAPI document, served as
 * `/v1/openapi.json` is (no credentials; built once per server). `publicUrl`
 * (KAIROS_PUBLIC_URL) gives the servers' default host.
 */
export function asyncApiRoute(publicUrl?: string): Route {
  const document = asyncApiDocument(packageVersion(), publicUrl) as { asyncapi: '3.0.0'; info: Record<string, unknown>; channels: Record<string, unknown>; operations: Record<string, unknown> };
  return route(asyncApiOperation, () => ({ status: 200, body: document }));
}
