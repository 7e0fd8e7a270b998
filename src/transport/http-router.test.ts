import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { KairosError } from '../errors.js';
import { route } from '../schema/http/bind-route.js';
import { operation } from '../schema/http/operation.js';
import { problemBody } from '../schema/http/problem.js';
import type { HttpReply } from './http.js';
import { createRouter } from './http-router.js';
import { noContent } from './http.js';

/** The router without sockets: what a raw path and a method find, and the error replies of what they do not. */

const id = Type.Object({ id: Type.String() });
const ops = {
  status: operation({ operationId: 'getStatus', method: 'get', path: '/v1/status', summary: 's', tag: 'status', auth: 'admin', responses: { 200: { description: 'ok' } }, errors: [] }),
  getCustomer: operation({ operationId: 'getCustomer', method: 'get', path: '/v1/customers/:id', summary: 's', tag: 'customers', auth: 'admin', params: id, responses: { 200: { description: 'ok' } }, errors: [] }),
  eraseCustomer: operation({ operationId: 'eraseCustomer', method: 'delete', path: '/v1/customers/:id', summary: 's', tag: 'customers', auth: 'admin', params: id, responses: { 200: { description: 'ok' } }, errors: [] }),
  explain: operation({ operationId: 'explain', method: 'post', path: '/v1/customers/:id/explain', summary: 's', tag: 'customers', auth: 'admin', params: id, responses: { 200: { description: 'ok' } }, errors: [] }),
  removeStop: operation({
    operationId: 'removeStop',
    method: 'delete',
    path: '/v1/stop-list/:key',
    summary: 's',
    tag: 'stop-list',
    auth: 'admin',
    params: Type.Object({ key: Type.String({ pattern: '^[0-9a-f]{40}$' }) }),
    responses: { 204: { description: 'removed' } },
    errors: [],
  }),
  retry: operation({
    operationId: 'retry',
    method: 'post',
    path: '/v1/outbox/:channel/:instance/retry',
    summary: 's',
    tag: 'delivery',
    auth: 'admin',
    params: Type.Object({ channel: Type.String({ pattern: '^[a-z]+$' }), instance: Type.String() }),
    responses: { 200: { description: 'ok' } },
    errors: [],
  }),
};
const routes = Object.values(ops).map((op) => route(op, () => ({ raw: noContent() })));
const router = createRouter(routes);

const problemOf = (reply: HttpReply | undefined): unknown => (reply === undefined ? undefined : JSON.parse(String(reply.body)));

describe('createRouter', () => {
  it('finds the route and its parameters, each percent-decoded once', () => {
    expect(router.lookup('get', '/v1/status')).toMatchObject({ route: { operation: ops.status }, params: {} });
    expect(router.lookup('GET', '/v1/customers/%D0%BD%D0%B5%D1%82')).toMatchObject({ route: { operation: ops.getCustomer }, params: { id: 'нет' } });
    expect(router.lookup('get', '/v1/customers/atm%252Dshortfall').params).toEqual({ id: 'atm%2Dshortfall' });
    expect(router.lookup('delete', '/v1/customers/a%2Fb').params).toEqual({ id: 'a/b' });
    expect(router.lookup('post', '/v1/customers/demo-1/explain').route?.operation).toBe(ops.explain);
    expect(router.lookup('post', '/v1/outbox/sms/demo-1%3A1.a/retry').params).toEqual({ channel: 'sms', instance: 'demo-1:1.a' });
  });

  it('answers 404 not_found for a path no route has: unknown, trailing slash, doubled slash, other case, empty parameter, an escape in a fixed segment', () => {
    for (const path of ['/v1/nothing', '/v1/status/', '//v1/status', '/V1/status', '/v1/customers/', '/v1/st%61tus', 'v1/status', '/v1/customers/a/b']) {
      const r = router.lookup('GET', path);
      expect(r.error?.status, path).toBe(404);
      expect(r.error?.contentType, path).toBe('application/problem+json');
      expect(problemOf(r.error), path).toEqual(problemBody('not_found', `no route ${path}`));
    }
  });

  it('matches a parameter with a pattern only when it holds: a stop-list key is 40 hex digits, a channel lower-case letters', () => {
    expect(router.lookup('delete', `/v1/stop-list/${'a1'.repeat(20)}`).params).toEqual({ key: 'a1'.repeat(20) });
    expect(router.lookup('delete', `/v1/stop-list/${'g'.repeat(40)}`).error?.status).toBe(404);
    expect(router.lookup('delete', `/v1/stop-list/${'a'.repeat(41)}`).error?.status).toBe(404);
    expect(router.lookup('post', '/v1/outbox/SMS/x/retry').error?.status).toBe(404);
  });

  it('answers 405 method_not_allowed with an Allow header for a path routed under other methods (HEAD and PATCH included)', () => {
    const cases: Array<[string, string, string]> = [
      ['POST', '/v1/customers/demo-1', 'GET, DELETE'],
      ['PUT', '/v1/status', 'GET'],
      ['HEAD', '/v1/status', 'GET'],
      ['PATCH', '/v1/customers/x', 'GET, DELETE'],
      ['GET', '/v1/customers/x/explain', 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const r = router.lookup(method, path);
      expect(r.error?.status, `${method} ${path}`).toBe(405);
      expect(r.error?.headers, `${method} ${path}`).toEqual({ Allow: allow });
      expect(problemOf(r.error)).toEqual(problemBody('method_not_allowed', `${method} is not allowed on ${path}`));
      expect(router.allowed(path).join(', ')).toBe(allow);
    }
  });

  it('answers 400 invalid naming a parameter with a malformed escape, or one over 300 characters decoded', () => {
    const cases: Array<[string, string, string]> = [
      ['GET', '/v1/customers/%zz', 'path segment "%zz": malformed percent-encoding'],
      ['DELETE', '/v1/customers/a%', 'path segment "a%": malformed percent-encoding'],
      ['GET', '/v1/customers/%E0%A4', 'path segment "%E0%A4": malformed percent-encoding'],
      ['POST', '/v1/customers/%C0%AF/explain', 'path segment "%C0%AF": malformed percent-encoding'],
      ['GET', `/v1/customers/${'%zz'.repeat(100)}`, `path segment "${'%zz'.repeat(26)}%z…": malformed percent-encoding`],
      ['GET', `/v1/customers/${'x'.repeat(301)}`, `path segment "${'x'.repeat(80)}…": longer than 300 characters`],
      ['POST', `/v1/outbox/sms/${encodeURIComponent('я'.repeat(301))}/retry`, `path segment "${encodeURIComponent('я'.repeat(301)).slice(0, 80)}…": longer than 300 characters`],
    ];
    for (const [method, path, detail] of cases) {
      const r = router.lookup(method, path);
      expect(problemOf(r.error), `${method} ${path}`).toEqual(problemBody('invalid', detail));
      expect(r.error?.status).toBe(400);
    }
    expect(router.lookup('GET', `/v1/customers/${'x'.repeat(300)}`).params).toEqual({ id: 'x'.repeat(300) });
    expect(router.lookup('GET', `/v1/customers/${'x'.repeat(3000)}`).error?.status).toBe(400);
  });

  it('refuses two routes with one method and path at startup', () => {
    expect(() => createRouter([routes[0]!, routes[0]!])).toThrow(KairosError);
  });

});
