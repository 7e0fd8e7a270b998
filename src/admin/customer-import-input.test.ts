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

  it('rejects NDJSON lines that are not UTF-8 as invalid_encoding, after a BOM', async () => {
    const body = Buffer.concat([Buffer.from('\uFEFF{"id":"enc-2","city":"Омск"}\n{"id":"enc-3","city":"'), Buffer.from([0xce, 0xec, 0xf1, 0xea]), Buffer.from('"}\n')]);
    const r = await send('POST', '/v1/customers/import', body, ndjson);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ rows: 2, created: 1, rejected: 1 });
    expect(r.body.rejects.map((x: { line: number; column: string; reason: string }) => [x.line, x.column, x.reason])).toEqual([[2, 'city', 'invalid_encoding']]);
  });
});
