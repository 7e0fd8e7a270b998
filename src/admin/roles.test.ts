import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import type { OperationSpec } from '../schema/http/operation.js';
import { allowedRoles, openApiPath, roleAllows } from '../schema/http/operation.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { adminHeaders, msk, startTestKairos } from '../test-support/test-kairos.js';
import type { Role } from '../transport/principal.js';
import { ROLES } from '../transport/principal.js';
import { allOperations } from './openapi.js';

/**
 * The roles table, walked: every operation the server declares (the list the OpenAPI
 * document is made from, so a new route is walked too) with a key of every role, none and a
 * wrong one. Allowed: never 401/403. Refused: 403 problem+json naming the key and its role
 * (401 without a known key), and nothing the admin API shows has changed.
 */

const secretOf = (role: Role): string => (role === 'admin' ? 'demo-admin' : role === 'gateway' ? 'demo-gateway' : `secret-of-the-${role}-key-0123456789`);
const named = ROLES.filter((r) => r !== 'admin' && r !== 'gateway').map((role) => ({ name: `${role}-key`, role, secret: secretOf(role) }));

const sample: Record<string, string> = { id: 'demo-19', channel: 'sms', key: 'a'.repeat(40), n: '1', offer: 'pension-deposit', instance: 'x', name: 'no-such-key' };
const instantiate = (path: string): string => openApiPath(path).replace(/\{(\w+)\}/g, (_m, p: string) => sample[p] ?? 'x');

/** What the admin API shows of the server's state, read with the admin key: a refused call must leave it as it was. */
const stateReads = ['/v1/catalog', '/v1/catalog/history', '/v1/policy', '/v1/stop-list', '/v1/clock', '/v1/customers/demo-19', '/v1/keys', '/v1/models', '/v1/outbox/sms', '/v1/outbox/sms/dead'];

let k: TestKairos;
async function state(): Promise<string[]> {
  return Promise.all(
    stateReads.map(async (p) => {
      const res = await fetch(`${k.httpUrl}${p}`, { headers: adminHeaders });
      return `${p} ${res.status} ${await res.text()}`;
    }),
  );
}

async function call(op: OperationSpec, authorization: string | undefined): Promise<{ status: number; type: string | null; body: string }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (authorization !== undefined) headers.Authorization = authorization;
  const res = await fetch(`${k.httpUrl}${instantiate(op.path)}`, { method: op.method.toUpperCase(), headers, ...(op.method === 'get' ? {} : { body: '{}' }) });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

beforeAll(async () => {
  k = await startTestKairos({ config: { store: 'memory', clock: 'manual', keys: named } });
});
afterAll(async () => {
  await k.close();
});

const callers: Array<{ who: string; role: Role | undefined; authorization: string | undefined }> = [
  ...ROLES.map((role) => ({ who: role, role, authorization: `Bearer ${secretOf(role)}` })),
  { who: 'none', role: undefined, authorization: undefined },
  { who: 'wrong', role: undefined, authorization: 'Bearer not-a-key-anyone-has-0000' },
];

