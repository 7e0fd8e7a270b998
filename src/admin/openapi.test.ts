import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestKairos } from '../test-support/test-kairos.js';
import { adminHeaders, startTestKairos } from '../test-support/test-kairos.js';
import { adminRoutes } from './admin-routes.js';
import { catalogRoutes } from './catalog-routes.js';
import { operations } from './openapi.js';

/** The OpenAPI document and the server agree: every route is described, every operation is answered. */

const sample: Record<string, string> = { id: 'demo-19', kind: 'campaigns', channel: 'sms', key: 'a'.repeat(40), n: '1' };
const instantiate = (path: string): string[] =>
  path.includes('{kind}')
    ? ['features', 'segments', 'offers', 'campaigns', 'partners', 'places'].map((kind) => path.replace('{kind}', kind).replace(/\{(\w+)\}/g, (_m, p: string) => sample[p] ?? 'x'))
    : [path.replace(/\{(\w+)\}/g, (_m, p: string) => sample[p] ?? 'x')];

let k: TestKairos;
beforeAll(async () => {
  k = await startTestKairos({ config: { store: 'memory' } });
});
afterAll(async () => {
  await k.close();
});

describe('OpenAPI', () => {
  it('is served at /v1/openapi.json as OpenAPI 3.1', async () => {
    const res = await fetch(`${k.httpUrl}/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/campaigns/{id}/status');
    expect(doc.paths['/v1/{kind}/{id}']).toHaveProperty('put');
  });

  it('describes every admin route the server has', () => {
    const routes = [...adminRoutes({} as never), ...catalogRoutes({} as never)];
    for (const r of routes) {
      const documented = operations.some((op) => op.method === r.method && instantiate(op.path).some((p) => r.pattern.test(p)));
      expect(documented, `${r.method.toUpperCase()} ${String(r.pattern)}`).toBe(true);
    }
  });

  it('answers every operation it describes', async () => {
    for (const op of operations) {
      for (const path of instantiate(op.path)) {
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
    }
  });
});
