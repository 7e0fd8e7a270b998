import { route } from '../schema/http/bind-route.js';
import { openApiOperation } from '../schema/http/builtin-operations.js';
import { packageVersion } from '../paths.js';
import type { Route } from '../transport/http.js';
import { openApiDocument } from './openapi.js';

/**
 * `GET /v1/openapi.json`: the generated document. Built once per server, since the
 * operations do not change while it runs; `publicUrl` (KAIROS_PUBLIC_URL) is its second server.
 */
export function openApiRoute(publicUrl?: string): Route {
  const document = openApiDocument(packageVersion(), publicUrl) as { openapi: '3.1.0'; info: Record<string, unknown>; paths: Record<string, unknown> };
  return route(openApiOperation, () => ({ status: 200, body: document }));
}