describe('personal data in what is rendered for a named customer', () => {
  const as = (role: Role) => ({ Authorization: `Bearer ${secretOf(role)}`, 'Content-Type': 'application/json' });
  const post = async (path: string, body: unknown, role: Role): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${k.httpUrl}${path}`, { method: 'POST', headers: as(role), body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };

  it('masks the customer in a marketer\'s preview and explanation, as on the analyst\'s card; admin and the sample are as rendered', async () => {
    const card = (await (await fetch(`${k.httpUrl}/v1/customers/demo-60`, { headers: adminHeaders })).json()) as { profile: { firstName: string; patronymic: string; lastName: string; age: number } };
    const { firstName, patronymic, lastName, age } = card.profile;
    // the marketer edits templates: one that prints everything a template may say of the customer
    const script = 'Клиент: {{customer.fullName}} ({{customer.name}}; {{customer.lastName}}), {{customer.age}} лет.';
    expect((await fetch(`${k.httpUrl}/v1/offers/pension-deposit/templates/callcenter`, { method: 'PUT', headers: as('marketer'), body: JSON.stringify({ script }) })).status).toBe(200);
    const rendered = `Клиент: ${lastName} ${firstName} ${patronymic} (${firstName} ${patronymic}; ${lastName}), ${age} лет.`;
    const masked = `Клиент: ${lastName[0]}*** ${firstName[0]}*** ${patronymic[0]}*** (${firstName[0]}*** ${patronymic[0]}***; ${lastName[0]}***), *** лет.`;
    const scriptOf = (r: { body: { previews: Array<{ channel: string; content?: { script?: string } }> } }) => r.body.previews.find((p) => p.channel === 'callcenter')?.content?.script;

    const preview = { customer: 'demo-60', type: 'ib.login' };
    expect(scriptOf(await post('/v1/campaigns/pension-deposit/preview', preview, 'admin'))).toBe(rendered);
    const marketer = await post('/v1/campaigns/pension-deposit/preview', preview, 'marketer');
    expect(marketer.status).toBe(200);
    expect(scriptOf(marketer)).toBe(masked);
    const text = JSON.stringify(marketer.body);
    for (const v of [firstName, patronymic, lastName]) expect(text).not.toContain(v);
    // the SMS length is the real text's (the masked one is shorter)
    const ib = await post('/v1/campaigns/pension-deposit/preview', preview, 'admin');
    expect(marketer.body.previews.map((p: { sms?: unknown }) => p.sms)).toEqual(ib.body.previews.map((p: { sms?: unknown }) => p.sms));
    // the sample customer is no one: shown as rendered
    const sample = await post('/v1/campaigns/pension-deposit/preview', { type: 'ib.login' }, 'marketer');
    expect(sample.body).toEqual((await post('/v1/campaigns/pension-deposit/preview', { type: 'ib.login' }, 'admin')).body);

    // the dry-run explanation's messages likewise
    const event = { type: 'atm.withdrawal.declined', channel: 'atm', at: msk('2026-11-23T12:00:00'), data: { requested: 1000, balance: 800 } };
    const full = await post('/v1/customers/demo-60/explain', event, 'admin');
    const shown = await post('/v1/customers/demo-60/explain', event, 'marketer');
    expect(full.body.actions.length).toBeGreaterThan(0);
    expect(JSON.stringify(full.body.actions)).toContain(`${firstName} ${patronymic}`);
    expect(shown.body.explain).toEqual(full.body.explain);
    expect(shown.body.actions.map((a: { content: unknown }) => JSON.stringify(a.content))).toEqual(
      full.body.actions.map((a: { content: unknown }) => JSON.stringify(a.content).split(`${firstName} ${patronymic}`).join(`${firstName[0]}*** ${patronymic[0]}***`)),
    );
  });

  it('renders a marketer\'s texts from the customer masked: no profile value nor one computed from it, nor which of a list of values is theirs; the decision is the real one', async () => {
    const card = (await (await fetch(`${k.httpUrl}/v1/customers/demo-60`, { headers: adminHeaders })).json()) as { profile: { firstName: string; patronymic: string; lastName: string; age: number; balance: number; job: string; marital: string } };
    const { firstName, patronymic, lastName, age, balance, job, marital } = card.profile;
    // a campaign of the marketer's own: vars reading the profile, shifted by a number the request gives, and every age a customer may have
    const numbers = Array.from({ length: 83 }, (_, i) => i + 18).join(' ');
    const text = `{{customer.fullName}}: b={{vars.b}} b1={{vars.b1 | rub}} a={{vars.a}} j={{vars.j}} m={{vars.m}} t={{vars.t}} x={{vars.x}} age={{customer.age}}. ${numbers}`;
    expect((await fetch(`${k.httpUrl}/v1/offers/masking-probe`, { method: 'PUT', headers: as('marketer'), body: JSON.stringify({ name: 'Проба', value: 1, templates: { sms: { text } } }) })).status).toBe(201);
    const campaign = {
      name: 'Проба',
      status: 'active',
      offer: 'masking-probe',
      channels: ['sms'],
      trigger: { events: ['masking.probe'] },
      vars: {
        b: { from: 'profile.balance' },
        b1: { from: 'profile.balance', minus: 'event.data.one' },
        a: { from: 'profile.age', minus: 'event.data.k' },
        j: { from: 'profile.job' },
        m: { from: 'profile.marital' },
        t: { from: 'profile.balance', tiers: [[-1e12, 1], [1000, 2], [10000, 3]] },
        x: { from: 'event.data.x' },
      },
      groups: [{ id: 'everyone', when: { attr: 'profile.age', op: 'gte', value: 18 }, responsePercent: 50 }],
      maxSmsParts: 10,
      quietHoursExempt: true,
    };
    expect((await fetch(`${k.httpUrl}/v1/campaigns/masking-probe`, { method: 'PUT', headers: as('marketer'), body: JSON.stringify(campaign) })).status).toBe(201);
    const masked = `${lastName[0]}*** ${firstName[0]}*** ${patronymic[0]}***: b=*** b1=*** a=*** j=*** m=*** t=*** x=сорок age=***. ${numbers}`;
    const data = { one: 1, k: 0.5, x: 'сорок' };

    const preview = { customer: 'demo-60', type: 'masking.probe', data };
    const smsOf = (r: { body: { previews: Array<{ channel: string; content?: { text?: string } }> } }) => r.body.previews.find((p) => p.channel === 'sms');
    const full = await post('/v1/campaigns/masking-probe/preview', preview, 'admin');
    expect(smsOf(full)?.content?.text).toMatch(new RegExp(`^${lastName} ${firstName} ${patronymic}: b=-?[\\d\u00a0]+ b1=`));
    expect(smsOf(full)?.content?.text).toContain(` j=${job} m=${marital} `);
    const shown = await post('/v1/campaigns/masking-probe/preview', preview, 'marketer');
    expect(shown.status).toBe(200);
    expect(smsOf(shown)?.content?.text).toBe(masked);
    // the SMS encoding and parts (and any problem) are the real text's
    expect(shown.body.previews.map((p: { content?: unknown }) => ({ ...p, content: undefined }))).toEqual(full.body.previews.map((p: { content?: unknown }) => ({ ...p, content: undefined })));
    const seen = JSON.stringify(shown.body);
    for (const v of [firstName, patronymic, lastName, job, marital, String(balance), String(balance - 1), String(age - 0.5).replace('.', ',')]) expect(seen).not.toContain(v);

    // the dry-run explanation: the same decision, the message masked likewise
    const event = { type: 'masking.probe', at: msk('2026-11-23T12:00:00'), data };
    const real = await post('/v1/customers/demo-60/explain', event, 'admin');
    const action = (r: { body: { actions: Array<{ campaign: string; content: { text: string } }> } }) => r.body.actions.find((a) => a.campaign === 'masking-probe');
    expect(action(real)?.content.text).toContain(`${lastName} ${firstName} ${patronymic}: b=`);
    const dry = await post('/v1/customers/demo-60/explain', event, 'marketer');
    expect(dry.body.explain).toEqual(real.body.explain);
    expect(dry.body.actions).toEqual(real.body.actions.map((a: { campaign: string }) => (a.campaign === 'masking-probe' ? { ...a, content: { text: masked } } : a)));
  });
});

describe('roles', () => {
  it('every operation that needs a key declares its roles', () => {
    const undeclared = allOperations.filter((op) => op.auth !== 'none' && op.roles === undefined).map((op) => op.operationId);
    expect(undeclared).toEqual([]);
    // admin may call every admin operation, never a gateway one; a gateway key only gateway ones
    for (const op of allOperations) {
      if (op.auth === 'admin') expect(allowedRoles(op)).toContain('admin');
      if (op.auth === 'gateway') expect(allowedRoles(op)).toEqual(['gateway']);
    }
  });

  it('walks every route with a key of every role, none and a wrong one', async () => {
    let cells = 0;
    const before = await state();
    // Refused cells first, while the state is the baseline; the allowed ones may change it.
    const order = [...allOperations.filter((op) => op.method === 'get'), ...allOperations.filter((op) => op.method !== 'get')];
    const allowed: Array<() => Promise<void>> = [];
    for (const op of order) {
      for (const c of callers) {
        const where = `${op.method.toUpperCase()} ${op.path} as ${c.who}`;
        cells++;
        const permitted = op.auth === 'none' || (c.role !== undefined && roleAllows(op, c.role));
        if (permitted) {
          allowed.push(async () => {
            const r = await call(op, c.authorization);
            expect([401, 403], `${where}: ${r.body}`).not.toContain(r.status);
          });
          continue;
        }
        const r = await call(op, c.authorization);
        expect(r.type, where).toContain('application/problem+json');
        const problem = JSON.parse(r.body) as { code: string; detail?: string };
        if (c.role === undefined) {
          expect([r.status, problem.code], where).toEqual([401, 'unauthorized']);
        } else {
          expect([r.status, problem.code], where).toEqual([403, 'forbidden']);
          expect(problem.detail, where).toContain(`(role ${c.role}) may not ${op.operationId}`);
        }
        if (op.method !== 'get') expect(await state(), where).toEqual(before);
      }
    }
    for (const a of allowed) await a();
    console.log(`roles table: ${allOperations.length} operations x ${callers.length} callers = ${cells} cells`);
    expect(cells).toBe(allOperations.length * callers.length);
  });

  it('docs/security.md names, in each role\'s row, every path the role is declared for', () => {
    const doc = readFileSync(join(packageRoot(), 'docs', 'security.md'), 'utf8');
    for (const role of ROLES) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${role}\` |`));
      expect(row, role).toBeDefined();
      for (const op of allOperations.filter((o) => o.auth !== 'none' && (o.roles ?? []).includes(role))) {
        // the path, or the area it is in (`/v1/catalog/history` under `/v1/catalog`)
        const segments = openApiPath(op.path).split('/');
        const listed = segments.slice(2).some((_s, i) => row!.includes(segments.slice(0, segments.length - i).join('/')));
        expect(listed, `${role}: ${op.method.toUpperCase()} ${op.path}`).toBe(true);
      }
    }
  });

  it('says each operation\'s roles in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${k.httpUrl}/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { 'x-kairos-roles'?: string[]; description?: string }>> };
    for (const op of allOperations) {
      const entry = doc.paths[openApiPath(op.path)]?.[op.method];
      if (op.auth === 'none') expect(entry?.['x-kairos-roles'], op.operationId).toBeUndefined();
      else {
        expect(entry?.['x-kairos-roles'], op.operationId).toEqual(allowedRoles(op));
        expect(entry?.description, op.operationId).toContain('Roles: ');
      }
    }
  });
});
