import { describe, expect, it } from 'vitest';
import { allOperations } from '../admin/openapi.js';
import { errorCatalog } from '../errors.js';
import { adminHeaders, serverForFile } from '../test-support/test-kairos.js';
import { statusLine } from './http.js';

/** The status line: a reason phrase for every status the server sends, never "Unknown". */

const marketer = { name: 'status-marketer', role: 'marketer' as const, secret: 'secret-of-the-status-marketer-01' };
const server = serverForFile({ config: { store: 'memory', keys: [marketer] } });

describe('statusLine', () => {
  it('names every status of the error catalog and of the operations’ declared replies', () => {
    const statuses = new Set<number>([...Object.values(errorCatalog).map((e) => e.status), ...allOperations.flatMap((op) => Object.keys(op.responses).map(Number))]);
    const unnamed = [...statuses].filter((s) => statusLine(s).endsWith(' Unknown'));
    expect(unnamed).toEqual([]);
    expect([403, 502, 202].map(statusLine)).toEqual(['403 Forbidden', '502 Bad Gateway', '202 Accepted']);
  });

  it('goes out on the wire: a refused role is "403 Forbidden"', async () => {
    const res = await fetch(`${server.k.httpUrl}/v1/status`, { headers: { Authorization: `Bearer ${marketer.secret}` } });
    expect([res.status, res.statusText]).toEqual([403, 'Forbidden']);
  });
});

describe('the API replies', () => {
  const get = (path: string, headers: Record<string, string> = adminHeaders): Promise<Response> => fetch(`${server.k.httpUrl}${path}`, { headers });

  it('are never kept by a cache nor sniffed: JSON, CSV, NDJSON, a streamed one and an error alike', async () => {
    const replies = {
      json: await get('/v1/customers/demo-1'),
      csv: await get('/v1/reports/funnel?format=csv'),
      ndjson: await get('/v1/audit/export'),
      members: await get('/v1/segments/clients_60_plus/members.csv'),
      unauthorized: await get('/v1/customers/demo-1', {}),
      forbidden: await get('/v1/status', { Authorization: `Bearer ${marketer.secret}` }),
      unknown: await get('/v1/no-such-thing'),
    };
    const seen = Object.fromEntries(
      await Promise.all(
        Object.entries(replies).map(async ([what, res]) => {
          await res.arrayBuffer();
          return [what, [res.status, res.headers.get('content-type')?.split(';')[0], res.headers.get('cache-control'), res.headers.get('x-content-type-options')]];
        }),
      ),
    );
    expect(seen).toEqual({
      json: [200, 'application/json', 'no-store', 'nosniff'],
      csv: [200, 'text/csv', 'no-store', 'nosniff'],
      ndjson: [200, 'application/x-ndjson', 'no-store', 'nosniff'],
      members: [200, 'text/csv', 'no-store', 'nosniff'],
      unauthorized: [401, 'application/problem+json', 'no-store', 'nosniff'],
      forbidden: [403, 'application/problem+json', 'no-store', 'nosniff'],
      unknown: [404, 'application/problem+json', 'no-store', 'nosniff'],
    });
  });

  it('leave the probes outside /v1 as they were; uWS marks every reply with its major version', async () => {
    const health = await get('/health', {});
    expect([health.status, health.headers.get('cache-control')]).toEqual([200, null]);
    // (uWebSockets.js v20.30 writes it on every reply and has no setting to leave it out: docs/security.md)
    expect(health.headers.get('uwebsockets')).toBe('20');
  });
});

describe('refused calls', () => {
  it('are logged at warn: the route, the key by name, the client\'s address; never a secret', async () => {
    const before = server.k.logs.length;
    const forbidden = await fetch(`${server.k.httpUrl}/v1/customers/demo-7`, { method: 'DELETE', headers: { Authorization: `Bearer ${marketer.secret}`, 'X-Forwarded-For': '203.0.113.9' } });
    expect(forbidden.status).toBe(403);
    const wrong = await fetch(`${server.k.httpUrl}/v1/status`, { headers: { Authorization: 'Bearer not-a-key-of-this-server-42' } });
    expect(wrong.status).toBe(401);
    const lines = server.k.logs.slice(before).filter((l) => l.refused === true);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        status: 403,
        code: 'forbidden',
        route: 'DELETE /v1/customers/:id',
        key: marketer.name,
        role: 'marketer',
        remote: expect.stringMatching(/7f00:0*1$|127\.0\.0\.1$/) as unknown,
        forwardedFor: '203.0.113.9',
        msg: 'refused call: not allowed for the key',
      }),
      expect.objectContaining({ level: 40, status: 401, code: 'unauthorized', route: 'GET /v1/status', credential: 'unknown', msg: 'refused call: no known key' }),
    ]);
    expect(lines[1]).not.toHaveProperty('key');
    // (the route's template, not the path: no customer id in it; no secret anywhere)
    expect(JSON.stringify(lines)).not.toContain('demo-7');
    expect(server.k.rawLogs()).not.toContain(marketer.secret);
    expect(server.k.rawLogs()).not.toContain('not-a-key-of-this-server-42');
  });
});
