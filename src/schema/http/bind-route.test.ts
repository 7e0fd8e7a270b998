import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import type { HttpCall } from '../../transport/http.js';
import { route } from './bind-route.js';
import { operation } from './operation.js';
import { problemBody } from './problem.js';
import { KairosError } from '../../errors.js';

/** What the binding of an operation checks before its handler runs, and the one-sentence 400s it answers. */

const op = operation({
  operationId: 'addThing',
  method: 'post',
  path: '/v1/things/:id',
  summary: 's',
  tag: 'catalog',
  auth: 'admin',
  params: Type.Object({ id: Type.String({ maxLength: 5 }) }),
  query: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })), format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])) }),
  body: {
    schema: Type.Object({
      kind: Type.Union([Type.Literal('phone'), Type.Literal('email')]),
      value: Type.String({ minLength: 1 }),
      caps: Type.Optional(Type.Array(Type.Object({ channel: Type.String(), max: Type.Integer() }))),
    }),
    media: ['application/json', 'application/yaml'],
  },
  responses: { 201: { description: 'made', schema: Type.Object({ id: Type.String(), limit: Type.Integer() }) } },
  errors: ['invalid'],
});

const bound = route(op, ({ params, query, body }) => ({ status: 201, body: { id: `${params.id}:${body.kind}`, limit: query.limit ?? 100 } }), {
  'application/yaml': (text) => Object.fromEntries(text.split('\n').filter((l) => l !== '').map((l) => l.split(': ') as [string, string])),
});

function call(body: unknown, query = '', contentType = 'application/json'): HttpCall {
  return { method: 'post', path: '/v1/things/a', query: new URLSearchParams(query), authorization: undefined, contentType, accept: '', body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) };
}

async function refusal(c: HttpCall, params: Record<string, string> = { id: 'a' }): Promise<unknown> {
  try {
    await bound.handle(c, params);
  } catch (err) {
    if (err instanceof KairosError) return problemBody(err.code, err.message);
    throw err;
  }
  return undefined;
}

describe('route (an operation bound to its handler)', () => {
  it('gives the handler checked, typed input and answers its typed reply as JSON', async () => {
    const reply = await bound.handle(call({ kind: 'phone', value: '+7' }, 'limit=5'), { id: 'a' });
    expect(reply).toEqual({ status: 201, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ id: 'a:phone', limit: 5 }) });
    const yaml = await bound.handle(call('kind: email\nvalue: x@y\n', '', 'application/yaml; charset=utf-8'), { id: 'b' });
    expect(JSON.parse(String(yaml.body))).toEqual({ id: 'b:email', limit: 100 });
  });

  it('names the field at fault, as every Kairos 400 does', async () => {
    const cases: Array<[unknown, string]> = [
      [{ value: 'x' }, 'field "kind": is required'],
      [{ kind: 'fax', value: 'x' }, 'field "kind": must be one of phone, email'],
      [{ kind: 'phone', value: '' }, 'field "value": must be a non-empty string'],
      [{ kind: 'phone', value: 7 }, 'field "value": must be a string, got number'],
      [{ kind: 'phone', value: 'x', caps: [{ channel: 'sms', max: 1.5 }] }, 'field "caps[0].max": must be a whole number, got 1.5'],
      [{ kind: 'phone', value: 'x', caps: {} }, 'field "caps": must be a list, got a map'],
      [[1], 'body: must be a map, got an array'],
      ['{', 'body is not valid JSON'],
    ];
    for (const [body, detail] of cases) expect(await refusal(call(body)), JSON.stringify(body)).toEqual(problemBody('invalid', expect.stringContaining(detail)));
  });

  it('names the query parameter at fault, converting numbers from text', async () => {
    expect(await refusal(call({ kind: 'phone', value: 'x' }, 'limit=0'))).toEqual(problemBody('invalid', 'query "limit": must be at least 1'));
    expect(await refusal(call({ kind: 'phone', value: 'x' }, 'limit=abc'))).toEqual(problemBody('invalid', 'query "limit": must be a whole number, got "abc"'));
    // never truncated to the digits before a point or an exponent
    for (const v of ['2.9', '1e3', '1.8e12', '5.0', ' 5', '5 ', '+5', '0x5', '', '-']) {
      expect(await refusal(call({ kind: 'phone', value: 'x' }, `limit=${encodeURIComponent(v)}`)), v).toEqual(problemBody('invalid', `query "limit": must be a whole number, got ${JSON.stringify(v)}`));
    }
    expect(await refusal(call({ kind: 'phone', value: 'x' }, `limit=${'9'.repeat(50)}.5`))).toEqual(problemBody('invalid', `query "limit": must be a whole number, got "${'9'.repeat(40)}…"`));
    expect(await refusal(call({ kind: 'phone', value: 'x' }, 'limit=-3'))).toEqual(problemBody('invalid', 'query "limit": must be at least 1'));
    expect(JSON.parse(String((await bound.handle(call({ kind: 'phone', value: 'x' }, 'limit=007'), { id: 'a' })).body))).toEqual({ id: 'a:phone', limit: 7 });
    expect(await refusal(call({ kind: 'phone', value: 'x' }, 'format=xml'))).toEqual(problemBody('invalid', 'query "format": must be one of json, csv'));
  });

  it('refuses a query parameter the route does not declare, naming it and those it takes; not on a route without credentials', async () => {
    const body = { kind: 'phone', value: 'x' };
    expect(await refusal(call(body, 'run=r~1'))).toEqual(problemBody('invalid', 'query "run": unknown parameter (this route takes limit, format)'));
    // even beside declared ones, and empty: a misspelt filter is never read as none
    expect(await refusal(call(body, 'limit=5&Limit=6'))).toEqual(problemBody('invalid', 'query "Limit": unknown parameter (this route takes limit, format)'));
    expect(await refusal(call(body, 'limit=5&utm_source='))).toEqual(problemBody('invalid', 'query "utm_source": unknown parameter (this route takes limit, format)'));
    // an unsubscribe link a customer follows may carry a link tracker's parameters: taken as they come
    const open = route({ ...op, auth: 'none' }, ({ query }) => ({ status: 201, body: { id: 'o', limit: query.limit ?? 100 } }));
    expect(JSON.parse(String((await open.handle(call(body, 'limit=5&utm_source=mail'), { id: 'a' })).body))).toEqual({ id: 'o', limit: 5 });
  });

  it('checks the path parameters and the body media type', async () => {
    expect(await refusal(call({ kind: 'phone', value: 'x' }), { id: 'toolong' })).toEqual(problemBody('invalid', 'path "id": must be at most 5 characters'));
    expect(await refusal(call({ kind: 'phone', value: 'x' }, '', 'text/plain'))).toEqual(problemBody('unsupported_media_type', 'send the body as application/json or application/yaml'));
  });
});
