import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCatalog } from '../errors.js';
import { errorCodes } from '../schema/http/problem.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { adminHeaders, startTestKairos } from '../test-support/test-kairos.js';
import { adminRoutes } from './admin-routes.js';
import { catalogRoutes } from './catalog-routes.js';
import { deliveryRoutes } from './delivery-routes.js';
import { learningRoutes } from './learning-routes.js';
import { openApiRoute } from './openapi-route.js';
import { allOperations, openApiDocument, operations } from './openapi.js';

/**
 * The OpenAPI document and the server agree: every route is described, every operation is
 * answered; every operation has an id, a typed reply and problem+json errors.
 */

const sample: Record<string, string> = { id: 'demo-19', channel: 'sms', key: 'a'.repeat(40), n: '1', offer: 'pension-deposit', instance: 'x' };
const instantiate = (path: string): string => path.replace(/\{(\w+)\}/g, (_m, p: string) => sample[p] ?? 'x');

type Schema = Record<string, unknown>;
type Doc = {
  openapi: string;
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, { operationId?: string; responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, unknown> };
};

/** A schema says what the value holds: a reference, a type other than a bare object, or an object with properties. */
function typed(schema: Schema, doc: Doc): boolean {
  const ref = schema.$ref as string | undefined;
  if (ref !== undefined) {
    const target = doc.components.schemas[ref.replace('#/components/schemas/', '')];
    return target !== undefined && typed(target, doc);
  }
  if (schema.type === 'object') return schema.properties !== undefined || schema.patternProperties !== undefined;
  return schema.type !== undefined || schema.anyOf !== undefined || schema.enum !== undefined || schema.const !== undefined;
}

let k: TestKairos;
beforeAll(async () => {
  k = await startTestKairos({ config: { store: 'memory' } });
});
afterAll(async () => {
  await k.close();
});

describe('OpenAPI', () => {
  it('is served at /v1/openapi.json as OpenAPI 3.1, with the servers and the security schemes', async () => {
    const res = await fetch(`${k.httpUrl}/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Doc;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/campaigns/{id}/status');
    expect(doc.paths['/v1/campaigns/{id}']).toHaveProperty('put');
    expect(doc.servers[0]).toEqual({ url: '/', description: 'this server' });
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['adminKey', 'gatewayToken']);
    expect(openApiDocument('1', 'https://kairos.bank.test/').servers).toEqual([
      { url: '/', description: 'this server' },
      { url: 'https://kairos.bank.test', description: 'the configured public URL (KAIROS_PUBLIC_URL)' },
    ]);
  });

  it('describes every route the server has, and declares each operation once', () => {
    const routes = [openApiRoute(), ...adminRoutes({} as never), ...catalogRoutes({} as never), ...learningRoutes({} as never), ...deliveryRoutes({} as never)];
    for (const r of routes) expect(allOperations, `${r.operation.method.toUpperCase()} ${r.operation.path}`).toContain(r.operation);
    const ids = allOperations.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const keys = allOperations.map((o) => `${o.method} ${o.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives every operation an operationId, a typed 2xx reply, and problem+json errors whose code is the enum of error codes', () => {
    const doc = openApiDocument('1') as unknown as Doc;
    const problem = doc.components.schemas.Problem as { properties: { code: { enum: string[] } }; required: string[] };
    expect(problem.properties.code.enum).toEqual(errorCodes);
    expect(problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']));
    let count = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        count++;
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
        const ok = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
        expect(ok.length, where).toBeGreaterThan(0);
        for (const [status, r] of ok) {
          if (status === '204') continue;
          const media = Object.entries(r.content ?? {});
          expect(media.length, `${where} ${status}`).toBeGreaterThan(0);
          for (const [type, m] of media) expect(typed(m.schema, doc), `${where} ${status} ${type}`).toBe(true);
        }
        // /ready's 503 is its own reply (not ready, and why), not a problem.
        const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400 && !(path === '/ready' && status === '503'));
        expect(errors.length, where).toBeGreaterThan(0);
        for (const [, r] of errors) expect(r.content, where).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
      }
    }
    expect(count).toBe(allOperations.length);
  });

  it('lists every error code in docs/admin-api.md with its status', () => {
    const docs = readFileSync(new URL('../../docs/admin-api.md', import.meta.url), 'utf8');
    for (const code of errorCodes) expect(docs, code).toContain(`| \`${code}\` | ${errorCatalog[code].status} |`);
  });

  it('declares the CSV, HTML and MessagePack replies', () => {
    const doc = openApiDocument('1') as unknown as Doc;
    expect(Object.keys(doc.paths['/v1/reports/funnel']?.get?.responses['200']?.content ?? {})).toEqual(['application/json', 'text/csv']);
    expect(Object.keys(doc.paths['/v1/unsubscribe']?.get?.responses['200']?.content ?? {})).toEqual(['text/html']);
    expect(Object.keys(doc.paths['/v1/events']?.post?.responses['200']?.content ?? {})).toEqual(['application/json', 'application/msgpack']);
    expect(Object.keys(doc.paths['/metrics']?.get?.responses['200']?.content ?? {})).toEqual(['text/plain']);
  });

  it('answers every operation it describes', async () => {
    for (const op of operations) {
      const path = instantiate(op.path);
      const res = await fetch(`${k.httpUrl}${path}`, {
        method: op.method.toUpperCase(),
        headers: op.security === 'gateway' ? { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json' } : adminHeaders,
        ...(op.method === 'get' ? {} : { body: '{}' }),
      });
      const body = await res.text();
      // A described operation may refuse this sample request, but never as an unknown route or method.
      expect([res.status, body], `${op.method.toUpperCase()} ${path}`).not.toEqual([404, expect.stringContaining('no route')]);
      expect(res.status, `${op.method.toUpperCase()} ${path}`).not.toBe(405);
    }
  });
});
