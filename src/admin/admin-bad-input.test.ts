import { describe, expect, it } from 'vitest';
import { adminHeaders, serverForFile } from '../test-support/test-kairos.js';
import { problemBody } from '../schema/http/problem.js';

/**
 * Malformed admin requests through the started server: each gets the 4xx its kind deserves,
 * never a 500, and a refused change leaves nothing behind (no version, no audit entry).
 */

const server = serverForFile();

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = adminHeaders): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.k.httpUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

const yamlHeaders = { ...adminHeaders, 'Content-Type': 'application/yaml' };

/** A rule `levels` deep, `not` around `not` ... around one test of the age, as JSON text (too deep for JSON.stringify). */
function nestedNot(levels: number): string {
  return `${'{"not":'.repeat(levels - 1)}{"attr":"profile.age","op":"gte","value":60}${'}'.repeat(levels - 1)}`;
}

/** A rule `levels` deep of alternating `any` and `all` lists, as JSON text. */
function nestedLists(levels: number): string {
  let open = '';
  for (let i = levels - 1; i >= 1; i--) open += i % 2 === 0 ? '{"all":[' : '{"any":[';
  return `${open}{"attr":"profile.age","op":"gte","value":60}${']}'.repeat(levels - 1)}`;
}

/** A segment with this rule, as JSON text. */
const segment = (rule: string): string => `{"name":"Deep","rule":${rule}}`;

async function auditState(): Promise<{ version: number; entries: number }> {
  const version = (await api('GET', '/v1/catalog')).body.version as number;
  const entries = ((await api('GET', '/v1/catalog/history?limit=10000')).body.entries as unknown[]).length;
  return { version, entries };
}

describe('deep conditions', () => {
  it('refuses a segment rule 2,500 levels deep with a 400, leaving no version and no audit entry', async () => {
    const before = await auditState();
    for (const rule of [nestedNot(2500), nestedLists(2500)]) {
      const r = await api('PUT', '/v1/segments/deep', segment(rule));
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('invalid');
      expect(r.body.detail).toMatch(/nests deeper than/);
    }
    expect(await auditState()).toEqual(before);
  });

  it('names the path of a rule nested past the bound, and accepts one at the bound', async () => {
    const before = await auditState();
    const r = await api('PUT', '/v1/segments/deep', segment(nestedNot(33)));
    expect(r.status).toBe(400);
    expect(r.body).toEqual(problemBody('invalid', `field "rule${'.not'.repeat(32)}": nests deeper than 32 levels of all, any and not`));
    const lists = await api('PUT', '/v1/campaigns/atm-shortfall', { ...(await api('GET', '/v1/campaigns/atm-shortfall')).body, groups: [{ id: 'g', when: JSON.parse(nestedLists(40)) as unknown, responsePercent: 5 }] });
    expect(lists.status).toBe(400);
    expect(lists.body).toEqual(problemBody('invalid', expect.stringMatching(/^field "groups\[0\]\.when(\.(all|any)\[0\]){32}": nests deeper than 32 levels of all, any and not$/)));
    expect(await auditState()).toEqual(before);
    const ok = await api('PUT', '/v1/segments/deep', segment(nestedNot(32)));
    expect(ok.status).toBe(201);
    expect(await auditState()).toEqual({ version: before.version + 1, entries: before.entries + 1 });
    expect((await api('DELETE', '/v1/segments/deep')).status).toBe(200);
  });

  it('refuses any other part of a definition nested past the bound', async () => {
    const before = await auditState();
    const deep = `${'['.repeat(3000)}"x"${']'.repeat(3000)}`;
    const r = await api('PUT', '/v1/partners/deep', `{"kind":"cafe","name":"X","address":"Y","lat":55,"lon":37,"extra":${deep}}`);
    expect(r.status).toBe(400);
    expect(r.body).toEqual(problemBody('invalid', expect.stringMatching(/^field "extra(\[0\]){96}": nests deeper than 100 levels$/)));
    const whole = (await api('GET', '/v1/catalog')).body;
    const replaced = await api('PUT', '/v1/catalog', `${JSON.stringify(whole).slice(0, -1)},"extra":${deep}}`);
    expect(replaced.status).toBe(400);
    expect(replaced.body).toEqual(problemBody('invalid', expect.stringMatching(/^extra(\[0\]){98}: nests deeper than 100 levels$/)));
    expect(await auditState()).toEqual(before);
  });
});

describe('catalog YAML', () => {
  it('answers 400 invalid at once to an alias bomb, deep nesting, an alias to nothing or a cycle, storing nothing', async () => {
    const before = await auditState();
    const lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f'], ['h', 'g'], ['i', 'h']] as const) {
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const cases: Array<[string, RegExp]> = [
      [lines.join('\n'), /^body: its aliases expand to too many values$/],
      [`a: &x 1\nb: [${Array(150).fill('*x').join(', ')}]\n`, /^body:2:\d+: uses more than 100 aliases$/],
      [`campaigns: ${'['.repeat(30_000)}${']'.repeat(30_000)}\n`, /^body(:\d+:\d+)?: nests deeper than 100 levels$/],
      [`campaigns: ${'['.repeat(700)}${']'.repeat(700)}\n`, /^body(:\d+:\d+)?: nests deeper than 100 levels$/],
      ['a: *nowhere\n', /^body:1:4: alias \*nowhere names no anchor set before it$/],
      ['version: 1\nversion: 2\n', /^body:2:1: Map keys must be unique: "version" is repeated$/],
      ['a: &x [1, *x]\n', /^a\[1\]\[1\].*: nests deeper than 100 levels$/],
    ];
    for (const [text, message] of cases) {
      const r = await api('PUT', '/v1/catalog', text, yamlHeaders);
      expect(r.status, text.slice(0, 40)).toBe(400);
      expect(r.body, text.slice(0, 40)).toEqual(problemBody('invalid', expect.stringMatching(message)));
    }
    expect(await auditState()).toEqual(before);
  });
});

