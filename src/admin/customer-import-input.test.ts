import { describe, expect, it } from 'vitest';
import { adminHeaders, serverForFile } from '../test-support/test-kairos.js';

/**
 * Bad input to the customer routes on a real server: a clear 400 naming the problem (or the
 * NDJSON line rejected), never a 200 that keeps garbage or half of what was asked: bodies that
 * are not UTF-8, lone surrogates, values past the state's bounds, ids with control characters,
 * values of a type no column takes.
 */

const server = serverForFile();

async function send(method: string, path: string, body: string | Buffer, headers: Record<string, string> = adminHeaders): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.k.httpUrl}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

const api = (method: string, path: string, body: unknown) => send(method, path, JSON.stringify(body));
const ndjson = { ...adminHeaders, 'Content-Type': 'application/x-ndjson' };

describe('the customer routes refuse input that is not text', () => {
  it('answers 400 for a body that is not UTF-8 and for a lone surrogate, storing nothing', async () => {
    const bytes = await send('PUT', '/v1/customers/enc-1', Buffer.concat([Buffer.from('{"first_name":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]));
    expect(bytes.status).toBe(400);
    expect(bytes.body.detail).toBe('body is not valid UTF-8 (byte 15): send the text in UTF-8');
    const lone = await send('PUT', '/v1/customers/enc-1', '{"first_name":"a\\ud800"}');
    expect(lone.status).toBe(400);
    expect(lone.body.detail).toMatch(/^field "first_name": holds a lone surrogate/);
    expect((await send('PUT', '/v1/customers/enc-1', '{"first_name":"\\ud83d\\ude00"}')).status).toBe(200);
    expect((await fetch(`${server.k.httpUrl}/v1/customers/enc-1`, { headers: adminHeaders }).then((r) => r.json()) as any).profile.firstName).toBe('😀');
  });

  it('answers 400 for a JSON body that gives a key twice, and rejects such an NDJSON line, storing nothing of it', async () => {
    // JSON.parse would keep the last city; a proxy before Kairos may have read the first
    const twice = await send('PUT', '/v1/customers/dup-1', '{"first_name":"Анна","city":"Омск","city":"Тверь"}');
    expect(twice.status).toBe(400);
    expect(twice.body.detail).toBe('body: the key "city" is given twice: an object names each key once');
    expect((await fetch(`${server.k.httpUrl}/v1/customers/dup-1`, { headers: adminHeaders })).status).toBe(404);
    const nested = await send('POST', '/v1/segments/count', '{"rule":{"all":[{"attr":"profile.age","op":"gte","value":40,"value":10}]}}');
    expect(nested.status).toBe(400);
    expect(nested.body.detail).toBe('body: the key "rule.all[0].value" is given twice: an object names each key once');
    const lines = '{"id":"dup-2","city":"Омск"}\n{"id":"dup-3","city":"Омск","id":"dup-4"}\n';
    const r = await send('POST', '/v1/customers/import', lines, ndjson);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ rows: 2, created: 1, rejected: 1 });
    expect(r.body.rejects.map((x: { line: number; reason: string }) => [x.line, x.reason])).toEqual([[2, 'unreadable_row']]);
    for (const [id, status] of [['dup-2', 200], ['dup-3', 404], ['dup-4', 404]] as const) expect((await fetch(`${server.k.httpUrl}/v1/customers/${id}`, { headers: adminHeaders })).status).toBe(status);
  });

  it('rejects NDJSON lines that are not UTF-8 as invalid_encoding, after a BOM', async () => {
    const body = Buffer.concat([Buffer.from('\uFEFF{"id":"enc-2","city":"Омск"}\n{"id":"enc-3","city":"'), Buffer.from([0xce, 0xec, 0xf1, 0xea]), Buffer.from('"}\n')]);
    const r = await send('POST', '/v1/customers/import', body, ndjson);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ rows: 2, created: 1, rejected: 1 });
    expect(r.body.rejects.map((x: { line: number; column: string; reason: string }) => [x.line, x.column, x.reason])).toEqual([[2, 'city', 'invalid_encoding']]);
  });
});

