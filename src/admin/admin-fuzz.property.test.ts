import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogKinds } from '../catalog/catalog-service.js';
import { MAX_MANUAL_CLOCK_MS } from '../clock.js';
import type { ErrorCode } from '../errors.js';
import { errorCatalog } from '../errors.js';
import { problemType } from '../schema/http/problem.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { startTestKairos } from '../test-support/test-kairos.js';
import { operations } from './openapi.js';

/**
 * Random admin requests against a started server, with the admin key: methods, paths built
 * from the documented routes with real, random and malformed segments, and bodies of every
 * kind (JSON values, deep nesting, huge numbers, YAML, invalid UTF-8, wrong content types).
 * No answer may be a 5xx, and every error answer names its code.
 */

// On the manual clock, so that moving it is part of what is tried.
let k: TestKairos;
beforeAll(async () => {
  k = await startTestKairos({ config: { clock: 'manual' }, manualClockStart: Date.now() });
});
afterAll(() => k.close());

const codes = new Set(Object.keys(errorCatalog));

const realSegments = ['atm-shortfall', 'pension-deposit', 'travel', 'demo-1', 'demo-7', 'sms', 'email', 'ib', 'push', '1', '2', '0', '9999', 'a'.repeat(40), ...catalogKinds];
const nastySegments = [
  '%', '%z', '%zz', '%ZZ', '%E0%A4', '%C0%AF', '%FF', '%00', '%2F', '%25', '%2e%2e', '..', '.', '%D0%BD%D0%B5%D1%82', 'нет', '😀', '%F0%9F%98%80',
  'a b', 'a+b', 'x;y', '__proto__', 'constructor', 'hasOwnProperty', '-1', '1e400', 'NaN',
];

const segment: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...realSegments) },
  { weight: 4, arbitrary: fc.constantFrom(...nastySegments) },
  { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 12 }).map((s) => encodeURIComponent(s)) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('%', 'z', '0', 'E', 'A', '4'), minLength: 1, maxLength: 9 }) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 3000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 600 }).map((n) => '%zz'.repeat(n)) },
);

/** A documented path with its placeholders filled, sometimes with a segment added or dropped. */
const documentedPath: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...operations.map((o) => o.path)), fc.array(segment, { minLength: 4, maxLength: 4 }), fc.constantFrom('keep', 'keep', 'keep', 'add', 'drop'), segment)
  .map(([template, fills, change, extra]) => {
    let i = 0;
    const filled = template.replace(/\{[a-z]+\}/g, () => fills[i++] ?? 'x');
    if (change === 'add') return `${filled}/${extra}`;
    if (change === 'drop') return filled.split('/').slice(0, -1).join('/') || '/';
    return filled;
  });

const path: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: documentedPath },
  { weight: 1, arbitrary: fc.array(segment, { minLength: 1, maxLength: 5 }).map((xs) => `/v1/${xs.join('/')}`) },
  { weight: 1, arbitrary: fc.array(segment, { minLength: 0, maxLength: 4 }).map((xs) => `/${xs.join('/')}`) },
);

const query: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.constantFrom('?limit=5', '?limit=0', '?limit=-1', '?limit=abc', '?limit=1e9', '?limit=%zz', '?format=csv', '?format=xml', '?channel=sms&campaign=x', '?token=%', '?from=abc&to=1e400') },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => `?${s}`) },
);

const nested = (depth: number, open: string, close: string, leaf: string): string => `${open.repeat(depth)}${leaf}${close.repeat(depth)}`;

const jsonText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 2, arbitrary: fc.dictionary(fc.constantFrom('status', 'now', 'advance', 'kind', 'value', 'channel', 'campaign', 'reason', 'customer', 'type', 'at', 'data', 'location', 'id', 'name', 'rule', 'templates', 'groups', 'policy', 'version', 'text', 'title', 'offer', 'events', 'trigger', 'caps'), fc.jsonValue({ maxDepth: 3 })).map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((d) => nested(d, '[', ']', '1')) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 10_000 }).map((d) => `{"data":${nested(d, '{"a":', '}', '1')},"type":"ib.login","rule":${nested(Math.min(d, 3000), '{"not":', '}', '{"attr":"stage","op":"exists"}')}}`) },
  { weight: 1, arbitrary: fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '{"now":1e400}', '{"advance":1e308}', '{"now":-8.64e15}', '{"now":9007199254740993}', '{"at":1e300,"type":"ib.login"}', '{"at":8.64e15,"type":"ib.login"}', '{"status":null}', '{"kind":"phone","value":"+7"}', '{"customer":{"id":1}}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}') },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('now', 'advance'), fc.oneof(fc.integer(), fc.double(), fc.constantFrom(8.64e15, 8.64e15 + 1, 2 ** 53 - 1, 2 ** 53, 1e21, -1, 0, 86_400_000, MAX_MANUAL_CLOCK_MS, 10 * 365 * 86_400_000)))
      .map(([field, v]) => JSON.stringify({ [field]: v })),
  },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '{', '{"a":', 'null', '[]', '"x"', 'true', '{"a":1}{"b":2}', '\u0000', '{"a":"\\ud800"}') },
);