describe('admin paths', () => {
  it('answers 400 invalid naming a path segment with a malformed escape, on every route that takes one', async () => {
    const cases: Array<[string, string, string]> = [
      ['GET', '/v1/customers/%zz', '%zz'],
      ['DELETE', '/v1/customers/a%', 'a%'],
      ['GET', '/v1/segments/%E0%A4', '%E0%A4'],
      ['PUT', '/v1/offers/%ZZ/templates/sms', '%ZZ'],
      ['POST', '/v1/campaigns/%/status', '%'],
      ['POST', '/v1/customers/%C0%AF/explain', '%C0%AF'],
      ['GET', `/v1/campaigns/${'%zz'.repeat(100)}`, `${'%zz'.repeat(26)}%z…`],
    ];
    for (const [method, path, segment] of cases) {
      const r = await api(method, path, method === 'GET' || method === 'DELETE' ? undefined : {});
      expect(r, `${method} ${path}`).toEqual({ status: 400, body: problemBody('invalid', `path segment "${segment}": malformed percent-encoding`) });
    }
  });

  it('answers 400 invalid to an over-long path segment, which no store key could hold', async () => {
    for (const path of [`/v1/outbox/${'x'.repeat(3000)}/dead`, `/v1/outbox/sms/${'я'.repeat(301)}/retry`, `/v1/customers/${'x'.repeat(301)}`]) {
      const r = await api(path.endsWith('/retry') ? 'POST' : 'GET', path);
      expect(r.status, path).toBe(400);
      expect(r.body.detail, path).toMatch(/^path segment ".{1,80}…?": longer than 300 characters$/);
    }
    expect((await api('GET', `/v1/customers/${'x'.repeat(300)}`)).status).toBe(404);
  });

  it('decodes a path segment once', async () => {
    expect((await api('GET', '/v1/campaigns/atm%2Dshortfall')).body).toMatchObject({ id: 'atm-shortfall' });
    expect(await api('GET', '/v1/campaigns/atm%252Dshortfall')).toEqual({ status: 404, body: problemBody('not_found', 'no campaign "atm%2Dshortfall"') });
    expect((await api('GET', '/v1/customers/%D0%BD%D0%B5%D1%82')).body).toEqual(problemBody('unknown_customer', 'no customer "нет"'));
  });
});

describe('bodies and queries', () => {
  it("words a field's pattern as the WebSocket does, not as the regular expression", async () => {
    expect(await api('POST', '/v1/customers/demo-1/explain', { type: 'no spaces please' })).toEqual({
      status: 400,
      body: problemBody('invalid', 'field "type": may hold letters, digits and . _ : - only'),
    });
    expect(await api('GET', '/v1/outbox/sms/dead?cursor=1.2')).toEqual({ status: 400, body: problemBody('invalid', 'query "cursor": must be the next of the page before: up to 16 digits') });
    expect(await api('GET', '/v1/outbox/sms/dead?cursor=abc')).toEqual({ status: 400, body: problemBody('invalid', 'query "cursor": must be the next of the page before: up to 16 digits') });
  });

  it('refuses a query parameter the route does not take, rather than answering as if there were no filter', async () => {
    expect(await api('GET', '/v1/reports/funnel?run=credit-card-calls~20261207T060000')).toEqual({
      status: 400,
      body: problemBody('invalid', 'query "run": unknown parameter (this route takes campaign, by, from, to, format)'),
    });
    expect((await api('GET', '/v1/reports/funnel?by=run&campaign=atm-shortfall')).status).toBe(200);
    expect(await api('GET', '/v1/runs?campaign=atm-shortfall&state=running')).toEqual({ status: 400, body: problemBody('invalid', 'query "state": unknown parameter (this route takes campaign)') });
  });
});

describe('pathological templates', () => {
  it('refuses an SMS template of "{{" and 60,000 spaces at once with a 400 (the former pattern backtracked for seconds), and the server serves on', async () => {
    const before = await auditState();
    for (const text of [`{{${' '.repeat(60_000)}`, `{{a${' '.repeat(60_000)}`, `{{ customer.name |${' '.repeat(60_000)}`, '{{'.repeat(30_000)]) {
      const r = await api('PUT', '/v1/offers/atm-microcredit/templates/sms', { text });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject(problemBody('invalid', expect.stringContaining('templates.sms')));
    }
    expect(await auditState()).toEqual(before);
    expect((await api('GET', '/v1/offers/atm-microcredit/templates/sms')).body.text).toContain('не хватает');
  });
});