describe("the customer routes keep within the state's bounds", () => {
  it('refuses a value past the bounds with a 400 naming the limit, never a 200 that half applies', async () => {
    expect((await api('PUT', '/v1/customers/len-1', { first_name: 'Bob', tier: 'gold' })).body).toEqual({ id: 'len-1', outcome: 'created' });
    const long = await api('PATCH', '/v1/customers/len-1', { first_name: 'x'.repeat(300) });
    expect(long.status).toBe(400);
    expect(long.body.detail).toMatch(/^field "(?:body\.)?first_name": too_long \(a value longer than 256 characters/);
    expect((await api('PATCH', '/v1/customers/len-1', { tier: 'y'.repeat(300) })).status).toBe(400);
    expect((await api('PUT', '/v1/customers/len-2', { last_name: 'z'.repeat(60_000) })).status).toBe(400);
    expect((await api('PUT', '/v1/customers/len-2', { ['k'.repeat(65)]: 1 })).body.detail).toMatch(/too_long/);
    const many = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`a${i}`, i]));
    expect((await api('PUT', '/v1/customers/len-2', many)).body.detail).toMatch(/too_many_attributes \(more than 200 attributes\)/);
    // 150 stored and 60 more: past the bound together
    expect((await api('PUT', '/v1/customers/len-3', Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`a${i}`, i])))).status).toBe(200);
    const more = await api('PATCH', '/v1/customers/len-3', Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`b${i}`, i])));
    expect([more.status, more.body.detail]).toEqual([400, 'body: too_many_attributes (more than 200 attributes)']);
    const card = (await fetch(`${server.k.httpUrl}/v1/customers/len-1`, { headers: adminHeaders }).then((r) => r.json())) as any;
    expect(card.profile).toMatchObject({ firstName: 'Bob', attributes: { tier: 'gold' } });
    expect((await api('PATCH', '/v1/customers/len-1', { first_name: 'y'.repeat(256) })).body.outcome).toBe('updated');
  });
});

describe('customer ids', () => {
  it('refuses an id with a control character or white space at an end, naming the path, by the one rule', async () => {
    for (const [path, problem] of [
      ['a%00b', 'holds a control character'],
      ['a%0Ab', 'holds a control character'],
      ['a%C2%85b', 'holds a control character'],
      ['a%7F', 'holds a control character'],
      ['%20a', 'starts or ends with white space'],
      ['x'.repeat(129), 'is longer than 128 characters'],
      ['x'.repeat(300), 'is longer than 128 characters'],
    ] as const) {
      for (const method of ['PUT', 'PATCH']) {
        const r = await api(method, `/v1/customers/${path}`, { first_name: 'Ctl' });
        expect([r.status, r.body.detail], `${method} ${path}`).toEqual([400, `path "id": ${problem}`]);
      }
    }
    const lines = ['{"id":"a\\u0000b"}', '{"id":"c\\nd"}', `{"id":"${'y'.repeat(129)}"}`, '{"id":" ok-id "}'].join('\n');
    const r = await send('POST', '/v1/customers/import', lines, ndjson);
    expect(r.body).toMatchObject({ rows: 4, created: 1, rejected: 3 });
    expect(r.body.rejects.map((x: { reason: string }) => x.reason)).toEqual(['invalid_id', 'invalid_id', 'invalid_id']);
  });
});

describe('one verdict, one naming', () => {
  it('gives PUT, PATCH and the NDJSON import the same verdict for a value, naming the allowed types and the field alone', async () => {
    const allowed = 'must be a string, a number, true or false, null, or a list of strings (several phones, e-mails or cards)';
    for (const body of [{ tier: { a: 1 } }, { tier: [1, 2] }, { phone: [123] }]) {
      const field = Object.keys(body)[0]!;
      const put = await api('PUT', '/v1/customers/val-1', body);
      expect([put.status, put.body.detail], JSON.stringify(body)).toEqual([400, `field "${field}": ${allowed}`]);
      const r = await send('POST', '/v1/customers/import', JSON.stringify({ id: 'val-2', ...body }), ndjson);
      expect(r.body.rejects.map((x: { column: string; reason: string }) => [x.column, x.reason]), JSON.stringify(body)).toEqual([[field, 'invalid_value']]);
    }
    expect((await api('PUT', '/v1/customers/val-3', { phone: '12345' })).body.detail).toBe('field "phone": invalid_phone');
    expect((await api('PUT', '/v1/customers/val-3', { tags: ['a', 'b'] })).status).toBe(200);
  });
});