const yamlText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'a: &a [1, 2]\nb: [*a, *a]\n', 'a: *x\n', 'a: &x [1, *x]\n', 'version: 1\nversion: 2\n', '- 1\n- 2\n', 'a: !!binary aGVsbG8=\n', 'a: !!timestamp 2001-12-14\n', 'a: !foo x\n',
    'a: 1\n---\nb: 2\n', '{a: 1, a: 2}', '? [a]\n: 1\n', 'a: {<<: {b: 1}}\n', '"\\ud800": 1\n', 'a: 0x1F\nb: 1e400\nc: .inf\nd: .nan\n', '%YAML 1.1\n---\na: yes\n',
  ),
  fc.integer({ min: 90, max: 30_000 }).map((d) => `campaigns: ${nested(d, '[', ']', '')}\n`),
  fc.integer({ min: 2, max: 9 }).map((n) => {
    const lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let i = 1; i <= n; i++) lines.push(`l${i}: &l${i} [${Array(9).fill(i === 1 ? '*a' : `*l${i - 1}`).join(', ')}]`);
    return lines.join('\n');
  }),
  fc.string({ unit: fc.constantFrom('a', ':', ' ', '\n', '-', '[', ']', '{', '}', '&', '*', '!', '|', '>', '"', "'", '#', '?', ','), maxLength: 80 }),
);

type Body = { contentType: string | undefined; data: string | Uint8Array | undefined };

const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 6, arbitrary: jsonText.map((data): Body => ({ contentType: 'application/json', data })) },
  { weight: 3, arbitrary: yamlText.map((data): Body => ({ contentType: 'application/yaml', data })) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((data): Body => ({ contentType: 'application/json', data })) },
  { weight: 1, arbitrary: fc.constantFrom<Body>({ contentType: 'application/json', data: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]) }, { contentType: 'application/yaml', data: new Uint8Array([0x61, 0x3a, 0x20, 0xff, 0xfe]) }) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom(undefined, 'text/plain', 'application/msgpack', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/jsonx', 'APPLICATION/JSON; charset=latin1', ''), jsonText).map(([contentType, data]): Body => ({ contentType, data })),
  },
  { weight: 1, arbitrary: fc.constant<Body>({ contentType: undefined, data: undefined }) },
);

const method = fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD');

describe('admin API under random requests', () => {
  it('keeps the manual clock where dates exist: past the year 9999 is a 400, and decisions go on', async () => {
    const post = async (path: string, body: unknown): Promise<{ status: number; body: { code?: string } }> => {
      const res = await fetch(`${k.httpUrl}${path}`, { method: 'POST', headers: { Authorization: 'Bearer demo-admin', 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { code?: string } };
    };
    for (const now of [8.64e15, 2 ** 53 - 1, MAX_MANUAL_CLOCK_MS + 1]) expect((await post('/v1/clock', { now })).body.code).toBe('invalid');
    expect((await post('/v1/clock', { now: MAX_MANUAL_CLOCK_MS - 1000 })).status).toBe(200);
    expect((await post('/v1/clock', { advance: 1001 })).body.code).toBe('invalid');
    expect((await post('/v1/customers/demo-1/explain', { type: 'ib.login', channel: 'ib' })).status).toBe(200);
    expect((await post('/v1/campaigns/atm-shortfall/preview', { data: { requested: 1000, balance: 800 } })).status).toBe(200);
    expect((await post('/v1/clock', { now: Date.now() })).status).toBe(200);
  });

  it('never answers 5xx, and every error names its code', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(method, path, query, body, async (m, p, q, b) => {
        const headers: Record<string, string> = { Authorization: 'Bearer demo-admin' };
        if (b.contentType !== undefined) headers['Content-Type'] = b.contentType;
        const withBody = m !== 'GET' && m !== 'HEAD' && b.data !== undefined;
        const res = await fetch(`${k.httpUrl}${p}${q}`, { method: m, headers, ...(withBody ? { body: b.data } : {}) });
        const text = await res.text();
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        const what = `${m} ${p.slice(0, 120)}${q.slice(0, 40)} -> ${res.status} ${text.slice(0, 300)}`;
        expect(res.status, what).toBeLessThan(500);
        // The unsubscribe link answers a person with a page, errors included.
        const page = p === '/v1/unsubscribe' && (res.headers.get('content-type') ?? '').startsWith('text/html');
        if (res.status >= 400 && m !== 'HEAD' && !page) {
          const parsed = JSON.parse(text) as { code?: unknown; detail?: unknown; status?: unknown; type?: unknown };
          expect(codes.has(String(parsed.code)), what).toBe(true);
          expect(typeof parsed.detail, what).toBe('string');
          expect(parsed.status, what).toBe(res.status);
          expect(parsed.type, what).toBe(problemType(parsed.code as ErrorCode));
          expect(res.headers.get('content-type'), what).toBe('application/problem+json');
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 600) },
    );
    // The run reached handlers, not only the router: successes and refusals of several kinds.
    expect([...seen.keys()]).toEqual(expect.arrayContaining([200, 400, 404]));
  }, 120_000);
});
